import { leftOut, num, usable } from './stats.js';
import { trendVerdict, type Point } from './trend.js';
import type { SweepRecipe, RecipeData, StoreRow, VerdictRow } from './types.js';

/**
 * Thresholds. With 3 widths Spearman ρ takes the values ±1, ±0.5, 0, so −0.8 means "strictly
 * falling" at quick size and tolerates one swapped neighbour pair at full size (7 widths: ρ ≈ −0.96).
 * +0.5 the other way is a clear rise, not noise of one pair, so it contradicts; in between says
 * nothing either way.
 */
export const WIDTH_KAPPA_THRESHOLDS = { reproduce: 0.8, contradict: 0.5 } as const;

/** A run's width: its widest hidden layer (the recipe's nets have equal widths). */
export function runWidth(run: StoreRow): number {
  const h = String(run.hidden ?? '').split(',').map(Number).filter(Number.isFinite);
  return h.length ? Math.max(...h) : Number.NaN;
}

/** Each usable run's first probe (the one at initialisation: step 0 in these sweeps). */
export function firstProbes(data: RecipeData): { run: StoreRow; probe: StoreRow }[] {
  const first = new Map<string, StoreRow>();
  for (const p of data.probes) {
    const id = String(p.run_id), cur = first.get(id);
    if (!cur || num(p.step) < num(cur.step)) first.set(id, p);
  }
  return data.runs.filter(usable).flatMap((run) => { const probe = first.get(String(run.run_id)); return probe ? [{ run, probe }] : []; });
}

/**
 * Recipe `width-kappa`: at initialisation, wider nets have better-conditioned per-sample structure
 * matrices (median κ(Aₓ) falls towards 1) and a larger λ*min; read at each run's first probe,
 * judged by Spearman ρ against {@link WIDTH_KAPPA_THRESHOLDS}.
 */
export const widthKappa: SweepRecipe = {
  kind: 'sweep',
  id: 'width-kappa',
  claim: 'Over-parameterisation helps trainability: at initialisation, widening the net makes the per-sample structure matrices better conditioned (median κ(Aₓ) falls towards 1) and raises λ*min.',
  source: 'Qi, Conjugate Learning Theory (arXiv 2602.16177), §3.7 "Parameter count / width" (spec theory.md §3.7; precursor arXiv 2503.23016, 2410.05807)',
  spec: (size) => size === 'quick'
    ? {
      name: 'reproduce-width-kappa-quick',
      // A few steps only: the claim is about initialisation; the probe at step 0 is the one read.
      base: { data: 'synthetic:gaussian?n=200&dim=8&classes=3', steps: 5, batch: 16, 'probe-size': 16, 'probe-every': 5 },
      grid: { hidden: ['8,8', '32,32', '128,128'] },
      seeds: 2,
    }
    : {
      name: 'reproduce-width-kappa-full',
      base: { data: 'mnist', limit: 2000, steps: 20, batch: 32, 'probe-size': 64, 'probe-every': 10 },
      grid: { hidden: ['8,8', '16,16', '32,32', '64,64', '128,128', '256,256', '512,512'] },
      seeds: 5,
    },
  verdict(data): VerdictRow[] {
    const at = firstProbes(data), why = leftOut(data.runs);
    const pts = (col: string): Point[] => at.map(({ run, probe }) => ({ x: runWidth(run), seed: num(run.seed), y: num(probe[col]) }));
    const rows = [
      trendVerdict(pts('condition_median'), { check: 'median κ(Aₓ) at init falls with width', xName: 'width', yName: 'median κ', direction: 'down', ...WIDTH_KAPPA_THRESHOLDS }),
      trendVerdict(pts('lambda_min_star'), { check: 'λ*min at init grows with width', xName: 'width', yName: 'λ*min', direction: 'up', ...WIDTH_KAPPA_THRESHOLDS }),
    ];
    return rows.map((r) => ({ ...r, why: r.why + why }));
  },
};
