/**
 * Stall detection: a run that trains to the end without its loss moving is labelled `stalled`
 * instead of `completed` (issue 18: a depth-8 `--skip` MLP sits at loss ≈ log 10 for the whole run).
 *
 * The rule, on the loss above the data floor e_k = max(0, ℓ_k − R̂*) at each probe (the probe-set
 * loss; the training loss at each evaluation when probes are off), counting only points at or after
 * the end of the learning-rate warm-up:
 *
 *   stalled  ⇔  e_last > (1 − fraction)·e_{last−K}            (no fall by `fraction` over the last K points)
 *            and e_last > ½·e_first                            (and not even halved since warm-up)
 *
 * The second clause keeps converged runs `completed`: a run that has learned and then flattens out
 * (weight decay, a cosine schedule's tail, the data floor) has not stalled, it has finished. The
 * check is made once, at the end — training is never stopped early, so a run that escapes a
 * plateau late is not cut short and stalled runs stay comparable (same steps) with the others.
 */
export interface StallOptions {
  /** K: points (probes) the loss must fall over. Default 10; 0 disables. */
  readonly probes?: number;
  /** The fraction it must fall by over K points. Default 0.01; 0 disables. */
  readonly fraction?: number;
}

/** Default stall rule: the loss above the data floor must fall by 1 % (fraction 0.01) over the last 10 points (probes). */
export const STALL_DEFAULTS = { probes: 10, fraction: 0.01 } as const;

/**
 * The numbers behind a `stalled` status, from {@link detectStall}: the rule (fraction, K points), step
 * and loss K points before the end and at the end, the loss at the first point after warm-up, the data
 * floor, and which loss the points are.
 */
export interface Stall {
  readonly fraction: number;
  readonly probes: number;
  /** Step and loss K points before the end, and at the end. */
  readonly fromStep: number;
  readonly lossFrom: number;
  readonly step: number;
  readonly lossTo: number;
  /** Loss at the first point after warm-up (the "not halved since" reference). */
  readonly lossAtWarmup: number;
  readonly dataFloor: number;
  /** Which loss the points are: the probe-set loss, or the training loss at evaluations. */
  readonly series: 'probe-set loss' | 'training loss';
}

/** Check options once, with a message that says what to pass. */
export function validateStallOptions(o: StallOptions | false | undefined): void {
  if (!o) return;
  if (o.probes !== undefined && !(Number.isInteger(o.probes) && o.probes >= 0)) throw new Error(`stall: probes must be a non-negative integer (0 disables stall detection), got ${o.probes}`);
  if (o.fraction !== undefined && !(o.fraction >= 0 && o.fraction < 1)) throw new Error(`stall: fraction must be in [0, 1) (0 disables stall detection), got ${o.fraction}`);
}

/**
 * The stall, if the rule above says the run stalled; `points` are (step, loss) in step order.
 * Undefined when disabled or when fewer than K + 1 points lie after the warm-up.
 */
export function detectStall(points: readonly { step: number; loss: number }[], o: { options?: StallOptions | false; warmup: number; dataFloor: number; series: Stall['series'] }): Stall | undefined {
  if (o.options === false) return undefined;
  const K = o.options?.probes ?? STALL_DEFAULTS.probes, f = o.options?.fraction ?? STALL_DEFAULTS.fraction;
  if (K === 0 || f === 0) return undefined;
  const after = points.filter((p) => p.step >= o.warmup && Number.isFinite(p.loss));
  if (after.length < K + 1) return undefined;
  const excess = (l: number) => Math.max(0, l - o.dataFloor);
  const first = after[0]!, from = after[after.length - 1 - K]!, last = after[after.length - 1]!;
  const stuck = excess(last.loss) > (1 - f) * excess(from.loss) && excess(last.loss) > 0.5 * excess(first.loss);
  return stuck ? { fraction: f, probes: K, fromStep: from.step, lossFrom: from.loss, step: last.step, lossTo: last.loss, lossAtWarmup: first.loss, dataFloor: o.dataFloor, series: o.series } : undefined;
}
