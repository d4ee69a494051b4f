/** Timing statistics of one workload: every sample kept, summarized by median and quartiles. */
export interface Timing {
  readonly samplesMs: number[];
  readonly medianMs: number;
  readonly p25Ms: number;
  readonly p75Ms: number;
  readonly minMs: number;
}

export interface MeasureOptions {
  /** Untimed runs first (compilation, caches, JIT). */
  readonly warmup?: number;
  /** Timed samples at least. */
  readonly samples?: number;
  /** Keep sampling until this much time has passed (bounded by maxSamples). */
  readonly minTimeMs?: number;
  readonly maxSamples?: number;
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q, lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Time an async function: warm-up, then samples until both `samples` and `minTimeMs` are met.
 * Medians, not means: these machines are shared and noisy; figures are reported as ratios of
 * medians taken in the same run, never asserted in tests.
 */
export async function measure(fn: () => Promise<unknown> | unknown, options: MeasureOptions = {}): Promise<Timing> {
  const warmup = options.warmup ?? 2, minSamples = options.samples ?? 5, minTime = options.minTimeMs ?? 200, maxSamples = options.maxSamples ?? 200;
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < minSamples || (performance.now() - start < minTime && samples.length < maxSamples)) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return { samplesMs: samples, medianMs: quantile(sorted, 0.5), p25Ms: quantile(sorted, 0.25), p75Ms: quantile(sorted, 0.75), minMs: sorted[0]! };
}
