import { fmt, leftOut, median, num, seedText, usable } from './stats.js';
import type { StoreRow, SweepRecipe, Verdict, VerdictRow } from './types.js';

/**
 * Thresholds on Pearson r between log bound and log loss along training (the papers say "close to
 * 1" and give no number):
 * - reproduced: every seed's global r ≥ 0.9 and every seed's median sliding-window r ≥ 0.9
 *   (0.9 explains 81% of the variance of log loss: "close to 1" by any reading);
 * - contradicted: the median over seeds of the global r < 0.5 (a quarter of the variance at most,
 *   or a negative r: the bound does not track the loss);
 * - in between, or with a series that has no r (a constant or infinite bound): inconclusive.
 */
export const CORRELATION_THRESHOLDS = { reproduce: 0.9, contradict: 0.5 } as const;

/** One series of summary.json's `correlations.series`. */
interface SeriesSummary { label?: string; kind?: string; r?: number | null; slidingMin?: number | null; slidingMedian?: number | null }
interface Correlations { window?: number; probes?: number; series?: Record<string, SeriesSummary> }

/** The correlations a run's summary.json carries (null when absent). */
export function runCorrelations(run: StoreRow): Correlations | null {
  if (typeof run.summary_json !== 'string') return null;
  try { return ((JSON.parse(run.summary_json) as { correlations?: Correlations }).correlations) ?? null; } catch { return null; }
}

const rNum = (v: number | null | undefined): number => (typeof v === 'number' ? v : Number.NaN);

function seriesRow(key: string, label: string, runs: readonly { run: StoreRow; c: Correlations }[], baseline: string): VerdictRow {
  const { reproduce, contradict } = CORRELATION_THRESHOLDS;
  const per = runs.map(({ run, c }) => ({ seed: num(run.seed), r: rNum(c.series?.[key]?.r), med: rNum(c.series?.[key]?.slidingMedian), min: rNum(c.series?.[key]?.slidingMin), window: c.window }));
  const windows = [...new Set(per.map((p) => p.window))].join('/');
  const value = `global r ${per.map((p) => fmt(p.r)).join(' / ')}; sliding median ${per.map((p) => fmt(p.med)).join(' / ')}, min ${per.map((p) => fmt(p.min)).join(' / ')} (window ${windows}; per seed)`;
  const row = (verdict: Verdict, why: string): VerdictRow => ({ check: `${label}: Pearson r with the loss along training is close to 1`, value, seeds: seedText(runs.map(({ run }) => run)), verdict, why: `${why}; ${baseline}` });
  if (!per.length) return row('inconclusive', 'no run carries correlations in summary.json');
  const rs = per.map((p) => p.r), meds = per.map((p) => p.med);
  const medR = median(rs.filter(Number.isFinite));
  if (Number.isFinite(medR) && medR < contradict) return row('contradicted', `median global r ${fmt(medR)} < ${contradict}`);
  if (rs.every((r) => r >= reproduce) && meds.every((m) => m >= reproduce)) return row('reproduced', `every seed's global r and sliding median ≥ ${reproduce}`);
  const missing = rs.some((r) => !Number.isFinite(r)) ? ' (some seed has no r: a constant or infinite series)' : '';
  return row('inconclusive', `not every seed's global r and sliding median ≥ ${reproduce}, median global r not < ${contradict}${missing}`);
}

/**
 * Recipe `bound-loss-correlation`: along training, the log of each bound tracks the log of the
 * probe-set loss (Pearson r close to 1), read from the correlations in each run's summary.json and
 * judged by {@link CORRELATION_THRESHOLDS}.
 */
export const boundLossCorrelation: SweepRecipe = {
  kind: 'sweep',
  id: 'bound-loss-correlation',
  claim: 'Along training the bounds track the loss: the Pearson correlation between log bound and log loss, over the whole run and over sliding windows, is close to 1.',
  source: 'Qi, Conjugate Learning Theory (arXiv 2602.16177), §6 experiments ("dynamic Pearson correlation close to 1", review notes) and the precursor\'s protocol (global and 50-point sliding r; spec theory.md §6, §7 item 22)',
  spec: (size) => size === 'quick'
    ? {
      name: 'reproduce-bound-loss-correlation-quick',
      // 60 probes: window 15 (docs/guide.md's rule), so each run gives 46 windows.
      base: { data: 'synthetic:gaussian?n=400&dim=8&classes=3', hidden: '32,32', steps: 300, batch: 16, 'probe-size': 16, 'probe-every': 5, 'stall-probes': 0 },
      grid: {},
      seeds: 2,
    }
    : {
      name: 'reproduce-bound-loss-correlation-full',
      base: { data: 'mnist', hidden: '256,256', steps: 660, batch: 64, 'probe-size': 32, 'probe-every': 10, 'stall-probes': 0 },
      grid: {},
      seeds: 5,
    },
  verdict(data): VerdictRow[] {
    const runs = data.runs.filter(usable).flatMap((run) => { const c = runCorrelations(run); return c ? [{ run, c }] : []; }).sort((a, b) => num(a.run.seed) - num(b.run.seed));
    const series = runs[0]?.c.series ?? {};
    const bounds = Object.entries(series).filter(([, s]) => s.kind === 'bound');
    const baselines = Object.entries(series).filter(([, s]) => s.kind === 'baseline')
      .map(([k, s]) => `${(s.label ?? k).startsWith('baseline') ? '' : 'baseline '}${s.label ?? k}: median r ${fmt(median(runs.map(({ c }) => rNum(c.series?.[k]?.r)).filter(Number.isFinite)))}`).join('; ');
    const why = leftOut(data.runs);
    if (!bounds.length) return [{ check: 'bound–loss correlations', value: 'no run carries correlations in summary.json', seeds: seedText(data.runs), verdict: 'inconclusive', why: `run the sweep with probes on${why}` }];
    return bounds.map(([k, s]) => { const r = seriesRow(k, s.label ?? k, runs, baselines); return { ...r, why: r.why + why }; });
  },
};
