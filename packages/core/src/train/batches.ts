import { Rng } from '../util/random.js';

/**
 * The seeded batch order: epoch e visits the training rows in the permutation drawn by
 * Rng(mix(seed, e)), in consecutive batches of `batch` rows (the last partial batch is dropped, so
 * every step has the same static shape and compiles once). Because the order is a pure function of
 * (seed, step), a resumed run needs no generator state beyond the step to continue exactly.
 */
export class BatchOrder {
  readonly stepsPerEpoch: number;
  private epoch = -1;
  private perm: Int32Array = new Int32Array(0);

  constructor(readonly n: number, readonly batch: number, readonly seed: number) {
    if (!(Number.isInteger(batch) && batch >= 1)) throw new Error(`batch must be a positive integer, got ${batch}`);
    if (batch > n) throw new Error(`batch ${batch} is larger than the ${n} training rows; use --batch ${n} or less`);
    this.stepsPerEpoch = Math.floor(n / batch);
  }

  /** Row indices of the batch used by step `step` (0-based). */
  rows(step: number): Int32Array {
    const e = Math.floor(step / this.stepsPerEpoch);
    if (e !== this.epoch) {
      this.perm = new Rng(mix(this.seed, e)).permutation(this.n);
      this.epoch = e;
    }
    const k = step % this.stepsPerEpoch;
    return this.perm.subarray(k * this.batch, (k + 1) * this.batch);
  }

  epochOf(step: number): number {
    return Math.floor(step / this.stepsPerEpoch);
  }
}

function mix(seed: number, epoch: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0;
}

/** Copy rows `idx` of a row-major [n, w] array into `out` (reused between steps: no allocation). */
export function gatherRows(src: ArrayLike<number>, w: number, idx: ArrayLike<number>, out: Float32Array | Float64Array): void {
  for (let k = 0; k < idx.length; k++) {
    const r = idx[k]! * w, o = k * w;
    for (let j = 0; j < w; j++) out[o + j] = src[r + j]!;
  }
}
