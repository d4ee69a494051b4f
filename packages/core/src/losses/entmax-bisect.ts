import type { Tensor } from '../ir/tensor.js';
import { where } from '../ir/tensor.js';
import { log1pT } from './numerics.js';
import { tsallisThreshHi } from './tsallis.js';

/**
 * α-entmax for any α > 1 by bisection on the threshold, host (float64) and IR (unrolled, so the
 * graph is static), followed by one or two Newton steps on the found support.
 *
 * The map is ŷ_j = [(α−1)e_j − τ]₊^{1/(α−1)} with Σ ŷ = 1, on max-shifted logits e (max e = 0).
 * Two parametrizations of the threshold keep it precise over α ∈ (1, 10] in float32 and float64:
 *
 * - 't' (used when (α−1)·ln d < 1, i.e. α near 1): τ = (α−1)t − 1, ŷ_j = exp(log1p(u_j)/(α−1)) with
 *   u_j = (α−1)(e_j − t). t stays O(1) as α → 1 (it tends to logsumexp(e)), so α = 1 + 1e-6 keeps
 *   full precision (the direct power (1 + u)^{10⁶} would lose 10 digits). Bracket: [0, t_hi],
 *   t_hi = (1 − d^{1−α})/(α−1) ≤ ln d; Σ ŷ decreases in t.
 * - 'c' (otherwise): τ = −c, ŷ_j = (α−1)e_j + c raised to 1/(α−1). Near the top logits the base is
 *   then exact (e_j = 0 gives base c), where the t form's "1 + u" would round it away: at α = 10 the
 *   uniform base is d^{−9}, below float32 resolution next to 1. Bracket: [d^{1−α}, 1]; Σ ŷ increases in c.
 *
 * For large α the map itself is ill-conditioned near a support change (a base of 1e-18 can carry
 * ŷ_j = 1e-2): the residual |Σ ŷ − 1| before the final normalization reports it.
 */
export type ThresholdParam = 't' | 'c';

export function thresholdParam(alpha: number, d: number): ThresholdParam {
  return (alpha - 1) * Math.log(d) < 1 ? 't' : 'c';
}

function bracket(alpha: number, d: number, kind: ThresholdParam): [number, number] {
  return kind === 't' ? [0, tsallisThreshHi(alpha, d)] : [Math.pow(d, 1 - alpha), 1];
}

export interface BisectOptions {
  /** Stop when the bracket is narrower than this (default 1e-14). */
  readonly tol?: number;
  /** Hard cap on halvings (default 200). */
  readonly maxIter?: number;
}

export interface BisectResult {
  /** The normalized map ŷ (sums to 1 up to roundoff). */
  readonly p: Float64Array;
  /** The threshold τ of ŷ = [(α−1)e − τ]₊^{1/(α−1)} on the max-shifted logits e. */
  readonly tau: number;
  /** |Σ_j ŷ_j − 1| before normalization: how far the threshold is from the root. */
  readonly residual: number;
  readonly iterations: number;
  readonly param: ThresholdParam;
}

/** log of the base of ŷ_j (−∞ off the support). */
function logBase(x: number, th: number, a1: number, kind: ThresholdParam): number {
  if (kind === 't') { const u = a1 * (x - th); return u > -1 ? Math.log1p(u) : -Infinity; }
  const b = a1 * x + th;
  return b > 0 ? Math.log(b) : -Infinity;
}

/** Σ_j ŷ_j(θ) (into `out` when given) and its derivative in θ. */
function sumAndSlope(e: Float64Array, th: number, a1: number, kind: ThresholdParam, out?: Float64Array): [number, number] {
  let s = 0, ds = 0;
  for (let j = 0; j < e.length; j++) {
    const l = logBase(e[j]!, th, a1, kind);
    const v = Math.exp(l / a1);
    if (out) out[j] = v;
    s += v;
    ds += Math.exp(((1 - a1) / a1) * l); // ŷ^{2−α}, in log space: it overflows for large α
  }
  return [s, kind === 't' ? -ds : ds / a1];
}

