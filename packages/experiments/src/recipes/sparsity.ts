import { leftOut, num, usable } from './stats.js';
import { trendVerdict, type Point } from './trend.js';
import type { RecipeData, StoreRow, SweepRecipe, VerdictRow } from './types.js';
import { firstProbes } from './width-kappa.js';

/**
 * Thresholds: the ρ rule of width-kappa (≥ 0.8 in the predicted direction with every seed agreeing
 * reproduces, 0.5 the other way contradicts). The quick size has 4 sparsity levels, so one swapped
 * neighbour pair (ρ = 0.8) still reproduces and a strictly opposite order (ρ = −1) contradicts.
 *
 * The paper only names sparsity as a factor (abstract); its mechanism and direction are not
 * retrievable (spec theory.md §3.7). The predictions checked are the spec's reconstruction: a mask
 * cuts the effective parameter count P (and the rank of the Jacobian), which should lower λ*min
 * and, as for narrower nets (width-kappa), raise κ. The first row checks the premise (that the
 * mask really removes parameters from the count); the other two are marked [reconstruction].
 */
export const SPARSITY_THRESHOLDS = { reproduce: 0.8, contradict: 0.5 } as const;

/** A run's sparsity (0 when the option was not set: dense). */
export const runSparsity = (run: StoreRow): number => (run.sparsity === undefined || run.sparsity === null ? 0 : num(run.sparsity));

/** The effective (unmasked) parameter count summary.json records; NaN when absent. */
export function effectiveParameters(run: StoreRow): number {
  if (typeof run.summary_json !== 'string') return Number.NaN;
  try { return num((JSON.parse(run.summary_json) as { effectiveParameters?: unknown }).effectiveParameters); } catch { return Number.NaN; }
}

/**
 * Recipe `sparsity`: masking hidden weights cuts the effective parameter count, lowers λ*min and
 * (the spec's reconstruction) raises the median κ(Aₓ) at initialisation; judged by Spearman ρ
 * against {@link SPARSITY_THRESHOLDS}.
 */
export const sparsity: SweepRecipe = {
  kind: 'sweep',
  id: 'sparsity',
  claim: 'Sparsity shapes trainability: masking a fraction of the hidden weights cuts the effective parameter count, which lowers λ*min at initialisation (the spec\'s reconstructed direction); the recipe also tests its own guess, by analogy with width, that the median κ(Aₓ) rises.',
  source: 'Qi, Conjugate Learning Theory (arXiv 2602.16177), abstract (sparsity named as a factor); mechanism and direction not retrievable, the checked direction is the spec\'s reconstruction (spec theory.md §3.7 "Sparsity", INF)',
  spec: (size) => size === 'quick'
    ? {
      name: 'reproduce-sparsity-quick',
      // As width-kappa: the claim is about initialisation, the probe at step 0 is the one read.
      base: { data: 'synthetic:gaussian?n=200&dim=8&classes=3', hidden: '64,64', steps: 5, batch: 16, 'probe-size': 16, 'probe-every': 5 },
      grid: { sparsity: [0, 0.5, 0.75, 0.9] },
      seeds: 2,
    }
    : {
      name: 'reproduce-sparsity-full',
      base: { data: 'mnist', limit: 2000, hidden: '256,256', steps: 20, batch: 32, 'probe-size': 64, 'probe-every': 10 },
      grid: { sparsity: [0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99] },
      seeds: 5,
    },
  verdict(data: RecipeData): VerdictRow[] {
    const at = firstProbes(data), why = leftOut(data.runs);
    const pts = (col: string): Point[] => at.map(({ run, probe }) => ({ x: runSparsity(run), seed: num(run.seed), y: num(probe[col]) }));
    const rows = [
      trendVerdict(data.runs.filter(usable).map((r) => ({ x: runSparsity(r), seed: num(r.seed), y: effectiveParameters(r) })),
        { check: 'premise: the mask cuts the effective (unmasked) parameter count', xName: 'sparsity', yName: 'effective parameters', direction: 'down', ...SPARSITY_THRESHOLDS }),
      trendVerdict(pts('lambda_min_star'), { check: 'λ*min at init falls with sparsity [reconstruction]', xName: 'sparsity', yName: 'λ*min', direction: 'down', ...SPARSITY_THRESHOLDS }),
      trendVerdict(pts('condition_median'), { check: 'median κ(Aₓ) at init rises with sparsity [a guess by analogy with width; the spec predicts no κ direction]', xName: 'sparsity', yName: 'median κ', direction: 'up', ...SPARSITY_THRESHOLDS }),
    ];
    return rows.map((r) => ({ ...r, why: r.why + why }));
  },
};
