import type { Tensor } from '../ir/tensor.js';
import { where } from '../ir/tensor.js';
import { expm1T, log1pT } from './numerics.js';

/**
 * Numerics of the Tsallis α-entropy and of the α-entmax threshold, host (float64) and IR.
 *
 * Parametrization. Write the entmax map with the Tsallis q-exponential
 *
 *     ŷ_j = exp_α(η_j − t) = [1 + (α−1)(η_j − t)]₊^{1/(α−1)},   t chosen so that Σ_j ŷ_j = 1,
 *
 * which is the usual [(α−1)η − τ]₊^{1/(α−1)} with τ = (α−1)t − 1. Unlike τ, t stays O(1) as α → 1
 * (it tends to logsumexp(η)), and evaluating exp_α as exp(log1p(u)/(α−1)), u = (α−1)(η − t), keeps
 * full precision for α = 1 + 1e-6 (the direct power (1 + u)^{10⁶} loses 10 digits). On max-shifted
 * logits (max = 0) the root lies in [0, t_hi], t_hi = (1 − d^{1−α})/(α−1) ≤ log d: Σ exp_α(−t) ≥ 1
 * at t = 0 (the top entry is 1) and ≤ 1 at t_hi (every entry ≤ 1/d).
 *
 * @see spec/theory.md §2.2 (row "α-entmax"); Peters, Niculae & Martins 2019; Blondel et al. 2020.
 */

/** Upper end of the bracket for t on max-shifted logits of length d. */
export function tsallisThreshHi(alpha: number, d: number): number {
  return -Math.expm1((1 - alpha) * Math.log(d)) / (alpha - 1);
}

/** Ω_α(μ) = (Σ μ^α − 1)/(α(α−1)) for μ on the simplex, as Σ μ·expm1((α−1) log μ)/(α(α−1)) (no cancellation near α = 1). */
export function tsallisOmegaHost(mu: Float64Array, alpha: number): number {
  const a1 = alpha - 1;
  let s = 0;
  for (let j = 0; j < mu.length; j++) {
    const m = mu[j]!;
    if (m > 0) s += m * Math.expm1(a1 * Math.log(m));
  }
  return s / (alpha * a1);
}

/** The same Ω_α on rows [n, d] → [n], with 0 entries contributing exactly 0 and a finite gradient. */
export function tsallisOmegaIR(mu: Tensor, alpha: number): Tensor {
  const pos = mu.greater(0);
  const ms = where(pos, mu, 1);
  return where(pos, ms.mul(expm1T(ms.log().mul(alpha - 1))), 0).sum(-1).div(alpha * (alpha - 1));
}

export interface BisectOptions {
  /** Stop when the bracket on t is narrower than this (default 1e-14). */
  readonly tol?: number;
  /** Hard cap on halvings (default 200). */
  readonly maxIter?: number;
}

export interface BisectResult {
  /** The normalized map ŷ (sums to 1 exactly up to roundoff). */
  readonly p: Float64Array;
  /** The threshold t in the exp_α parametrization (τ = (α−1)t − 1). */
  readonly t: number;
  /** |Σ_j exp_α(e_j − t) − 1| before normalization: how far the bisection was from the root. */
  readonly residual: number;
  readonly iterations: number;
}

/** Σ_j exp_α(e_j − t), written into `out` when given. */
function qexpSum(e: Float64Array, t: number, a1: number, out?: Float64Array): number {
  let s = 0;
  for (let j = 0; j < e.length; j++) {
    const u = a1 * (e[j]! - t);
    const v = u > -1 ? Math.exp(Math.log1p(u) / a1) : 0;
    if (out) out[j] = v;
    s += v;
  }
  return s;
}