/** α-entmax of one max-shifted vector by bisection, any α > 1. */
export function entmaxBisectHost(e: Float64Array, alpha: number, options: BisectOptions = {}): BisectResult {
  const a1 = alpha - 1, tol = options.tol ?? 1e-14, maxIter = options.maxIter ?? 200;
  const kind = thresholdParam(alpha, e.length), decreasing = kind === 't';
  let [lo, hi] = bracket(alpha, e.length, kind), it = 0;
  while (hi - lo > tol && it < maxIter) {
    const mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break; // the bracket is one ulp wide
    if ((sumAndSlope(e, mid, a1, kind)[0] >= 1) === decreasing) lo = mid; else hi = mid;
    it++;
  }
  // Newton polish on the now fixed support: bisection alone leaves |δŷ| ≈ δθ·ŷ^{2−α}, up to d^{α−2}·tol.
  let th = 0.5 * (lo + hi);
  for (let k = 0; k < 2; k++) {
    const [s, ds] = sumAndSlope(e, th, a1, kind);
    const next = Math.min(hi, Math.max(lo, th - (s - 1) / ds));
    if (!Number.isFinite(next) || Math.abs(sumAndSlope(e, next, a1, kind)[0] - 1) >= Math.abs(s - 1)) break;
    th = next;
  }
  const p = new Float64Array(e.length);
  const [s] = sumAndSlope(e, th, a1, kind, p);
  for (let j = 0; j < p.length; j++) p[j] = p[j]! / s;
  return { p, tau: kind === 't' ? a1 * th - 1 : -th, residual: Math.abs(s - 1), iterations: it, param: kind };
}

/** Number of halvings to shrink the bracket below tol. */
export function bisectIterations(alpha: number, d: number, tol: number): number {
  const [lo, hi] = bracket(alpha, d, thresholdParam(alpha, d));
  return hi - lo <= tol ? 0 : Math.min(200, Math.ceil(Math.log2((hi - lo) / tol)));
}

/** Support mask, safe log-base (0 off the support) and ŷ for threshold θ, elementwise. */
function mapT(e: Tensor, th: Tensor, a1: number, kind: ThresholdParam) {
  let mask: Tensor, l: Tensor;
  if (kind === 't') {
    const u = e.sub(th).mul(a1);
    mask = u.greater(-1);
    l = log1pT(where(mask, u, 0));
  } else {
    const b = e.mul(a1).add(th);
    mask = b.greater(0);
    l = where(mask, b, 1).log();
  }
  return { mask, l, p: where(mask, l.div(a1).exp(), 0) };
}

/**
 * α-entmax of max-shifted rows e [n, d] by unrolled bisection plus one Newton step, on stop-gradient
 * values. The output is then re-expressed differentiably with the threshold linearized by the
 * implicit function theorem (Σ ŷ = 1): in the t form
 *
 *     t(e) ≈ t₀ + Σ_j w_j (e_j − e₀_j),   w = s/Σs,  s_j = ŷ_j^{2−α} on the support
 *
 * (c(e) ≈ c₀ − (α−1)Σ_j w_j (e_j − e₀_j) in the c form), exact to first order, so the Jacobian of ŷ is
 * the true diag(s) − s sᵀ/Σs (up to the residual). w is a softmax of log s: no overflow at large α.
 * Returns the map and the per-row residual |Σ ŷ − 1| before normalization, [n].
 */
export function entmaxBisectIR(e: Tensor, alpha: number, iterations: number): { p: Tensor; residual: Tensor } {
  const a1 = alpha - 1, [n, d] = e.shape as [number, number], b = e.builder, dt = e.dtype;
  const kind = thresholdParam(alpha, d), decreasing = kind === 't', [lo0, hi0] = bracket(alpha, d, kind);
  const es = e.stopGradient();
  let lo = b.fill(lo0, [n, 1], dt), hi = b.fill(hi0, [n, 1], dt);
  for (let i = 0; i < iterations; i++) {
    const mid = lo.add(hi).mul(0.5);
    const total = mapT(es, mid, a1, kind).p.sum(-1, true);
    const moveLo = decreasing ? total.greaterEqual(1) : total.less(1);
    lo = where(moveLo, mid, lo);
    hi = where(moveLo, hi, mid);
  }
  const logS = (m: { mask: Tensor; l: Tensor }) => where(m.mask, m.l.mul((1 - a1) / a1), -1e30); // log ŷ^{2−α}
  const thb = lo.add(hi).mul(0.5), mb = mapT(es, thb, a1, kind);
  const slope = where(mb.mask, logS(mb).exp(), 0).sum(-1, true).mul(decreasing ? -1 : 1 / a1);
  const th0 = thb.sub(mb.p.sum(-1, true).sub(1).div(slope)).maximum(lo).minimum(hi);
  const m0 = mapT(es, th0, a1, kind), s0 = m0.p.sum(-1, true);
  const ls = logS(m0), ex = where(m0.mask, ls.sub(ls.max(-1, true)).exp(), 0);
  const shift = ex.div(ex.sum(-1, true)).mul(e.sub(es)).sum(-1, true);
  const thLin = decreasing ? th0.add(shift) : th0.sub(shift.mul(a1));
  const p = where(m0.mask, mapT(e, thLin, a1, kind).p, 0).div(s0);
  return { p, residual: s0.sub(1).abs().reshape([n]) };
}
