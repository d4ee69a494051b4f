import { fmt, groupBy, leftOut, median, num, seedText, usable } from './stats.js';
import { trendVerdict } from './trend.js';
import type { SweepRecipe, StoreRow, Verdict, VerdictRow } from './types.js';

/**
 * Thresholds, in nats of cross-entropy.
 * - BELOW_TOL: the floor is an infimum over all models, so a final loss below it is impossible up
 *   to float32 evaluation error (the loss is a mean of ~10² terms in f32: ~1e-6 relative); 1e-3
 *   is far above that and far below any real gap.
 * - REACH_FACTOR / REACH_ABS: "SGD ends at the floor" = loss − floor ≤ REACH_FACTOR·floor + REACH_ABS.
 *   10% of the floor is a visible but small excess; REACH_ABS covers floor 0 (no noise), where
 *   weight decay and a finite run keep the loss a little above 0 (with 300 steps ≈ 0.01–0.03).
 */
export const LABEL_NOISE_THRESHOLDS = { BELOW_TOL: 1e-3, REACH_FACTOR: 0.1, REACH_ABS: 0.05 } as const;

/** The conflict fraction of a run's `synthetic:conflicting?…&conflict=f` data set (0.5 when not given, the data set's default). */
export function conflictOf(run: StoreRow): number {
  const data = String(run.data ?? '');
  if (!data.startsWith('synthetic:conflicting')) return Number.NaN;
  const v = new URLSearchParams(data.split('?')[1] ?? '').get('conflict');
  return v === null ? 0.5 : Number(v);
}

function floorRises(runs: readonly StoreRow[]): VerdictRow {
  const by = groupBy(runs, conflictOf).filter(([x]) => Number.isFinite(x));
  const floors = by.map(([x, rs]) => [x, median(rs.map((r) => num(r.data_floor)))] as const);
  const value = `conflict ${floors.map(([x, f]) => `${fmt(x)}: ${fmt(f)}`).join(', ')} (data floor, nats)`;
  const row = (verdict: Verdict, why: string): VerdictRow => ({ check: 'the data floor rises with label noise', value, seeds: seedText(runs), verdict, why });
  if (floors.length < 2) return row('inconclusive', 'needs at least 2 noise levels with data');
  const steps = floors.slice(1).map(([, f], i) => f - floors[i]![1]);
  if (steps.some((d) => !Number.isFinite(d))) return row('inconclusive', 'a noise level has no data floor recorded');
  if (steps.some((d) => d < 0)) return row('contradicted', 'the floor falls between some consecutive noise levels');
  if (steps.every((d) => d > 0)) return row('reproduced', 'strictly increasing across every noise level');
  return row('inconclusive', 'equal floors at consecutive noise levels (not strictly increasing)');
}

function endsAtFloor(runs: readonly StoreRow[]): VerdictRow {
  const { BELOW_TOL, REACH_FACTOR, REACH_ABS } = LABEL_NOISE_THRESHOLDS;
  const gaps = runs.map((r) => ({ r, loss: num(r.train_loss), floor: num(r.data_floor) })).filter((g) => Number.isFinite(g.loss) && Number.isFinite(g.floor));
  const excess = gaps.map((g) => g.loss - g.floor);
  const value = gaps.length ? `loss − floor from ${fmt(Math.min(...excess))} to ${fmt(Math.max(...excess))} nats over ${gaps.length} runs` : 'no runs with a final loss and a floor';
  const row = (verdict: Verdict, why: string): VerdictRow => ({ check: 'SGD ends at the floor, never below it', value, seeds: seedText(gaps.map((g) => g.r)), verdict, why });
  if (!gaps.length) return row('inconclusive', 'nothing to compare');
  const below = gaps.filter((g) => g.loss < g.floor - BELOW_TOL);
  if (below.length) return row('contradicted', `${below.length} run${below.length === 1 ? '' : 's'} below floor − ${BELOW_TOL} (e.g. conflict ${fmt(conflictOf(below[0]!.r))} seed ${num(below[0]!.r.seed)}: ${fmt(below[0]!.loss)} < ${fmt(below[0]!.floor)})`);
  const far = gaps.filter((g) => g.loss - g.floor > REACH_FACTOR * g.floor + REACH_ABS);
  const rule = `loss − floor ≤ ${REACH_FACTOR}·floor + ${REACH_ABS}`;
  if (far.length) return row('inconclusive', `${far.length} run${far.length === 1 ? '' : 's'} not yet at the floor (${rule} fails, e.g. conflict ${fmt(conflictOf(far[0]!.r))} seed ${num(far[0]!.r.seed)}: ${fmt(far[0]!.loss)} vs ${fmt(far[0]!.floor)}); train longer`);
  return row('reproduced', `every run within ${rule} and none below floor − ${BELOW_TOL}`);
}

/**
 * Recipe `label-noise-floor`: conflicting labels raise the model-agnostic floor on the empirical
 * risk, and SGD ends at that floor, never below it; a sweep over the conflict fraction of
 * `synthetic:conflicting` data, judged by {@link LABEL_NOISE_THRESHOLDS}.
 */
export const labelNoiseFloor: SweepRecipe = {
  kind: 'sweep',
  id: 'label-noise-floor',
  claim: 'Data determines the limit of trainability: label noise (inputs repeated with conflicting labels) raises the model-agnostic floor on the empirical risk, and SGD ends at that floor, never below it.',
  source: 'Qi, Conjugate Learning Theory (arXiv 2602.16177), abstract and §4 "model-agnostic lower bound on achievable empirical risk" (spec theory.md §4)',
  spec: (size) => size === 'quick'
    ? {
      name: 'reproduce-label-noise-floor-quick',
      base: { hidden: '32,32', steps: 300, batch: 16, 'probe-size': 8, 'probe-every': 100 },
      grid: { data: [0, 0.25, 0.5].map((f) => `synthetic:conflicting?distinct=32&copies=4&dim=8&conflict=${f}`) },
      seeds: 2,
    }
    : {
      name: 'reproduce-label-noise-floor-full',
      base: { hidden: '128,128', steps: 3000, batch: 32, 'probe-size': 32, 'probe-every': 100 },
      grid: { data: [0, 0.1, 0.25, 0.5, 0.75, 1].map((f) => `synthetic:conflicting?distinct=128&copies=4&dim=16&conflict=${f}`) },
      seeds: 5,
    },
  verdict(data): VerdictRow[] {
    const runs = data.runs.filter(usable), why = leftOut(data.runs);
    const loss = trendVerdict(runs.map((r) => ({ x: conflictOf(r), seed: num(r.seed), y: num(r.train_loss) })),
      { check: 'the final train loss rises with label noise', xName: 'conflict', yName: 'median final loss', direction: 'up', reproduce: 0.8, contradict: 0.5 });
    return [floorRises(runs), endsAtFloor(runs), loss].map((r) => ({ ...r, why: r.why + why }));
  },
};