/** α-entmax of one max-shifted vector by bisection on t, any α > 1. */
export function entmaxBisectHost(e: Float64Array, alpha: number, options: BisectOptions = {}): BisectResult {
  const a1 = alpha - 1, tol = options.tol ?? 1e-14, maxIter = options.maxIter ?? 200;
  let lo = 0, hi = tsallisThreshHi(alpha, e.length), it = 0;
  while (hi - lo > tol && it < maxIter) {
    const mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break; // the bracket is one ulp wide
    if (qexpSum(e, mid, a1) >= 1) lo = mid; else hi = mid;
    it++;
  }
  // Newton polish on the (now fixed) support: F(t) = Σ exp_α(e − t) − 1, F'(t) = −Σ ŷ^{2−α}. The
  // bisection alone leaves |δŷ| ≈ δt·ŷ^{2−α}, up to d^{α−2}·tol: 1e-9 at α = 7 without it.
  let t = 0.5 * (lo + hi);
  for (let k = 0; k < 2; k++) {
    const f = qexpSum(e, t, a1) - 1, fp = qexpSlope(e, t, a1);
    const next = Math.min(hi, Math.max(lo, t + f / fp));
    if (!Number.isFinite(next) || Math.abs(qexpSum(e, next, a1) - 1) >= Math.abs(f)) break;
    t = next;
  }
  const p = new Float64Array(e.length);
  const s = qexpSum(e, t, a1, p);
  for (let j = 0; j < p.length; j++) p[j] = p[j]! / s;
  return { p, t, residual: Math.abs(s - 1), iterations: it };
}

/** Σ_j ŷ_j^{2−α} = −dΣ exp_α(e − t)/dt over the support (log space: ŷ^{2−α} overflows for large α). */
function qexpSlope(e: Float64Array, t: number, a1: number): number {
  let s = 0;
  for (let j = 0; j < e.length; j++) {
    const u = a1 * (e[j]! - t);
    if (u > -1) s += Math.exp(((1 - a1) / a1) * Math.log1p(u));
  }
  return s;
}

/** Exact 1.5-entmax of one max-shifted vector (sort-based, Peters et al. 2019): O(d log d). */
export function entmax15Host(e: Float64Array): { p: Float64Array; tau: number } {
  const d = e.length, z = new Float64Array(d);
  for (let j = 0; j < d; j++) z[j] = e[j]! / 2;
  const zs = Float64Array.from(z).sort().reverse();
  let s1 = 0, s2 = 0, tau = 0;
  for (let k = 1; k <= d; k++) {
    const x = zs[k - 1]!;
    s1 += x; s2 += x * x;
    const mean = s1 / k, ss = s2 - s1 * mean;
    const tk = mean - Math.sqrt(Math.max(0, (1 - ss) / k));
    if (tk <= x) tau = tk; else break; // the support is a prefix of the sorted order
  }
  const p = new Float64Array(d);
  for (let j = 0; j < d; j++) { const v = z[j]! - tau; p[j] = v > 0 ? v * v : 0; }
  return { p, tau };
}

// ---------------------------------------------------------------- IR

/** exp_α(v) = [1 + (α−1)v]₊^{1/(α−1)} elementwise, with safe branches. */
function qexpT(v: Tensor, a1: number): Tensor {
  const u = v.mul(a1), pos = u.greater(-1);
  return where(pos, log1pT(where(pos, u, 0)).div(a1).exp(), 0);
}

/** Number of halvings to shrink the bracket [0, hi] below tol. */
export function bisectIterations(alpha: number, d: number, tol: number): number {
  const hi = tsallisThreshHi(alpha, d);
  return hi <= tol ? 0 : Math.min(200, Math.ceil(Math.log2(hi / tol)));
}

/**
 * α-entmax of max-shifted rows e [n, d] by unrolled bisection (fixed iteration count, so the graph
 * is static). The threshold t is found on stop-gradient values; the output is then re-expressed
 * differentiably with t linearized by the implicit function theorem,
 *
 *     t(e) ≈ t₀ + Σ_j w_j (e_j − e₀_j),   w = s/Σs,  s_j = ŷ_j^{2−α} on the support,
 *
 * which is exact to first order, so the Jacobian of ŷ is the true diag(s) − s sᵀ/Σs (up to the
 * bisection residual). w is computed in log space so large α (s ∝ ŷ^{2−α} huge) cannot overflow.
 * Returns the map and the per-row bisection residual |Σ exp_α(e − t₀) − 1|, [n].
 */
