import { fmt, groupBy, leftOut, median, num } from './stats.js';
import { trendVerdict } from './trend.js';
import type { SweepRecipe, RecipeData, StoreRow, Verdict, VerdictRow } from './types.js';
import { firstProbes } from './width-kappa.js';

/**
 * Thresholds: the same ρ rule as width-kappa (≥ 0.8 reproduces, the other way by 0.5 contradicts).
 * For skips the claim is relative ("κ stays flat where plain nets' κ grows"), so the check compares
 * growth factors κ(deepest)/κ(shallowest) seed by seed: every seed smaller with skips reproduces,
 * every seed larger contradicts, a split is inconclusive. LayerNorm (alone, and with skips) gets the
 * same comparison against plain nets: the papers use LayerNorm in place of BatchNorm (theory.md §6)
 * but state no trend for it, so its rows measure the same prediction for that variant.
 */
export const DEPTH_SKIP_THRESHOLDS = { reproduce: 0.8, contradict: 0.5 } as const;

/** A run's depth: its number of hidden layers. */
export const runDepth = (run: StoreRow): number => String(run.hidden ?? '').split(',').filter((s) => s.trim() !== '').length;
const isSkip = (run: StoreRow): boolean => run.skip === true || run.skip === 'true';
const isLayerNorm = (run: StoreRow): boolean => run.layer_norm === true || run.layer_norm === 'true';

/** The architecture variants compared against plain nets (no skips, no LayerNorm). */
export const DEPTH_VARIANTS = [
  { name: 'skip', label: 'skips', is: (r: StoreRow) => isSkip(r) && !isLayerNorm(r) },
  { name: 'layer-norm', label: 'LayerNorm', is: (r: StoreRow) => !isSkip(r) && isLayerNorm(r) },
  { name: 'skip+layer-norm', label: 'skips and LayerNorm', is: (r: StoreRow) => isSkip(r) && isLayerNorm(r) },
] as const;
const isPlain = (r: StoreRow): boolean => !isSkip(r) && !isLayerNorm(r);

/** κ(deepest) / κ(shallowest) per seed, for runs of one kind (skip or plain). */
function growth(at: readonly { run: StoreRow; probe: StoreRow }[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const [seed, ps] of groupBy(at, ({ run }) => num(run.seed))) {
    const ok = ps.filter(({ probe }) => Number.isFinite(num(probe.condition_median))).sort((a, b) => runDepth(a.run) - runDepth(b.run));
    if (ok.length >= 2 && runDepth(ok[0]!.run) < runDepth(ok.at(-1)!.run)) out.set(seed, num(ok.at(-1)!.probe.condition_median) / num(ok[0]!.probe.condition_median));
  }
  return out;
}

/** Per seed: does κ grow less with depth for the variant than for plain nets? */
function flatterThanPlain(data: RecipeData, variant: (typeof DEPTH_VARIANTS)[number]): VerdictRow {
  const at = firstProbes(data);
  const plain = growth(at.filter(({ run }) => isPlain(run))), other = growth(at.filter(({ run }) => variant.is(run)));
  const seeds = [...plain.keys()].filter((s) => other.has(s)).sort((a, b) => a - b);
  const value = seeds.length ? `κ growth shallowest → deepest, plain vs ${variant.name}: ${seeds.map((s) => `seed ${s}: ×${fmt(plain.get(s)!)} vs ×${fmt(other.get(s)!)}`).join('; ')} (medians ×${fmt(median(seeds.map((s) => plain.get(s)!)))} vs ×${fmt(median(seeds.map((s) => other.get(s)!)))})` : `no seed with plain and ${variant.name} runs at two depths`;
  const row = (verdict: Verdict, why: string): VerdictRow => ({ check: `with ${variant.label} κ grows less with depth than without`, value, seeds: seeds.join(','), verdict, why });
  if (!seeds.length) return row('inconclusive', `needs, for some seed, plain and ${variant.name} runs at two or more depths`);
  const less = seeds.filter((s) => other.get(s)! < plain.get(s)!);
  if (less.length === seeds.length) return row('reproduced', `every seed's κ grows less with ${variant.label}`);
  if (less.length === 0) return row('contradicted', `every seed's κ grows more with ${variant.label}`);
  return row('inconclusive', `seeds split: ${less.length} of ${seeds.length} grow less with ${variant.label}`);
}

/**
 * Recipe `depth-skip`: at initialisation the median κ(Aₓ) of a plain MLP grows with depth and grows
 * less with skip connections (LayerNorm measured alike); judged by {@link DEPTH_SKIP_THRESHOLDS}.
 */
export const depthSkip: SweepRecipe = {
  kind: 'sweep',
  id: 'depth-skip',
  claim: 'Depth without skip connections hurts conditioning: at initialisation the median κ(Aₓ) of a plain MLP grows with depth, while with skip connections it grows less (stays near flat); LayerNorm, alone and with skips, is measured the same way.',
  source: 'Qi, Conjugate Learning Theory (arXiv 2602.16177), §3.7 "Depth" and "Skip connections" (spec theory.md §3.7; precursor arXiv 2406.05666, 2410.05807)',
  spec: (size) => size === 'quick'
    ? {
      name: 'reproduce-depth-skip-quick',
      base: { data: 'synthetic:gaussian?n=200&dim=8&classes=3', steps: 5, batch: 16, 'probe-size': 16, 'probe-every': 5 },
      grid: { hidden: ['32', '32,32', '32,32,32,32'], skip: [false, true], 'layer-norm': [false, true] },
      seeds: 2,
    }
    : {
      name: 'reproduce-depth-skip-full',
      base: { data: 'mnist', limit: 2000, steps: 20, batch: 32, 'probe-size': 64, 'probe-every': 10 },
      grid: { hidden: [1, 2, 3, 4, 6, 8].map((d) => Array(d).fill('64').join(',')), skip: [false, true], 'layer-norm': [false, true] },
      seeds: 5,
    },
  verdict(data): VerdictRow[] {
    const at = firstProbes(data), why = leftOut(data.runs);
    const plain = at.filter(({ run }) => isPlain(run));
    // A variant the sweep did not run (e.g. an older spec without LayerNorm) gets no row.
    const present = DEPTH_VARIANTS.filter((v) => data.runs.some(v.is));
    const rows = [
      trendVerdict(plain.map(({ run, probe }) => ({ x: runDepth(run), seed: num(run.seed), y: num(probe.condition_median) })),
        { check: 'plain nets: median κ(Aₓ) at init grows with depth', xName: 'depth', yName: 'median κ', direction: 'up', ...DEPTH_SKIP_THRESHOLDS }),
      ...present.map((v) => flatterThanPlain(data, v)),
    ];
    return rows.map((r) => ({ ...r, why: r.why + why }));
  },
};
