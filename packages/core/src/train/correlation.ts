/**
 * Pearson correlation between two series, globally and over a sliding window — the diagnostic the
 * CLT experiments report between log bound and log loss (spec theory.md §6, §7 item 22; the
 * precursor code used windows of 50 logged points). Pairs with a non-finite member are skipped.
 */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number | undefined {
  if (a.length !== b.length) throw new Error(`pearson: series of different lengths (${a.length} and ${b.length})`);
  let n = 0, sa = 0, sb = 0;
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i]!) && Number.isFinite(b[i]!)) { n++; sa += a[i]!; sb += b[i]!; }
  if (n < 3) return undefined;
  const ma = sa / n, mb = sb / n;
  let cab = 0, caa = 0, cbb = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]!) || !Number.isFinite(b[i]!)) continue;
    const da = a[i]! - ma, db = b[i]! - mb;
    cab += da * db; caa += da * da; cbb += db * db;
  }
  // A constant series has no correlation to speak of: undefined, not NaN.
  return caa > 0 && cbb > 0 ? cab / Math.sqrt(caa * cbb) : undefined;
}

/** r over windows [i − w + 1, i] for every i ≥ w − 1 (undefined where a window is degenerate). */
export function slidingPearson(a: ArrayLike<number>, b: ArrayLike<number>, window = 50): (number | undefined)[] {
  if (!(Number.isInteger(window) && window >= 3)) throw new Error(`slidingPearson: window must be an integer >= 3, got ${window}`);
  const out: (number | undefined)[] = [];
  const A = Array.from(a), B = Array.from(b);
  for (let i = window - 1; i < A.length; i++) out.push(pearson(A.slice(i - window + 1, i + 1), B.slice(i - window + 1, i + 1)));
  return out;
}

/**
 * The sliding window used for a run with `points` probes: a quarter of them, at least 5 and at most
 * 50 (50 logged points is the precursor code's window; a run of the default length has ~60 probes,
 * so a 50-point window would leave only a handful of windows). Documented in docs/guide.md; the
 * report, summary.json and `clt train --json` all use this one rule and state the value.
 */
export function correlationWindow(points: number): number {
  return Math.min(50, Math.max(5, Math.floor(points / 4)));
}

/** The probe-record fields the bound–loss correlations read (a structural subset of ProbeRecord). */
export interface CorrelationProbe {
  readonly step: number;
  readonly risk: number;
  readonly riskLower: number;
  readonly riskUpper: number;
  readonly riskUpperPminFree: number;
  readonly energy: number;
  readonly lambdaMinStar: number;
  readonly lambdaMaxStar: number;
  readonly indicator: number;
  readonly batchGradSq: number;
}

/** One series correlated against log₂ of the probe-set loss. */
export interface SeriesCorrelation {
  readonly key: string;
  readonly label: string;
  /** 'bound': a bound or the precursor's diagnostics; 'baseline': a quantity with no bound behind it, to compare against. */
  readonly kind: 'bound' | 'baseline';
  /** Global Pearson r over every probe (undefined with < 3 finite pairs or a constant series). */
  readonly r: number | undefined;
  readonly window: number;
  /** Sliding-window r, keyed by the probe step that closes each window. */
  readonly sliding: { step: number; r: number }[];
  readonly slidingMin: number | undefined;
  readonly slidingMedian: number | undefined;
  /** (log₂ series, log₂ loss) pairs with both finite. */
  readonly points: { step: number; bound: number; loss: number }[];
}

const log2 = (v: number) => (v > 0 ? Math.log2(v) : v === 0 ? -Infinity : NaN);

/**
 * The series whose log₂ is correlated with log₂ R̂ (spec theory.md §3.3–3.4 and §7 #22): the risk
 * sandwich's lower and two upper bounds, the precursor's U = log₂E − log₂λ*min, L = log₂E − log₂λ*max
 * and F, and as baselines log₂ E alone and log₂ ‖mean gradient‖², which show how much of a bound's
 * correlation the eigenvalues add.
 */
