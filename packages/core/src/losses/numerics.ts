import type { Tensor } from '../ir/tensor.js';
import { where } from '../ir/tensor.js';

/**
 * Stable scalar helpers shared by the Fenchel–Young losses, twice: float64 host functions (the
 * oracle) and IR composites built only from primitives (so every backend runs them).
 *
 * The IR has no log1p/expm1 primitive. Near 0, `log(1 + u)` and `exp(x) − 1` lose all relative
 * precision (in float32 already for |u| ≈ 1e-4), which is what breaks α-entmax near α = 1 in other
 * libraries. The composites below switch to a short Taylor series for |u| < SERIES_CUT, where the
 * truncation error (|u|⁶/6 < 2e-25) is far below float64 roundoff, and evaluate every branch on a
 * "safe" argument so the unselected branch never produces Inf/NaN in the gradient (the double-where
 * idiom).
 */
export const SERIES_CUT = 1e-4;

// ---------------------------------------------------------------- host (float64)

/** x·log x with 0·log 0 = 0. */
export function xlogx(x: number): number {
  return x > 0 ? x * Math.log(x) : 0;
}

/** log(1 + eˣ) without overflow: max(x, 0) + log1p(e^{−|x|}). */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** Binary entropy h(p) = −p log p − (1−p) log(1−p), in nats. */
export function binaryEntropy(p: number): number {
  return -xlogx(p) - xlogx(1 - p);
}

/** log Σ exp(x_j), max-shifted. */
export function logSumExp(x: Float64Array): number {
  let m = -Infinity;
  for (let j = 0; j < x.length; j++) if (x[j]! > m) m = x[j]!;
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (let j = 0; j < x.length; j++) s += Math.exp(x[j]! - m);
  return m + Math.log(s);
}

export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j]! * b[j]!;
  return s;
}

export function maxOf(x: Float64Array): number {
  let m = -Infinity;
  for (let j = 0; j < x.length; j++) if (x[j]! > m) m = x[j]!;
  return m;
}

/** A copy of x minus its maximum (so the largest entry is exactly 0). */
export function shifted(x: Float64Array): { e: Float64Array; m: number } {
  const m = maxOf(x), e = new Float64Array(x.length);
  for (let j = 0; j < x.length; j++) e[j] = x[j]! - m;
  return { e, m };
}

// ---------------------------------------------------------------- IR composites

/**
 * log(1 + u) for u > −1, accurate to a few ulps in the tensor's own precision: a series for
 * |u| < SERIES_CUT, elsewhere Kahan's log(w)·u/(w − 1) with w = 1 + u rounded, whose ratio cancels
 * the rounding of w (plain log(1 + u) has absolute error ≈ ε, which α-entmax divides by α − 1).
 */
export function log1pT(u: Tensor): Tensor {
  const small = u.abs().less(SERIES_CUT);
  const us = where(small, u, 0); // series argument: bounded
  const ub = where(small, 1, u); // log argument: away from the series region, never −1 for safe callers
  // u − u²/2 + u³/3 − u⁴/4 + u⁵/5, Horner form.
  const series = us.mul(us.mul(us.mul(us.mul(us.mul(0.2).sub(0.25)).add(1 / 3)).sub(0.5)).add(1));
  const w = ub.add(1);
  return where(small, series, w.log().mul(ub.div(w.sub(1))));
}

/**
 * eˣ − 1, accurate to a few ulps in the tensor's precision: a series for |x| < SERIES_CUT, Kahan's
 * (w − 1)·x/log w with w = eˣ rounded for |x| < 1, and plain eˣ − 1 beyond (no cancellation there).
 */
export function expm1T(x: Tensor): Tensor {
  const ax = x.abs(), small = ax.less(SERIES_CUT), mid = ax.less(1);
  const xs = where(small, x, 0);
  // x + x²/2 + x³/6 + x⁴/24 + x⁵/120, Horner form.
  const series = xs.mul(xs.mul(xs.mul(xs.mul(xs.mul(1 / 120).add(1 / 24)).add(1 / 6)).add(0.5)).add(1));
  const xm = where(small, 0.5, where(mid, x, 0.5)), wm = xm.exp(); // wm ≠ 1 on the Kahan branch
  const kahan = wm.sub(1).mul(xm.div(wm.log()));
  return where(small, series, where(mid, kahan, where(mid, 0, x).exp().sub(1)));
}

/** x·log x elementwise with 0·log 0 = 0 and a finite gradient everywhere x > 0 (x ≥ 0 assumed). */
export function xlogxT(x: Tensor): Tensor {
  const pos = x.greater(0);
  const xs = where(pos, x, 1);
  return where(pos, xs.mul(xs.log()), 0);
}

/**
 * log(1 + eˣ) as a two-term logsumexp of (0, x) with a stop-gradient shift, so its derivative is
 * exactly sigmoid(x) to every order (a relu/abs form has a wrong derivative at x = 0).
 */
export function softplusT(x: Tensor): Tensor {
  const m = x.maximum(0).stopGradient();
  return m.neg().exp().add(x.sub(m).exp()).log().add(m);
}

/** Shift each row by its (stop-gradient) maximum: values ≤ 0, the largest exactly 0. */
export function shiftRows(eta: Tensor): { e: Tensor; m: Tensor } {
  const m = eta.max(-1, true).stopGradient();
  return { e: eta.sub(m), m };
}

/** Row sums of a·b: [n, d] × [n, d] → [n]. */
export function rowDot(a: Tensor, b: Tensor): Tensor {
  return a.mul(b).sum(-1);
}

/**
 * The second-order surrogate used by the sort/bisection-based conjugates. Given the value v = Ω*(e)
 * (computed without gradients) and a differentiable prediction map p(e) whose Jacobian J is exact
 * and symmetric, returns
 *
 *     sg(v) + ½⟨p(e) + sg(p(e)), e − sg(e)⟩,
 *
 * whose value is v, whose gradient is ½(p + sg p) = p = ∇Ω*(e) bit for bit, and whose Hessian is
 * ½(J + Jᵀ) = J = ∇²Ω*(e). The threshold τ behind p is found by sorting or bisection, which the IR
 * cannot differentiate; this keeps first and second derivatives right (almost everywhere) anyway.
 * Third and higher derivatives are not: no part of clt needs them.
 */
export function conjugateSurrogate(value: Tensor, p: Tensor, e: Tensor): Tensor {
  const delta = e.sub(e.stopGradient());
  return value.stopGradient().add(rowDot(p.add(p.stopGradient()), delta).mul(0.5));
}
