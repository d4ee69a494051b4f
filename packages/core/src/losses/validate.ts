import { isFloat } from '../ir/dtype.js';
import { ShapeError } from '../ir/shape.js';
import type { Tensor } from '../ir/tensor.js';
import { oneHot, where } from '../ir/tensor.js';
import type { TargetDomain } from './fenchel-young.js';

/** Tolerance on Σ y = 1 and on y ≥ 0 for simplex targets (float32 proportions pass). */
export const SIMPLEX_TOL = 1e-6;

/** Thrown for bad loss inputs: labels out of range, targets off the domain, NaN logits. */
export class LossInputError extends Error {
  constructor(loss: string, message: string) {
    super(`${loss}: ${message}`);
    this.name = 'LossInputError';
  }
}

/** Throw unless every logit is finite (NaN/±∞ logits give meaningless losses and gradients). */
export function checkLogits(loss: string, eta: ArrayLike<number>): void {
  for (let j = 0; j < eta.length; j++) {
    const v = eta[j]!;
    if (!Number.isFinite(v))
      throw new LossInputError(loss, `logit ${j} is ${v}; logits must be finite (check the model output for overflow or NaN)`);
  }
}

export function checkSameLength(loss: string, eta: ArrayLike<number>, y: ArrayLike<number>): void {
  if (eta.length !== y.length)
    throw new LossInputError(loss, `logits have ${eta.length} entries but the target has ${y.length}; give one target entry per output`);
}

/**
 * Throw unless `y` (one sample, or n samples of length d laid out row-major) lies in `domain`:
 * 'simplex' (y ≥ 0, Σ y = 1 per row, within `tol`), 'binary' ([0, 1]), 'nonnegative', 'real'
 * (finite). The message names the first offending row and entry.
 */
export function validateTargetsIn(loss: string, domain: TargetDomain, y: ArrayLike<number>, d = y.length, tol = SIMPLEX_TOL): void {
  if (d <= 0 || y.length % d !== 0)
    throw new LossInputError(loss, `target length ${y.length} is not a multiple of the output size d = ${d}`);
  const n = y.length / d;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const v = y[i * d + j]!;
      const where = n > 1 ? `row ${i}, entry ${j}` : `entry ${j}`;
      if (!Number.isFinite(v)) throw new LossInputError(loss, `target ${where} is ${v}; targets must be finite`);
      if ((domain === 'simplex' || domain === 'nonnegative') && v < -tol)
        throw new LossInputError(loss, `target ${where} is ${v} < 0; ${domain === 'simplex' ? 'simplex targets are probabilities' : 'targets must be non-negative counts or rates'}`);
      if (domain === 'binary' && (v < -tol || v > 1 + tol))
        throw new LossInputError(loss, `target ${where} is ${v}, outside [0, 1]; give 0/1 labels or probabilities`);
      s += v;
    }
    if (domain === 'simplex' && Math.abs(s - 1) > tol * Math.max(1, d))
      throw new LossInputError(loss, `target ${n > 1 ? `row ${i} ` : ''}sums to ${s}, not 1; ${loss} needs a probability vector: use oneHotLabels() for class labels or normalize the proportions`);
  }
}

/**
 * THE class-label check, shared by every path that takes labels from the host (oneHotLabels,
 * train(), the probes): throws a `LossInputError` unless `labels` is an array of integers in
 * [0, numClasses) (and of length `n` when given). The message names the first bad sample and value.
 */
export function validateLabels(where: string, labels: unknown, numClasses: number, n?: number): asserts labels is ArrayLike<number> {
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new LossInputError(where, `number of classes must be a positive integer, got ${numClasses}`);
  if (labels === null || typeof labels !== 'object' || typeof (labels as ArrayLike<number>).length !== 'number')
    throw new LossInputError(where, `labels must be an array (e.g. Int32Array) of class indices, got ${labels === null ? 'null' : typeof labels}`);
  const y = labels as ArrayLike<number>;
  if (n !== undefined && y.length !== n) throw new LossInputError(where, `${y.length} labels for ${n} samples; give one label per sample`);
  for (let i = 0; i < y.length; i++) {
    const c = y[i]!;
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c >= numClasses)
      throw new LossInputError(where, `label ${i} is ${String(c)}, outside the classes 0..${numClasses - 1}; labels must be integer class indices below the number of model outputs (${numClasses}): re-encode them as 0..${numClasses - 1} or enlarge the output layer`);
  }
}

