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
 * - 's' (when (α−1)·ln d > S_FORM_ABOVE, i.e. large α): the threshold is s = ŷ of the top logit, c = s^{α−1},
 *   ŷ_j = s·(1 − (α−1)|e_j|/s^{α−1})₊^{1/(α−1)}, evaluated in log space. The c form's lower bracket
 *   d^{1−α} underflows there (α = 1000, d = 3: 3^{−999} ≈ 1e−477) and tied logits gave 0/0 = NaN;
 *   s stays in [1/d, 1]. As α → ∞ this gives the exact limit: the support shrinks to the logits within
 *   s^{α−1}/(α−1) of the max, i.e. ŷ is uniform over the tied maxima. This bisection is the IR's; it
 *   resolves an entry only while (ŷ_j/ŷ_top)^{α−1} is above the dtype's ε (at α = 30 that is ŷ_j ≳ 0.3 of
 *   ŷ_top in float64). The host instead uses the exact log-space support form (entmaxLogSupportHost).
 *
 * For large α the map itself is ill-conditioned near a support change (a base of 1e-18 can carry
 * ŷ_j = 1e-2): the residual |Σ ŷ − 1| before the final normalization reports it.
 */
export type ThresholdParam = 't' | 'c' | 's';

/** (α−1)·ln d above which the 's' form is used: keeps d^{1−α} and ŷ^{2−α} inside float32 range (e^{±60}). */
export const S_FORM_ABOVE = 60;

/**
 * Which {@link ThresholdParam} keeps the threshold bisection precise for α and d classes: `t` when
 * (α−1)·ln d < 1, `s` when it exceeds `S_FORM_ABOVE` (60), `c` otherwise.
 */
export function thresholdParam(alpha: number, d: number): ThresholdParam {
  const k = (alpha - 1) * Math.log(d);
  return k < 1 ? 't' : k > S_FORM_ABOVE ? 's' : 'c';
}

function bracket(alpha: number, d: number, kind: ThresholdParam): [number, number] {
  if (kind === 's') return [1 / d, 1];
  return kind === 't' ? [0, tsallisThreshHi(alpha, d)] : [Math.pow(d, 1 - alpha), 1];
}

/** Stopping rule of the host threshold bisection ({@link entmaxBisectHost}): bracket width `tol` (default 1e-14) and at most `maxIter` halvings (default 200). */
export interface BisectOptions {
  /** Stop when the bracket is narrower than this (default 1e-14). */
  readonly tol?: number;
  /** Hard cap on halvings (default 200). */
  readonly maxIter?: number;
}

/** The α-entmax map found by bisection: ŷ, its threshold τ, the residual |Σ ŷ − 1| before normalization, the iterations, and the threshold parametrization used. */
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

/** log of the base of ŷ_j (−∞ off the support); host 't' and 'c' forms ('s' is entmaxLogSupportHost). */
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

/** ln(e^a + e^b), exact when either is −∞. */
function logAddExp(a: number, b: number): number {
  const m = Math.max(a, b);
  return m === -Infinity ? -Infinity : m + Math.log1p(Math.exp(Math.min(a, b) - m));
}

/**
 * Large-α host map in log space, with the support found exactly. Write ŷ_j = (u − δ_j)₊^{1/(α−1)},
 * δ_j = (α−1)(max − η_j) = −(α−1)e_j sorted ascending (δ_1 = 0). For α ≈ 1e5 the root u can sit
 * within 10^(−400000) of a breakpoint δ_k while ŷ_k is still 1e-3, so no method that forms u in
 * floating point (the bisection on s = ŷ_top did) can represent it: it returned [1, 0] for the true
 * [0.99915, 0.00085] and a negative loss. Instead, for the support size k,
 *
 *     t = ln(u − δ_k),   ln(u − δ_j) = logaddexp(ln(δ_k − δ_j), t)  (j < k),   ln(δ_k − δ_j) = ln(α−1) + ln(e_j − e_k)
 *
 * are all representable. k is the largest index with F(δ_k) = Σ_{j<k} (δ_k − δ_j)^{1/(α−1)} < 1 (F is
 * increasing in u, and u > δ_k iff F(δ_k) < 1), found by binary search; then Σ_{j≤k} ŷ_j(t) = 1 is
 * increasing in t and solved by bisection on t ∈ [−800(α−1), 0] (ŷ_k < e^{−800} underflows below;
 * u ≤ 1 since ŷ_1 ≤ 1) and a Newton polish. Returns ŷ and the logs ln(u − δ_j) (−∞ off the support).
 */
