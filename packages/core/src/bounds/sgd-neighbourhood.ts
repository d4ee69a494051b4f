import { BoundsInputError, checkCount, checkNonNegative } from './errors.js';

/** The quantities of the SGD neighbourhood term ε² + 4L(n − m)M/m of {@link sgdNeighbourhoodTerm}: ε, smoothness L, n, batch size m and M. */
export interface SgdNeighbourhoodInput {
  /** ε, the target accuracy of Theorem 12 (its exact role is not known; see the spec). */
  readonly epsilon: number;
  /** L, a global bound on the Hessian norm (smoothness); e.g. `HessianProbe`'s `smoothness`. */
  readonly smoothness: number;
  /** n, the number of training samples. */
  readonly n: number;
  /** m, the mini-batch size (1 ≤ m ≤ n). */
  readonly batchSize: number;
  /** M = max_k |R_out(θ_{k+1}) − R_out(θ_k)|, e.g. from an `OutOfBatchChange` accumulator. */
  readonly M: number;
}

/**
 * The neighbourhood that mini-batch SGD with step 1/(2L) reaches, as paraphrased from Theorem 12
 * by the public review notes (docs/theory.md §3.5 [NOTE]; what exactly it bounds and the role of ε
 * were not retrievable):
 *
 *     ε² + 4L(n − m)·M / m          (m = 1: ε² + 4L(n − 1)M;  m = n: ε²)
 *
 * M is trajectory-dependent and not controlled a priori (the review's caveat), so this is a
 * diagnostic to track over training and across batch sizes, not a guarantee. Cost: O(1).
 * @see docs/theory.md §3.5, §3.6, §7 item 15.
 */
export function sgdNeighbourhoodTerm(s: SgdNeighbourhoodInput): number {
  const where = 'sgdNeighbourhoodTerm';
  checkNonNegative(where, 'ε', s.epsilon);
  checkNonNegative(where, 'smoothness L', s.smoothness);
  checkNonNegative(where, 'M', s.M);
  checkCount(where, 'n', s.n);
  checkCount(where, 'batch size m', s.batchSize);
  if (s.batchSize > s.n) throw new BoundsInputError(where, `batch size m = ${s.batchSize} exceeds n = ${s.n}`);
  const tail = s.batchSize === s.n ? 0 : (4 * s.smoothness * (s.n - s.batchSize) * s.M) / s.batchSize;
  return s.epsilon * s.epsilon + tail;
}

/**
 * Accumulates M = max_k |R_out(θ_{k+1}) − R_out(θ_k)|, the largest change of the out-of-batch loss
 * caused by one SGD update along the actual trajectory (docs/theory.md §3.5). Feed it once per
 * step, either the two out-of-batch risks or the per-sample losses before and after the step with
 * the batch indices. Whether R_out is a mean or a sum is not known from the paper; `observeLosses`
 * takes `reduce` ('mean' by default) so the choice is explicit.
 *
 * Cost: O(1) per `observe`; O(n) per `observeLosses` (the out-of-batch loss costs one extra forward
 * pass over the n − m other samples per step, which the trainer pays).
 */
export class OutOfBatchChange {
  private max = 0;
  private sum = 0;
  private count = 0;
  private lastChange = NaN;

  /** Record one step: R_out before and after the update (same out-of-batch set). Returns |Δ|. */
  observe(before: number, after: number): number {
    if (!Number.isFinite(before) || !Number.isFinite(after))
      throw new BoundsInputError('OutOfBatchChange.observe', `out-of-batch losses ${before} → ${after} must be finite; a diverged step has no meaningful M`);
    const c = Math.abs(after - before);
    if (c > this.max) this.max = c;
    this.sum += c; this.count++; this.lastChange = c;
    return c;
  }

  /**
   * Record one step from per-sample losses of all n samples before and after the update and the
   * indices of the batch B_k: R_out = mean (or sum) of the losses outside B_k. Returns |Δ|.
   */
  observeLosses(before: ArrayLike<number>, after: ArrayLike<number>, batch: ArrayLike<number>, reduce: 'mean' | 'sum' = 'mean'): number {
    const where = 'OutOfBatchChange.observeLosses', n = before.length;
    if (after.length !== n) throw new BoundsInputError(where, `${n} losses before the step but ${after.length} after; give all n per-sample losses both times`);
    const inBatch = new Uint8Array(n);
    for (let k = 0; k < batch.length; k++) {
      const i = batch[k]!;
      if (!Number.isInteger(i) || i < 0 || i >= n) throw new BoundsInputError(where, `batch index ${i} is not a sample index in 0..${n - 1}`);
      inBatch[i] = 1;
    }
    let b = 0, a = 0, out = 0;
    for (let i = 0; i < n; i++) if (!inBatch[i]) { b += before[i]!; a += after[i]!; out++; }
    if (out === 0) return this.observe(0, 0); // full batch: no out-of-batch samples, no change
    return reduce === 'mean' ? this.observe(b / out, a / out) : this.observe(b, a);
  }

  /** M: the largest |Δ R_out| so far (0 before any step). */
  get M(): number { return this.max; }
  /** Number of steps observed. */
  get steps(): number { return this.count; }
  /** Mean |Δ R_out| over the steps (NaN before any step). */
  get meanChange(): number { return this.count ? this.sum / this.count : NaN; }
  /** |Δ R_out| of the last step (NaN before any step). */
  get last(): number { return this.lastChange; }

  /** The neighbourhood term ε² + 4L(n − m)M/m with the M accumulated so far. */
  term(s: Omit<SgdNeighbourhoodInput, 'M'>): number {
    return sgdNeighbourhoodTerm({ ...s, M: this.max });
  }

  reset(): void {
    this.max = 0; this.sum = 0; this.count = 0; this.lastChange = NaN;
  }
}
