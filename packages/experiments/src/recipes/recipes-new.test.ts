import { describe, expect, it } from 'vitest';
import {
  batchSize, boundLossCorrelation, convexDualityGap, deepLinearRankOne, depthSkip, generalizationGap, precursorDepthSkip, sparsity, spline1d, splineLasso,
  type ConvexProblemResult, type DeepLinearRun, type GeneralizationData, type SplineProblemResult, type StoreRow,
} from './index.js';

const verdicts = (rows: { verdict: string }[]) => rows.map((r) => r.verdict);

describe('recipe batch-size', () => {
  /** Runs at batches 8, 32, 128 × seeds 0, 1 with the neighbourhood term and M at probes (the last finite one counts) and a final loss. */
  const rows = (term: (b: number, s: number) => number, M: (b: number, s: number) => number, loss: (b: number, s: number) => number) => {
    const runs: StoreRow[] = [], probes: StoreRow[] = [];
    for (const b of [8, 32, 128]) for (const s of [0, 1]) {
      const id = `b${b}s${s}`, steps = Math.ceil(1600 / b);
      runs.push({ run_id: id, status: 'completed', batch: b, seed: s, steps_run: steps, train_loss: loss(b, s) });
      // Early probe: the opposite trend; the last probe has no term yet ("NaN" as the store gives it): must be skipped.
      probes.push({ run_id: id, step: 0, neighbourhood: 1 / term(b, s), m: 1 / M(b, s) }, { run_id: id, step: steps - 5, neighbourhood: term(b, s), m: M(b, s) }, { run_id: id, step: steps, neighbourhood: 'NaN', m: 'NaN' });
    }
    return { runs, probes };
  };
  it('reproduced: the term falls, M and the final loss rise with the batch, for every seed', () => {
    const v = batchSize.verdict(rows((b, s) => 400 / b + s, (b, s) => 0.01 * b + s * 1e-3, (b) => 0.1 + b / 1000));
    expect(verdicts(v)).toEqual(['reproduced', 'reproduced', 'reproduced']);
    expect(v[0]!.value).toMatch(/batch 8 → 128: term 50\.5 → 13 → 3\.63 \(ρ = -1/);
    expect(v[0]!.why).toMatch(/samples seen per batch: 8: 1600\/1600, 32: 1600\/1600, 128: 1664\/1664/);
  });
  it('contradicted: the term rises with the batch; inconclusive: M flat, the loss split between seeds', () => {
    const v = batchSize.verdict(rows((b) => b, () => 1, (b, s) => (s === 0 ? b : 1 / b)));
    expect(verdicts(v)).toEqual(['contradicted', 'inconclusive', 'inconclusive']);
  });
});

describe('recipe bound-loss-correlation', () => {
  const summary = (r: Record<string, [number | null, number | null]>) => JSON.stringify({
    correlations: { window: 15, probes: 60, series: Object.fromEntries(Object.entries(r).map(([k, [g, med]]) => [k, { label: k, kind: k.startsWith('base') ? 'baseline' : 'bound', r: g, slidingMin: med === null ? null : med - 0.1, slidingMedian: med }])) },
  });
  const data = (s0: Record<string, [number | null, number | null]>, s1 = s0) => ({
    runs: [{ run_id: 'a', status: 'completed', seed: 0, summary_json: summary(s0) }, { run_id: 'b', status: 'completed', seed: 1, summary_json: summary(s1) }, { run_id: 'c', status: 'failed', seed: 2 }],
    probes: [],
  });
  it('one row per bound series: ≥ 0.9 everywhere reproduces, median r < 0.5 contradicts, a miss or a null r is inconclusive', () => {
    const v = boundLossCorrelation.verdict(data(
      { lowerBound: [0.99, 0.98], upperBound: [-0.3, 0.2], indicator: [0.95, 0.85], precursorU: [null, null], baseE: [0.88, 0.9] },
      { lowerBound: [0.95, 0.92], upperBound: [0.1, 0.5], indicator: [0.97, 0.95], precursorU: [null, null], baseE: [0.86, 0.9] },
    ));
    expect(v.map((r) => [r.check.split(':')[0], r.verdict])).toEqual([['lowerBound', 'reproduced'], ['upperBound', 'contradicted'], ['indicator', 'inconclusive'], ['precursorU', 'inconclusive']]);
    expect(v[0]!.value).toBe('global r 0.99 / 0.95; sliding median 0.98 / 0.92, min 0.88 / 0.82 (window 15; per seed)');
    expect(v[0]!.seeds).toBe('0,1');
    expect(v[0]!.why).toMatch(/baseline baseE: median r 0\.87; 1 run left out \(failed\)/);
    expect(v[3]!.why).toMatch(/some seed has no r/);
  });
  it('no correlations in any summary: one inconclusive row', () => {
    expect(verdicts(boundLossCorrelation.verdict({ runs: [{ run_id: 'a', status: 'completed', seed: 0 }], probes: [] }))).toEqual(['inconclusive']);
  });
});

describe('recipe generalization-gap', () => {
  const gen = (gap: number, lo: number, hi: number, riskUpper: number, classes = 3): GeneralizationData => ({
    testRows: 180, classes, delta: 0.05,
    rows: [{ bound: 'Hoeffding (two-sided)', quantity: '0-1 error', risk: { lower: 0, upper: riskUpper }, gap: { lower: lo, upper: hi }, measuredGap: gap, measuredGapInside: gap >= lo && gap <= hi, status: 'textbook' }],
  });
  const runs = [0, 1].map((s) => ({ run_id: `r${s}`, status: 'completed', seed: s }));
  it('reproduced inside and below chance; contradicted outside; inconclusive when vacuous or missing', () => {
    expect(verdicts(generalizationGap.verdict({ runs, probes: [], generalization: { r0: gen(0.05, -0.02, 0.12, 0.3), r1: gen(0.04, -0.03, 0.1, 0.25) } }))).toEqual(['reproduced']);
    const out = generalizationGap.verdict({ runs, probes: [], generalization: { r0: gen(0.2, -0.02, 0.12, 0.3), r1: gen(0.04, -0.03, 0.1, 0.25) } });
    expect(out[0]!.verdict).toBe('contradicted');
    expect(out[0]!.why).toMatch(/1 of 2 runs outside \(e\.g\. seed 0: gap 0\.2 ∉ \[-0\.02, 0\.12\]\)/);
    // Chance 0-1 error with 3 classes is 2/3: an upper end of 0.7 says nothing.
    const vac = generalizationGap.verdict({ runs, probes: [], generalization: { r0: gen(0.05, -0.02, 0.12, 0.7), r1: gen(0.04, -0.03, 0.1, 0.25) } });
    expect(vac[0]!.verdict).toBe('inconclusive');
    expect(vac[0]!.why).toMatch(/vacuous for 1 of 2.*0\.7 ≥ 0\.667/);
    expect(verdicts(generalizationGap.verdict({ runs, probes: [], generalization: { r0: null } }))).toEqual(['inconclusive']);
  });
});

describe('recipe precursor-depth-skip', () => {
  const rows = (acc: (d: number, skip: boolean, s: number) => number) => ({
    runs: [1, 4, 8].flatMap((d) => [false, true].flatMap((skip) => [0, 1].map((s) => ({ run_id: `d${d}${skip}${s}`, status: 'completed', hidden: Array(d).fill('10').join(','), skip, seed: s, test_accuracy: acc(d, skip, s) })))),
    probes: [],
  });
  it('reproduced: plain accuracy falls with depth, skips keep it', () => {
    const v = precursorDepthSkip.verdict(rows((d, skip, s) => (skip ? 0.85 : 0.85 - 0.05 * d) + 0.01 * s));
    expect(verdicts(v)).toEqual(['reproduced', 'reproduced']);
    expect(v[1]!.value).toBe('depth 8, test accuracy plain vs skip: seed 0: 0.45 vs 0.85; seed 1: 0.46 vs 0.86');
  });
  it('contradicted: plain accuracy rises with depth and skips hurt; inconclusive: within the 0.02 margin', () => {
    expect(verdicts(precursorDepthSkip.verdict(rows((d, skip) => (skip ? 0.5 : 0.5 + 0.03 * d))))).toEqual(['contradicted', 'contradicted']);
    expect(precursorDepthSkip.verdict(rows((d, skip) => 0.8 - 0.01 * d + (skip ? 0.01 : 0)))[1]!.verdict).toBe('inconclusive');
  });
});

describe('recipe depth-skip with LayerNorm', () => {
  const rows = (kappa: (d: number, skip: boolean, ln: boolean) => number) => {
    const runs: StoreRow[] = [], probes: StoreRow[] = [];
    for (const d of [1, 2, 4]) for (const skip of [false, true]) for (const ln of [false, true]) for (const s of [0, 1]) {
      const id = `d${d}${skip}${ln}${s}`;
      runs.push({ run_id: id, status: 'completed', hidden: Array(d).fill('32').join(','), skip, layer_norm: ln, seed: s });
      probes.push({ run_id: id, step: 0, condition_median: kappa(d, skip, ln) + s * 0.01 });
    }
    return { runs, probes };
  };
  it('one row per variant against plain nets (plain = neither skips nor LayerNorm)', () => {
    // Plain ×4, skip ×1.5, LayerNorm ×8 (grows more), skip + LayerNorm ×1.25.
    const v = depthSkip.verdict(rows((d, skip, ln) => (skip && ln ? 4 + d / 4 : skip ? 4 + d / 2 : ln ? 2 * d * d : 1 + d)));
    expect(v.map((r) => r.check)).toEqual([
      'plain nets: median κ(Aₓ) at init grows with depth', 'with skips κ grows less with depth than without',
      'with LayerNorm κ grows less with depth than without', 'with skips and LayerNorm κ grows less with depth than without',
    ]);
    expect(verdicts(v)).toEqual(['reproduced', 'reproduced', 'contradicted', 'reproduced']);
    expect(v[2]!.value).toMatch(/seed 0: ×2\.5 vs ×16/);
  });
});

describe('recipe convex-duality-gap', () => {
  const p = (name: string, primal: number, dual: number, objectives: number[], certified = true): ConvexProblemResult => ({
    name, n: 8, d: 3, patterns: 58, certified, primal, dual, relativeGap: (primal - dual) / primal, recoveredWidth: 5, width: 20, runs: objectives.map((objective, seed) => ({ seed, objective })),
  });
  it('reproduced: certified gap 0, GD never below p* and its best within 1%', () => {
    const v = convexDualityGap.verdict({ beta: 0.1, problems: [p('a', 1, 1 - 1e-9, [1.001, 1.2]), p('b', 2, 2, [2.0001])] });
    expect(verdicts(v)).toEqual(['reproduced', 'reproduced', 'reproduced']);
    expect(v[2]!.value).toMatch(/a: best GD 1 vs p\* 1 \(\(obj − p\*\)\/p\* 1\.00e-3; width 20\)/);
  });
  it('contradicted: a GD net below the certified optimum, or dual above primal', () => {
    const v = convexDualityGap.verdict({ beta: 0.1, problems: [p('a', 1, 1.01, [0.99])] });
    expect(verdicts(v)).toEqual(['contradicted', 'contradicted', 'reproduced']);
  });
  it('inconclusive: a solve not certified, GD stuck 5% above p*', () => {
    const v = convexDualityGap.verdict({ beta: 0.1, problems: [p('a', 1, 0.9, [1.05], false)] });
    expect(verdicts(v)).toEqual(['inconclusive', 'inconclusive', 'inconclusive']);
  });
});

describe('recipe deep-linear-rank-one', () => {
  const run = (seed: number, over: Partial<DeepLinearRun> = {}): DeepLinearRun => ({ problem: 'p', depth: 3, seed, objective: 10, optimum: 10, maxRankRatio: 1e-9, minAlignment: 1 - 1e-12, imbalance: 1e-9, ...over });
  const fac = [{ problem: 'p', depth: 3, objective: 10, optimum: 10 }];
  it('reproduced: optimal runs rank-one and aligned, the factorization at the optimum', () => {
    expect(verdicts(deepLinearRankOne.verdict({ runs: [run(0), run(1, { objective: 10 + 1e-7 })], factorized: fac }))).toEqual(['reproduced', 'reproduced', 'reproduced']);
  });
  it('contradicted: an optimal run of rank two, a misaligned one, a run below the optimum', () => {
    const v = deepLinearRankOne.verdict({ runs: [run(0, { maxRankRatio: 0.3, minAlignment: 0.5 }), run(1, { objective: 9.9 })], factorized: fac });
    expect(verdicts(v)).toEqual(['contradicted', 'contradicted', 'contradicted']);
    expect(v[0]!.why).toMatch(/seed 0: 0\.3/);
  });
  it('inconclusive: no run reached the optimum (then its rank says nothing); a rank ratio between the thresholds', () => {
    expect(verdicts(deepLinearRankOne.verdict({ runs: [run(0, { objective: 11, maxRankRatio: 0.5 })], factorized: fac })).slice(0, 2)).toEqual(['inconclusive', 'inconclusive']);
    expect(deepLinearRankOne.verdict({ runs: [run(0, { maxRankRatio: 1e-3 })], factorized: fac })[0]!.verdict).toBe('inconclusive');
  });
});

describe('recipe spline-1d', () => {
  it('splineLasso: with a free bias, kinks only at the data fit a kink between two points as well (closed-form tie); with a penalised bias, not', () => {
    // y = |x| sampled at −1, 1: the kink at 0 sits between the data. Free bias: the data-kink
    // dictionary reaches the same objective (an off-data column is a convex combination of data columns, same cost).
    const x = [-1, 1, 2], y = [1, 1, 2];
    for (const lambda of [1e-3, 1e-1]) {
      const free = [splineLasso(x, y, x, lambda, 'free'), splineLasso(x, y, [...x, 0, 0.5, -0.5], lambda, 'free')];
      expect(Math.abs(free[0]!.objective - free[1]!.objective)).toBeLessThan(1e-9);
    }
    // Penalised: the weight √(1 + t²) is smaller at t = 0 than at the data points ±1, 2: the off-data kink is cheaper.
    const pen = [splineLasso(x, y, x, 1e-2, 'penalised'), splineLasso(x, y, [...x, 0], 1e-2, 'penalised')];
    expect(pen[1]!.objective).toBeLessThan(pen[0]!.objective * (1 - 1e-4));
  });
  it('splineLasso: matches the closed form of a two-point problem', () => {
    // Free bias, x = (−1, 1), y = (0, 2), atoms (x)₊ = (0, 1) and (−x)₊ = (1, 0). Centred, they are
    // ±u with u = (−0.5, 0.5), and ȳ-centred y = (−1, 1); with a = α₊ − α₋ (cost ≥ λ|a|):
    // ½‖(−1, 1) − a·u‖² + λ|a| = (1 − a/2)² + λa, minimal at a = 2 − 2λ with value 2λ − λ².
    const lambda = 0.1, r = splineLasso([-1, 1], [0, 2], [0], lambda, 'free');
    expect(r.objective).toBeCloseTo(2 * lambda - lambda * lambda, 10);
    // The free constant: f(x) = c + α₊x₊ + α₋(−x)₊ fits the mean: c = ȳ − mean(f − c).
    const f = (x: number) => r.c + r.alpha[0]! * Math.max(0, x) + r.alpha[1]! * Math.max(0, -x);
    expect((f(-1) + f(1)) / 2).toBeCloseTo(1, 10);
    expect(f(1) - f(-1)).toBeCloseTo(2 - 2 * lambda, 10);
  });
  const p = (name: string, bias: 'free' | 'penalised', dataKinks: number, anyKinks: number): SplineProblemResult => ({ name, n: 6, bias, dataKinks, anyKinks, maxDeviation: 1e-3, maxResidual: 1e-3 });
  it('verdict: free-bias tie reproduces, a lower off-data optimum contradicts; the penalised contrast is read the same way', () => {
    const v = spline1d.verdict({ lambda: 1e-3, grid: 100, problems: [p('p0', 'free', 1, 1 - 1e-9), p('p0', 'penalised', 1.2, 1.1), p('p1', 'free', 2, 2), p('p1', 'penalised', 2, 1.9)] });
    expect(verdicts(v)).toEqual(['reproduced', 'reproduced']);
    const w = spline1d.verdict({ lambda: 1e-3, grid: 100, problems: [p('p0', 'free', 1, 0.9), p('p0', 'penalised', 1, 1), p('p1', 'free', 2, 2), p('p1', 'penalised', 2, 1.9)] });
    expect(verdicts(w)).toEqual(['contradicted', 'inconclusive']);
    expect(w[0]!.why).toMatch(/on p0$/);
  });
});

describe('recipe sparsity', () => {
  /** Runs at sparsity 0, 0.5, 0.75, 0.9 × seeds 0, 1: effective P in summary_json, κ and λ*min at step 0 (a later probe with the opposite trend must be ignored). */
  const rows = (eff: (sp: number) => number, lmin: (sp: number, s: number) => number, kappa: (sp: number, s: number) => number, levels = [0, 0.5, 0.75, 0.9]) => {
    const runs: StoreRow[] = [], probes: StoreRow[] = [];
    for (const sp of levels) for (const s of [0, 1]) {
      const id = `sp${sp}s${s}`;
      // A dense run's store row may lack the column (option not set): read as sparsity 0.
      runs.push({ run_id: id, status: 'completed', seed: s, ...(sp === 0 ? {} : { sparsity: sp }), summary_json: JSON.stringify({ effectiveParameters: eff(sp) }) });
      probes.push({ run_id: id, step: 5, lambda_min_star: 1 / lmin(sp, s), condition_median: 1 / kappa(sp, s) }, { run_id: id, step: 0, lambda_min_star: lmin(sp, s), condition_median: kappa(sp, s) });
    }
    return { runs, probes };
  };
  const dense = 5000, eff = (sp: number) => Math.round(dense * (1 - sp));
  it('reproduced: the mask cuts P, λ*min falls and κ rises with sparsity for every seed', () => {
    const v = sparsity.verdict(rows(eff, (sp, s) => 100 * (1 - sp) + s, (sp, s) => 1 + sp * 4 + s * 0.1));
    expect(verdicts(v)).toEqual(['reproduced', 'reproduced', 'reproduced']);
    expect(v[0]!.value).toMatch(/^sparsity 0 → 0\.9: effective parameters 5000 → 2500 → 1250 → 500 \(ρ = -1/);
    // λ*min medians: seeds 0 and 1 are 100(1 − sp) and that + 1, so medians 100.5, 50.5, 25.5, 10.5
    expect(v[1]!.value).toMatch(/λ\*min 101 → 50\.5 → 25\.5 → 10\.5 \(ρ = -1/);
    expect(v[2]!.check).toMatch(/a guess by analogy/);
    expect(v[0]!.seeds).toBe('0,1');
  });
  it('contradicted: the count ignores the mask (issue 18\'s dense count, constant: no trend) and λ*min rises, κ falls', () => {
    const v = sparsity.verdict(rows(() => dense, (sp) => 1 + sp, (sp) => 10 - sp));
    expect(verdicts(v)).toEqual(['inconclusive', 'contradicted', 'contradicted']);
    expect(v[0]!.why).toMatch(/misses the threshold/);
  });
  it('inconclusive: one seed against the trend; too few sparsity levels; failed runs are left out and said', () => {
    const split = sparsity.verdict(rows(eff, (sp, s) => (s === 0 ? 10 - sp : 10 + sp * 0.01), (sp) => 1 + sp));
    // Medians (10.005 − 0.495·sp) still fall, but seed 1 rises.
    expect(split[1]!.verdict).toBe('inconclusive');
    expect(split[1]!.why).toMatch(/seed 1 disagrees/);
    expect(verdicts(sparsity.verdict(rows(eff, (sp) => 1 - sp, (sp) => 1 + sp, [0, 0.5])))).toEqual(['inconclusive', 'inconclusive', 'inconclusive']);
    const d = rows(eff, (sp) => 1 - sp, (sp) => 1 + sp);
    d.runs.find((r) => r.run_id === 'sp0.5s1')!.status = 'failed';
    const v = sparsity.verdict(d);
    expect(verdicts(v)).toEqual(['reproduced', 'reproduced', 'reproduced']);
    expect(v[0]!.why).toMatch(/1 run left out \(failed\)/);
  });
});
