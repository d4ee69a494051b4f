import { BoundsInputError, checkNonNegative, checkUnit } from './errors.js';

/** q·log q with 0·log 0 = 0. */
const xlogx = (x: number): number => (x > 0 ? x * Math.log(x) : 0);

/**
 * Binary relative entropy kl(q‖p) = q log(q/p) + (1−q) log((1−q)/(1−p)) in nats, for q, p ∈ [0, 1],
 * with 0·log 0 = 0 and +∞ where p puts zero mass on an outcome q does not (p = 0 < q or p = 1 > q).
 */
export function binaryKl(q: number, p: number): number {
  checkUnit('binaryKl', 'q', q); checkUnit('binaryKl', 'p', p);
  if ((p === 0 && q > 0) || (p === 1 && q < 1)) return Infinity;
  const v = xlogx(q) + xlogx(1 - q) - (q > 0 ? q * Math.log(p) : 0) - (q < 1 ? (1 - q) * Math.log1p(-p) : 0);
  return Math.max(0, v); // round-off near p = q
}

/** Stopping rule of the bisections of {@link klInverseUpper} and {@link klInverseLower}: bracket width `tol` (default 1e-15). */
export interface KlInverseOptions {
  /** Stop when the bracket is narrower than this (default 1e-15). */
  readonly tol?: number;
}

/**
 * Upper kl-inverse: kl⁻¹₊(q, c) = sup{ p ∈ [q, 1] : kl(q‖p) ≤ c }, by bisection (kl(q‖·) increases on
 * [q, 1]). Returns the upper end of the final bracket, so the result is never below the exact value
 * (conservative for an upper risk bound). c = +∞ gives 1. Closed forms it reproduces: q = 0 gives
 * 1 − e^{−c}; c = 0 gives q. Cost: ≈ 50 kl evaluations.
 * @see Seeger 2002; Maurer 2004 (PAC-Bayes-kl).
 */
export function klInverseUpper(q: number, c: number, options: KlInverseOptions = {}): number {
  checkUnit('klInverseUpper', 'q', q);
  checkNonNegative('klInverseUpper', 'c', c, true);
  if (c === Infinity || q === 1) return 1;
  return bisect((p) => klRaw(q, p) <= c, q, 1, options.tol ?? 1e-15).hi;
}

/**
 * Lower kl-inverse: kl⁻¹₋(q, c) = inf{ p ∈ [0, q] : kl(q‖p) ≤ c }, by bisection. Returns the lower end
 * of the final bracket (never above the exact value; conservative for a lower risk bound).
 * Closed forms: q = 1 gives e^{−c}; c = 0 gives q. c = +∞ gives 0. Cost: ≈ 50 kl evaluations.
 */
export function klInverseLower(q: number, c: number, options: KlInverseOptions = {}): number {
  checkUnit('klInverseLower', 'q', q);
  checkNonNegative('klInverseLower', 'c', c, true);
  if (c === Infinity || q === 0) return 0;
  // The predicate "kl(q‖p) ≤ c" holds on [p*, q]: bisect for the boundary from below.
  return bisect((p) => klRaw(q, p) > c, 0, q, options.tol ?? 1e-15).lo;
}

/** kl without argument checks (q, p already in [0, 1]). */
function klRaw(q: number, p: number): number {
  if ((p === 0 && q > 0) || (p === 1 && q < 1)) return Infinity;
  return xlogx(q) + xlogx(1 - q) - (q > 0 ? q * Math.log(p) : 0) - (q < 1 ? (1 - q) * Math.log1p(-p) : 0);
}

/** Bisection on [lo, hi] for the switch point of a predicate true at lo and false at hi. */
function bisect(ok: (p: number) => boolean, lo: number, hi: number, tol: number): { lo: number; hi: number } {
  if (!(tol > 0)) throw new BoundsInputError('klInverse', `tol is ${tol}; it must be > 0`);
  if (ok(hi)) return { lo: hi, hi };
  for (let it = 0; it < 200 && hi - lo > tol; it++) {
    const mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (ok(mid)) lo = mid; else hi = mid;
  }
  return { lo, hi };
}
