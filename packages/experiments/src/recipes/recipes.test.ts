import { describe, expect, it } from 'vitest';
import { conflictOf, depthSkip, findRecipe, labelNoiseFloor, RECIPES, spearman, widthKappa, type StoreRow } from './index.js';

/** Synthetic store rows for the width recipe: κ and λ*min at step 0 per (width, seed), plus a later probe that must be ignored. */
function widthRows(kappa: (w: number, seed: number) => number, lmin: (w: number, seed: number) => number, widths = [8, 32, 128], seeds = [0, 1]) {
  const runs: StoreRow[] = [], probes: StoreRow[] = [];
  for (const w of widths) for (const s of seeds) {
    const id = `w${w}s${s}`;
    runs.push({ run_id: id, status: 'completed', hidden: `${w},${w}`, seed: s });
    // Later probes carry the opposite trend: the verdict must read the one at initialisation.
    probes.push({ run_id: id, step: 5, condition_median: 1 / kappa(w, s), lambda_min_star: 1 / lmin(w, s) });
    probes.push({ run_id: id, step: 0, condition_median: kappa(w, s), lambda_min_star: lmin(w, s) });
  }
  return { runs, probes };
}

const rowsNoise = (loss: (f: number, floor: number, seed: number) => number, fracs = [0, 0.25, 0.5], floorOf = (f: number) => f * 0.5623) =>
  ({
    runs: fracs.flatMap((f) => [0, 1].map((s) => ({ run_id: `c${f}s${s}`, status: 'completed', seed: s, data: `synthetic:conflicting?distinct=32&copies=4&dim=8&conflict=${f}`, data_floor: floorOf(f), train_loss: loss(f, floorOf(f), s) }))),
    probes: [],
  });

describe('spearman', () => {
  it('is ±1 for monotone series, handles ties by average rank, and matches a hand-computed value', () => {
    expect(spearman([1, 2, 3], [10, 5, 1])).toBeCloseTo(-1, 12);
    expect(spearman([1, 2, 3, 4], [1, 100, 1000, 1e9])).toBeCloseTo(1, 12);
    // ranks x: 1 2 3 4, y: 1 3 2 4 → Σd² = 2, ρ = 1 − 6·2/(4·15) = 0.8
    expect(spearman([1, 2, 3, 4], [5, 7, 6, 9])).toBeCloseTo(0.8, 12);
    // ties: y ranks 1.5 1.5 3 → Pearson with 1 2 3 = 0.866…
    expect(spearman([1, 2, 3], [4, 4, 6])).toBeCloseTo(Math.sqrt(3) / 2, 12);
    expect(spearman([1, 2], [3, 3])).toBeNaN();
  });
});

