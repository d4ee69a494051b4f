import { firstNonFiniteIndex } from '../util/finite.js';

/**
 * Thrown for bad inputs to the bounds: empty data, NaN, negative energies or eigenvalues, shapes
 * that do not match, a confidence δ outside (0, 1). The message names the argument and what to do.
 */
export class BoundsInputError extends Error {
  constructor(where: string, message: string) {
    super(`${where}: ${message}`);
    this.name = 'BoundsInputError';
  }
}

/** Throw unless v is a finite number ≥ 0 (or, with `allowInfinity`, +∞ too). */
export function checkNonNegative(where: string, what: string, v: number, allowInfinity = false): void {
  if (typeof v !== 'number' || Number.isNaN(v))
    throw new BoundsInputError(where, `${what} is ${v}; it must be a number ≥ 0 (NaN usually means a diverged run or an uninitialized value)`);
  if (v < 0)
    throw new BoundsInputError(where, `${what} is ${v} < 0; it must be ≥ 0${what.includes('λ') ? ' (a slightly negative eigenvalue is round-off: clamp it with Math.max(0, λ))' : ''}`);
  if (!allowInfinity && !Number.isFinite(v)) throw new BoundsInputError(where, `${what} is ${v}; it must be finite`);
}

/** Throw unless v is finite and > 0. */
export function checkPositive(where: string, what: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0))
    throw new BoundsInputError(where, `${what} is ${v}; it must be a finite number > 0`);
}

/** Throw unless n is an integer ≥ min. */
export function checkCount(where: string, what: string, n: number, min = 1): void {
  if (!Number.isInteger(n) || n < min) throw new BoundsInputError(where, `${what} is ${n}; it must be an integer ≥ ${min}`);
}

/** Throw unless δ ∈ (0, 1): a confidence level 1 − δ needs 0 < δ < 1. */
export function checkDelta(where: string, delta: number, what = 'δ'): void {
  if (typeof delta !== 'number' || !(delta > 0 && delta < 1))
    throw new BoundsInputError(where, `${what} is ${delta}; a failure probability must lie in (0, 1), e.g. 0.05 for 95% confidence`);
}

/** Throw unless q ∈ [0, 1] (an empirical risk of a loss normalized to [0, 1]). */
export function checkUnit(where: string, what: string, q: number): void {
  if (typeof q !== 'number' || !(q >= 0 && q <= 1))
    throw new BoundsInputError(where, `${what} is ${q}; it must lie in [0, 1] (divide a bounded loss by its maximum ℓ_max first)`);
}

/** Throw unless every entry of `a` is finite; names the first offending index. */
export function checkFiniteArray(where: string, what: string, a: ArrayLike<number>): void {
  const i = firstNonFiniteIndex(a);
  if (i >= 0) throw new BoundsInputError(where, `${what}[${i}] is ${a[i]}; every entry must be finite (NaN/∞ inputs have no group or bound)`);
}
