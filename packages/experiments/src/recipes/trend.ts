import { fmt, groupBy, median, seedText, spearman } from './stats.js';
import type { Verdict, VerdictRow } from './types.js';

/** One measured point: the factor's value, the seed, and the quantity. */
export interface Point { readonly x: number; readonly seed: number; readonly y: number }

export interface TrendRule {
  readonly check: string;
  /** Names for the value column, e.g. `width`, `median κ`. */
  readonly xName: string;
  readonly yName: string;
  /** The direction the claim predicts. */
  readonly direction: 'up' | 'down';
  /** |Spearman ρ| of the per-x medians at least this, in the predicted direction, and every seed's ρ of that sign: reproduced. */
  readonly reproduce: number;
  /** ρ at least this far the other way: contradicted. */
  readonly contradict: number;
}

/**
 * The verdict on a monotone trend: the Spearman ρ between the factor and the median over seeds of
 * the quantity, and each seed's own ρ (so one seed pulling the other way shows). Rank correlation,
 * not Pearson: the claims are about direction, and κ spans orders of magnitude.
 */
export function trendVerdict(points: readonly Point[], rule: TrendRule): VerdictRow {
  const finite = points.filter((p) => Number.isFinite(p.y) && Number.isFinite(p.x));
  const seeds = seedText(finite.map((p) => ({ seed: p.seed })));
  const byX = groupBy(finite, (p) => p.x);
  const row = (verdict: Verdict, value: string, why: string): VerdictRow => ({ check: rule.check, value, seeds, verdict, why });
  const dropped = points.length - finite.length;
  const note = dropped ? `; ${dropped} non-finite value${dropped === 1 ? '' : 's'} left out` : '';
  if (byX.length < 3) return row('inconclusive', `${byX.length} ${rule.xName} value${byX.length === 1 ? '' : 's'}`, `a trend needs at least 3 ${rule.xName} values with data${note}`);
  const xs = byX.map(([x]) => x), meds = byX.map(([, ps]) => median(ps.map((p) => p.y)));
  const rho = spearman(xs, meds);
  const sign = rule.direction === 'up' ? 1 : -1;
  const perSeed = groupBy(finite, (p) => p.seed).map(([s, ps]) => [s, spearman(ps.map((p) => p.x), ps.map((p) => p.y))] as const);
  const against = perSeed.filter(([, r]) => !(sign * r > 0));
  const value = `${rule.xName} ${fmt(xs[0]!)} → ${fmt(xs[xs.length - 1]!)}: ${rule.yName} ${meds.map(fmt).join(' → ')} (ρ = ${fmt(rho)}; per seed ${perSeed.map(([s, r]) => `${s}: ${fmt(r)}`).join(', ')})`;
  const want = `ρ ${sign > 0 ? '≥' : '≤'} ${fmt(sign * rule.reproduce)} with every seed ${sign > 0 ? 'rising' : 'falling'}`;
  if (sign * rho >= rule.reproduce && against.length === 0) return row('reproduced', value, `${want}${note}`);
  if (-sign * rho >= rule.contradict) return row('contradicted', value, `ρ ${sign > 0 ? '≤' : '≥'} ${fmt(-sign * rule.contradict)}: the ${rule.yName} moves against the claim${note}`);
  const miss = sign * rho >= rule.reproduce ? `seed${against.length === 1 ? '' : 's'} ${against.map(([s]) => s).join(',')} disagree${against.length === 1 ? 's' : ''}` : `ρ = ${fmt(rho)} misses the threshold`;
  return row('inconclusive', value, `${miss} (reproduced needs ${want}; contradicted needs ρ ${sign > 0 ? '≤' : '≥'} ${fmt(-sign * rule.contradict)})${note}`);
}