export const CORRELATION_SERIES: readonly { key: string; label: string; kind: 'bound' | 'baseline'; value: (p: CorrelationProbe) => number }[] = [
  { key: 'lowerBound', label: 'lower bound (1/n)Σ‖gᵢ‖²/(2λmax,i)', kind: 'bound', value: (p) => log2(p.riskLower) },
  { key: 'upperBound', label: 'upper bound (1/n)Σ‖gᵢ‖²/(pmin,i λmin,i)', kind: 'bound', value: (p) => log2(p.riskUpper) },
  { key: 'upperBoundPminFree', label: 'pmin-free upper bound (1/n)Σ −log(1 − ‖gᵢ‖/√λmin,i)', kind: 'bound', value: (p) => log2(p.riskUpperPminFree) },
  { key: 'precursorU', label: 'precursor U = log₂E − log₂λ*min', kind: 'bound', value: (p) => log2(p.energy) - log2(p.lambdaMinStar) },
  { key: 'precursorL', label: 'precursor L = log₂E − log₂λ*max', kind: 'bound', value: (p) => log2(p.energy) - log2(p.lambdaMaxStar) },
  { key: 'indicator', label: 'indicator F = log₂E + log₂λ*max − log₂λ*min', kind: 'bound', value: (p) => p.indicator },
  { key: 'energy', label: 'baseline log₂ E (gradient energy alone)', kind: 'baseline', value: (p) => log2(p.energy) },
  { key: 'meanGradSq', label: 'baseline log₂ ‖mean gradient‖²', kind: 'baseline', value: (p) => log2(p.batchGradSq) },
];

function median(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Pearson r of log₂ of every series in CORRELATION_SERIES against log₂ of the probe-set loss,
 * globally and over a sliding window (`correlationWindow(probes.length)` unless given). The one
 * implementation behind the run report, summary.json and `clt train --json`.
 */
export function boundLossCorrelations(probes: readonly CorrelationProbe[], options: { window?: number } = {}): SeriesCorrelation[] {
  const window = options.window ?? correlationWindow(probes.length);
  const loss = probes.map((p) => log2(p.risk));
  return CORRELATION_SERIES.map(({ key, label, kind, value }) => {
    // Non-finite values (λmin = 0 makes U and the upper bounds +∞) are skipped pair-wise by pearson.
    const series = probes.map((p) => { const v = value(p); return Number.isFinite(v) ? v : NaN; });
    const sl = probes.length >= window ? slidingPearson(series, loss, window) : [];
    const sliding = sl.flatMap((r, i) => (r === undefined ? [] : [{ step: probes[i + window - 1]!.step, r }]));
    const rs = sliding.map((s) => s.r);
    return {
      key, label, kind, r: pearson(series, loss), window, sliding,
      slidingMin: rs.length ? Math.min(...rs) : undefined, slidingMedian: median(rs),
      points: probes.flatMap((p, i) => (Number.isFinite(series[i]!) && Number.isFinite(loss[i]!) ? [{ step: p.step, bound: series[i]!, loss: loss[i]! }] : [])),
    };
  });
}

/** What summary.json and `clt train --json` carry: per series r, sliding min / median and the window, as plain JSON (null for undefined). */
export interface CorrelationSummary {
  readonly against: string;
  readonly window: number;
  readonly probes: number;
  readonly series: Record<string, { label: string; kind: 'bound' | 'baseline'; r: number | null; slidingMin: number | null; slidingMedian: number | null; windows: number }>;
}

/**
 * The bound–loss correlations of a run's probes ({@link boundLossCorrelations}) as summary.json and
 * `clt train --json` carry them: per series, the global Pearson r against log₂ of the probe-set loss,
 * the sliding-window min and median and the number of windows, with null for undefined.
 */
export function correlationSummary(probes: readonly CorrelationProbe[], options: { window?: number } = {}): CorrelationSummary {
  const all = boundLossCorrelations(probes, options);
  return {
    against: 'log₂ of the probe-set loss, per probe; each series in log₂',
    window: all[0]?.window ?? correlationWindow(probes.length),
    probes: probes.length,
    series: Object.fromEntries(all.map((c) => [c.key, { label: c.label, kind: c.kind, r: c.r ?? null, slidingMin: c.slidingMin ?? null, slidingMedian: c.slidingMedian ?? null, windows: c.sliding.length }])),
  };
}
