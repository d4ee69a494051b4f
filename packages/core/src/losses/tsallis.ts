import type { Tensor } from '../ir/tensor.js';
import { where } from '../ir/tensor.js';
import { expm1T } from './numerics.js';

/**
 * The Tsallis α-entropy Ω_α and the exact sort-based 1.5-entmax, host (float64) and IR. The
 * bisection for general α lives in entmax-bisect.ts.
 *
 * @see docs/theory.md §2.2 (row "α-entmax"); Peters, Niculae & Martins 2019; Blondel et al. 2020.
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

/**
 * Ω_α up to an additive constant, in the form that is most precise for differences Ω(y) − Ω(ŷ) (the
 * loss needs only those): the expm1 form for α < 1.5, and Σ μ^α/(α(α−1)) = Ω_α + 1/(α(α−1)) for
 * α ≥ 1.5, where the expm1 form would sum terms ≈ −μ_j to −1 and cancel against Σ μ^α ≪ 1
 * (at α = 10 that costs 4 digits in float32).
 */
export function tsallisOmegaRelHost(mu: Float64Array, alpha: number): number {
  if (alpha < 1.5) return tsallisOmegaHost(mu, alpha);
  let s = 0;
  for (let j = 0; j < mu.length; j++) if (mu[j]! > 0) s += Math.pow(mu[j]!, alpha);
  return s / (alpha * (alpha - 1));
}

/** IR version of `tsallisOmegaRelHost`, rows [n, d] → [n]. */
export function tsallisOmegaRelIR(mu: Tensor, alpha: number): Tensor {
  if (alpha < 1.5) return tsallisOmegaIR(mu, alpha);
  const pos = mu.greater(0);
  return where(pos, where(pos, mu, 1).pow(alpha), 0).sum(-1).div(alpha * (alpha - 1));
}

// ---------------------------------------------------------------- IR

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