/**
 * `validateLabels` on several label sets at once (e.g. train and test) against the classes of a
 * model with `outputs` outputs: K = outputs, or 2 for a one-output Bernoulli head (0/1 labels).
 */
export function validateLabelSets(where: string, sets: Record<string, unknown>, outputs: number, loss?: unknown): void {
  const binary = outputs === 1 && typeof loss === 'object' && loss !== null && (loss as { name?: unknown }).name === 'bernoulli';
  for (const [name, labels] of Object.entries(sets)) if (labels !== undefined) validateLabels(`${where} (${name} labels)`, labels, binary ? 2 : outputs);
}

/**
 * Integer class labels → row-major one-hot targets [n·d] in float64. Throws on a label that is not
 * an integer in [0, d).
 */
export function oneHotLabels(labels: ArrayLike<number>, d: number): Float64Array {
  validateLabels('oneHotLabels', labels, d);
  const out = new Float64Array(labels.length * d);
  for (let i = 0; i < labels.length; i++) out[i * d + labels[i]!] = 1;
  return out;
}

/**
 * A host loss argument as a Float64Array: typed float arrays and plain number arrays are accepted;
 * null, undefined, strings and other values get a message naming the argument (not a TypeError).
 */
export function asVector(loss: string, arg: string, v: unknown): Float64Array {
  if (v instanceof Float64Array) return v;
  if (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) return Float64Array.from(v as ArrayLike<number>, Number);
  const got = v === null ? 'null' : Array.isArray(v) ? 'an array' : ArrayBuffer.isView(v) ? (v as object).constructor.name : typeof v;
  throw new LossInputError(loss, `${arg} must be a Float64Array (or an array of numbers), got ${got}`);
}

/**
 * Trace-time checks for the IR composites (shapes and dtypes are static; values are not, so
 * ranges are checked by the host `validateTargets`). Returns the target as a float [n, d] tensor:
 * integer labels [n] become one-hots, integer/bool [n, d] targets are cast.
 */
export function irTargets(loss: string, eta: Tensor, y: Tensor, binaryLabels = false): Tensor {
  irLogits(loss, eta);
  const [n, d] = eta.shape as [number, number];
  if (y.rank === 1 && !isFloat(y.dtype)) {
    if (y.shape[0] !== n) throw new ShapeError(loss, `labels have shape [${y.shape}] but logits have ${n} rows`);
    // A binary Bernoulli head (d = 1) takes 0/1 labels directly; otherwise labels index classes.
    const binary = binaryLabels && d === 1, k = binary ? 2 : d;
    const t = binary ? y.cast(eta.dtype).reshape([n, 1]) : oneHot(y, d, eta.dtype);
    // Label values are unknown at trace time, and an out-of-range label would give an all-zero (or,
    // on ONNX's wrapping OneHot, a wrong) target and a plausible-looking wrong loss (1.5-entmax: −1.33).
    // Such rows get NaN targets instead; host entry points (train(), probes) reject them up front.
    const ge = y.greaterEqual(0), inRange = where(ge, y.less(k), ge).reshape([n, 1]); // ge ∧ (y < k)
    return where(inRange, t, NaN);
  }
  if (y.rank !== 2 || y.shape[0] !== n || y.shape[1] !== d)
    throw new ShapeError(loss, `targets have shape [${y.shape}] but logits have [${n},${d}]; give [n, d] targets or [n] integer labels`);
  if (!isFloat(y.dtype)) return y.cast(eta.dtype);
  if (y.dtype !== eta.dtype) throw new ShapeError(loss, `targets are ${y.dtype} but logits are ${eta.dtype}; cast one of them`);
  return y;
}

export function irLogits(loss: string, eta: Tensor): void {
  if (!isFloat(eta.dtype)) throw new ShapeError(loss, `logits must be f32 or f64, got ${eta.dtype}`);
  if (eta.rank !== 2) throw new ShapeError(loss, `logits must be a batch [n, d], got shape [${eta.shape}]; reshape a single sample to [1, d]`);
  if (eta.shape[1]! < 1) throw new ShapeError(loss, 'logits need at least one output (d ≥ 1)');
}