function entmaxLogSupportHost(e: Float64Array, a1: number): BisectResult & { logBase: Float64Array } {
  const d = e.length, order = Array.from({ length: d }, (_, j) => j).sort((i, j) => e[j]! - e[i]!);
  const ls = Math.log(a1), es = Float64Array.from(order, (j) => e[j]!);
  const lnGap = (j: number, k: number) => ls + Math.log(es[j]! - es[k]!); // ln(δ_k − δ_j), −∞ at ties
  const floorSum = (k: number) => { let s = 0; for (let j = 0; j < k && s < 1; j++) s += Math.exp(lnGap(j, k) / a1); return s; };
  let kLo = 0, kHi = d; // 0-based index of the last support entry: floorSum(kLo) < 1 ≤ floorSum(kHi) (or kHi = d)
  while (kHi - kLo > 1) { const mid = (kLo + kHi) >> 1; if (floorSum(mid) < 1) kLo = mid; else kHi = mid; }
  const k = kLo, gaps = Float64Array.from({ length: k + 1 }, (_, j) => lnGap(j, k));
  const logs = new Float64Array(k + 1);
  const sum = (t: number): [number, number] => {
    let s = 0, ds = 0;
    for (let j = 0; j <= k; j++) {
      const l = logAddExp(gaps[j]!, t), v = Math.exp(l / a1);
      logs[j] = l; s += v; ds += (v / a1) * Math.exp(t - l); // dŷ_j/dt = ŷ_j/(α−1)·e^t/(u − δ_j)
    }
    return [s, ds];
  };
  let lo = -800 * a1, hi = 0, it = 0;
  while (hi - lo > a1 * 2 ** -60 && it < 400) {
    const mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (sum(mid)[0] < 1) lo = mid; else hi = mid;
    it++;
  }
  let t = 0.5 * (lo + hi);
  for (let n = 0; n < 2; n++) {
    const [s, ds] = sum(t), next = Math.min(hi, Math.max(lo, t - (s - 1) / ds));
    if (!Number.isFinite(next) || Math.abs(sum(next)[0] - 1) >= Math.abs(s - 1)) break;
    t = next;
  }
  const [s] = sum(t), p = new Float64Array(d), logBase = new Float64Array(d).fill(-Infinity);
  for (let j = 0; j <= k; j++) { p[order[j]!] = Math.exp(logs[j]! / a1) / s; logBase[order[j]!] = logs[j]!; }
  return { p, logBase, tau: -(a1 * -es[k]! + Math.exp(t)), residual: Math.abs(s - 1), iterations: it, param: 's' };
}

/** α-entmax of one max-shifted vector by bisection, any α > 1. */
export function entmaxBisectHost(e: Float64Array, alpha: number, options: BisectOptions = {}): BisectResult {
  const a1 = alpha - 1, tol = options.tol ?? 1e-14, maxIter = options.maxIter ?? 200;
  const kind = thresholdParam(alpha, e.length), decreasing = kind === 't';
  if (kind === 's') { const { logBase: _, ...r } = entmaxLogSupportHost(e, a1); return r; }
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
  } else if (kind === 's') {
    // As logBase's 's' case: r = (α−1)|e_j|/s^{α−1} in log space; r ≥ 1 (or +∞) is off the support.
    const ls = th.log().mul(a1), neg = e.neg(), off = neg.greater(0);
    const r = where(off, where(off, neg, 1).mul(a1).log().sub(ls).exp(), 0);
    mask = r.less(1);
    l = ls.add(log1pT(where(mask, r, 0).neg()));
  } else {
    const b = e.mul(a1).add(th);
    mask = b.greater(0);
    l = where(mask, b, 1).log();
  }
  return { mask, l, p: where(mask, l.div(a1).exp(), 0) };
}

/** Largest curvature scale the 's' form's Jacobian may carry before it is capped (finite in the dtype). */
const CURVATURE_CAP = { f32: 1e30, f64: 1e300 } as const;

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
  // s form: dΣ/ds = Σ (s/ŷ_j)^{α−2}; it may overflow to +∞, which just skips the Newton step.
  const slope = kind === 's'
    ? where(mb.mask, thb.log().mul(a1 - 1).sub(mb.l.mul((a1 - 1) / a1)).exp(), 0).sum(-1, true)
    : where(mb.mask, logS(mb).exp(), 0).sum(-1, true).mul(decreasing ? -1 : 1 / a1);
  const th0 = thb.sub(mb.p.sum(-1, true).sub(1).div(slope)).maximum(lo).minimum(hi);
  const m0 = mapT(es, th0, a1, kind), s0 = m0.p.sum(-1, true);
  const ls = logS(m0), lmax = ls.max(-1, true), ex = where(m0.mask, ls.sub(lmax).exp(), 0);
  const w = ex.div(ex.sum(-1, true)), delta = e.sub(es);
  const shift = w.mul(delta).sum(-1, true);
  if (kind === 's') {
    // Large α: the value is the stop-gradient map; the derivative is added as the exact Jacobian
    // G·(diag(w) − w wᵀ), G = Σ_j ŷ_j^{2−α}, applied to δ = e − stopGradient(e) (value 0). G is capped
    // so that G·0 stays 0: at ties the true curvature ~ k^{α−2} exceeds any float (documented).
    const logG = lmax.add(ex.sum(-1, true).log()).minimum(Math.log(CURVATURE_CAP[dt === 'f32' ? 'f32' : 'f64']));
    const p = m0.p.div(s0).add(w.mul(delta.sub(shift)).mul(logG.exp()));
    return { p, residual: s0.sub(1).abs().reshape([n]) };
  }
  const thLin = decreasing ? th0.add(shift) : th0.sub(shift.mul(a1));
  const p = where(m0.mask, mapT(e, thLin, a1, kind).p, 0).div(s0);
  return { p, residual: s0.sub(1).abs().reshape([n]) };
}