export function entmaxBisectIR(e: Tensor, alpha: number, iterations: number): { p: Tensor; residual: Tensor } {
  const a1 = alpha - 1, [n, d] = e.shape as [number, number], b = e.builder, dt = e.dtype;
  const es = e.stopGradient();
  let lo = b.fill(0, [n, 1], dt), hi = b.fill(tsallisThreshHi(alpha, d), [n, 1], dt);
  for (let i = 0; i < iterations; i++) {
    const mid = lo.add(hi).mul(0.5);
    const up = qexpT(es.sub(mid), a1).sum(-1, true).greaterEqual(1);
    lo = where(up, mid, lo);
    hi = where(up, hi, mid);
  }
  // One Newton step on the support, kept inside the bracket (see entmaxBisectHost).
  const logSlope = (t: Tensor) => {
    const u = es.sub(t).mul(a1), mask = u.greater(-1);
    // log s_j = ((2−α)/(α−1))·log1p(u_j), s_j = ŷ_j^{2−α} = −∂ŷ_j/∂t.
    return { mask, ls: where(mask, log1pT(where(mask, u, 0)).mul((2 - alpha) / a1), -1e30) };
  };
  const tb = lo.add(hi).mul(0.5), sl = logSlope(tb);
  const fb = qexpT(es.sub(tb), a1).sum(-1, true).sub(1);
  const slope = where(sl.mask, sl.ls.exp(), 0).sum(-1, true);
  const t0 = tb.add(fb.div(slope)).maximum(lo).minimum(hi);
  const p0 = qexpT(es.sub(t0), a1), s0 = p0.sum(-1, true);
  const { mask, ls } = logSlope(t0);
  const ex = where(mask, ls.sub(ls.max(-1, true)).exp(), 0);
  const w = ex.div(ex.sum(-1, true));
  const tLin = t0.add(w.mul(e.sub(es)).sum(-1, true));
  const p = where(mask, qexpT(e.sub(tLin), a1), 0).div(s0);
  return { p, residual: s0.sub(1).abs().reshape([n]) };
}

/**
 * Exact 1.5-entmax of max-shifted rows as an IR composite: the support and τ come from a sort of
 * stop-gradient values; ŷ is then re-expressed differentiably on the (locally constant) support S,
 * z = e/2, τ(z) = mean_S z − sqrt((1 − Σ_S (z − mean)²)/|S|), ŷ = (z − τ)² on S.
 */
export function entmax15IR(e: Tensor): Tensor {
  const d = e.shape[e.rank - 1]!, dt = e.dtype, b = e.builder;
  const z = e.mul(0.5), zsg = z.stopGradient();
  const zs = zsg.sortDesc();
  const rho = b.constant(Array.from({ length: d }, (_, i) => i + 1), [d], dt);
  const mean = zs.cumsum(-1).div(rho);
  const meanSq = zs.mul(zs).cumsum(-1).div(rho);
  const ss = rho.mul(meanSq.sub(mean.mul(mean)));
  const tauK = mean.sub(ss.neg().add(1).div(rho).relu().sqrt());
  const kStar = zs.greaterEqual(tauK).cast(dt).sum(-1, true);
  const tauSg = where(rho.equal(kStar), tauK, 0).sum(-1, true);
  const mask = zsg.greater(tauSg), maskF = mask.cast(dt);
  const k = maskF.sum(-1, true);
  const s1 = maskF.mul(z).sum(-1, true), s2 = maskF.mul(z).mul(z).sum(-1, true);
  const delta = s2.sub(s1.mul(s1).div(k)).neg().add(1).div(k).maximum(1e-30);
  const tau = s1.div(k).sub(delta.sqrt());
  const v = where(mask, z.sub(tau), 0);
  return v.mul(v);
}