describe('recipe width-kappa', () => {
  it('reproduced: κ falls and λ*min grows with width for every seed (the later probe with the opposite trend is ignored)', () => {
    const v = widthKappa.verdict(widthRows((w, s) => 100 / w + 1 + s * 0.01, (w) => w * 10));
    expect(v.map((r) => r.verdict)).toEqual(['reproduced', 'reproduced']);
    expect(v[0]!.value).toMatch(/width 8 → 128: median κ 13\.5 → 4\.13 → 1\.79 \(ρ = -1/);
    expect(v[0]!.seeds).toBe('0,1');
  });
  it('contradicted: κ rises with width', () => {
    const v = widthKappa.verdict(widthRows((w) => w, (w) => 1 / w));
    expect(v.map((r) => r.verdict)).toEqual(['contradicted', 'contradicted']);
    expect(v[0]!.why).toMatch(/≥ 0\.5/);
  });
  it('inconclusive: medians fall but one seed rises; and too few widths; and a flat κ', () => {
    // Seed 1 rises steeply from a low start while seed 0 falls: the medians still fall.
    const k = (w: number, s: number) => (s === 0 ? 1000 / w : { 8: 1, 32: 2, 128: 3 }[w]!);
    const split = widthKappa.verdict(widthRows(k, (w) => w));
    expect(spearman([8, 32, 128], [500.5, 16.6, 5.4])).toBe(-1); // the medians the verdict sees
    expect(split[0]!.verdict).toBe('inconclusive');
    expect(split[0]!.why).toMatch(/seed 1 disagrees/);
    expect(widthKappa.verdict(widthRows((w) => 1 / w, (w) => w, [8, 32]))[0]!.verdict).toBe('inconclusive');
    expect(widthKappa.verdict(widthRows(() => 2, (w) => w))[0]!.verdict).toBe('inconclusive');
  });
  it('reads κ = ∞ from the store ("Infinity") as non-finite and leaves failed runs out, saying so', () => {
    const d = widthRows((w) => 100 / w, (w) => w, [8, 16, 32, 128]);
    d.probes.find((p) => p.run_id === 'w16s0' && p.step === 0)!.condition_median = 'Infinity';
    d.runs.find((r) => r.run_id === 'w16s1')!.status = 'failed';
    const v = widthKappa.verdict(d);
    expect(v[0]!.verdict).toBe('reproduced');
    expect(v[0]!.why).toMatch(/1 non-finite value left out; 1 run left out \(failed\)/);
  });
});

describe('recipe label-noise-floor', () => {
  it('reads the conflict fraction from the data set (0.5 by default)', () => {
    expect(conflictOf({ data: 'synthetic:conflicting?distinct=8&conflict=0.25' })).toBe(0.25);
    expect(conflictOf({ data: 'synthetic:conflicting' })).toBe(0.5);
    expect(conflictOf({ data: 'mnist' })).toBeNaN();
  });
  it('reproduced: floors rise, every run ends within 10% + 0.05 nats above its floor', () => {
    const v = labelNoiseFloor.verdict(rowsNoise((_f, floor, s) => floor * 1.03 + 0.002 * s));
    expect(v.map((r) => r.verdict)).toEqual(['reproduced', 'reproduced', 'reproduced']);
    expect(v[0]!.value).toBe('conflict 0: 0, 0.25: 0.141, 0.5: 0.281 (data floor, nats)');
  });
  it('contradicted: a run ends below its floor, and a floor that falls with noise', () => {
    const below = labelNoiseFloor.verdict(rowsNoise((f, floor, s) => (f === 0.5 && s === 0 ? floor - 0.01 : floor)));
    expect(below[1]!.verdict).toBe('contradicted');
    expect(below[1]!.why).toMatch(/1 run below floor − 0\.001 \(e\.g\. conflict 0\.5 seed 0/);
    const falls = labelNoiseFloor.verdict(rowsNoise((_f, floor) => floor, [0, 0.25, 0.5], (f) => (f === 0.5 ? 0.1 : f)));
    expect(falls[0]!.verdict).toBe('contradicted');
  });
  it('inconclusive: a run far above its floor (not trained enough), and equal floors', () => {
    const far = labelNoiseFloor.verdict(rowsNoise((f, floor) => (f === 0.25 ? floor * 1.5 : floor)));
    expect(far[1]!.verdict).toBe('inconclusive');
    expect(far[1]!.why).toMatch(/train longer/);
    // Just inside the rule: 0.141·1.1 + 0.05 = 0.205 ≥ 0.2.
    expect(labelNoiseFloor.verdict(rowsNoise((f, floor) => (f === 0.25 ? 0.2 : floor)))[1]!.verdict).toBe('reproduced');
    expect(labelNoiseFloor.verdict(rowsNoise((_f, floor) => floor, [0, 0.25, 0.5], () => 0.2))[0]!.verdict).toBe('inconclusive');
  });
});

describe('the recipe list', () => {
  it('has unique ids, one-sentence claims with sources, and a quick size smaller than the full one', () => {
    expect(new Set(RECIPES.map((r) => r.id)).size).toBe(RECIPES.length);
    for (const r of RECIPES) {
      expect(r.claim.trim().split(/\.\s/).length, r.id).toBe(1);
      expect(r.source).toMatch(/arXiv/);
      if (r.kind === 'direct') {
        expect(r.describe('quick'), r.id).not.toBe(r.describe('full'));
        continue;
      }
      const q = r.spec('quick'), f = r.spec('full');
      const size = (s: typeof q) => Object.values(s.grid).reduce((n, v) => n * v.length, 1) * (s.list?.length ?? 1) * (typeof s.seeds === 'number' ? s.seeds : s.seeds.length);
      expect(size(q)).toBeLessThan(size(f));
      expect(q.name).not.toBe(f.name);
    }
    expect(() => findRecipe('nope')).toThrow(/unknown recipe "nope"; known: width-kappa, depth-skip, sparsity, label-noise-floor, batch-size, bound-loss-correlation, generalization-gap, precursor-depth-skip, convex-duality-gap, deep-linear-rank-one, spline-1d \(/);
  });
});

describe('recipe depth-skip', () => {
  /** κ at init per (depth, skip, seed); a later probe with κ = 1 everywhere must be ignored. */
  const rows = (kappa: (d: number, skip: boolean, seed: number) => number, depths = [1, 2, 4]) => {
    const runs: StoreRow[] = [], probes: StoreRow[] = [];
    for (const d of depths) for (const skip of [false, true]) for (const s of [0, 1]) {
      const id = `d${d}${skip}s${s}`;
      runs.push({ run_id: id, status: 'completed', hidden: Array(d).fill('32').join(','), skip, seed: s });
      probes.push({ run_id: id, step: 0, condition_median: kappa(d, skip, s) }, { run_id: id, step: 5, condition_median: 1 });
    }
    return { runs, probes };
  };
  it('reproduced: plain κ grows with depth (×8), skip κ grows less (×1.5)', () => {
    const v = depthSkip.verdict(rows((d, skip, s) => (skip ? 4 + d / 2 : 4 * d * d) + s));
    expect(v.map((r) => r.verdict)).toEqual(['reproduced', 'reproduced']);
    // seed 0: plain 4 → 64 (×16), skip 4.5 → 6 (×1.33)
    expect(v[1]!.value).toMatch(/seed 0: ×16 vs ×1\.33/);
    expect(v[1]!.seeds).toBe('0,1');
  });
  it('contradicted: plain κ falls with depth, and skips grow κ more', () => {
    const v = depthSkip.verdict(rows((d, skip) => (skip ? 10 * d : 10 / d)));
    expect(v.map((r) => r.verdict)).toEqual(['contradicted', 'contradicted']);
  });
  it('inconclusive: seeds split on skips; a single depth', () => {
    const split = depthSkip.verdict(rows((d, skip, s) => (skip ? (s === 0 ? 1 : 100 * d) : 4 * d)));
    expect(split[0]!.verdict).toBe('reproduced');
    expect(split[1]!.verdict).toBe('inconclusive');
    expect(split[1]!.why).toMatch(/seeds split: 1 of 2/);
    expect(depthSkip.verdict(rows(() => 3, [2])).map((r) => r.verdict)).toEqual(['inconclusive', 'inconclusive']);
  });
});
