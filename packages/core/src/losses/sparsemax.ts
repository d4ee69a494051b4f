import type { Tensor } from '../ir/tensor.js';
import { where } from '../ir/tensor.js';
import { makeFYLoss, type FYLoss } from './fenchel-young.js';
import { conjugateSurrogate, dot, rowDot, shifted, shiftRows } from './numerics.js';

/**
 * Sparsemax / Gini Fenchel–Young loss (Martins & Astudillo 2016; Blondel et al. 2020).
 *
 *     Ω(μ)  = ½‖μ‖² + ι_Δ(μ)
 *     ŷ     = sparsemax(η) = argmin_{p ∈ Δ} ‖p − η‖²  = [η − τ]₊,  Σ [η − τ]₊ = 1
 *     Ω*(η) = ⟨η, ŷ⟩ − ½‖ŷ‖²   (= ½‖η‖² − ½‖η − ŷ‖²)
 *     L     = ½‖y‖² − ⟨η, y⟩ + Ω*(η)  (= ½‖y − η‖² − ½‖ŷ − η‖²)
 *     H_Ω(p) = ½(1 − ‖p‖²)  (Gini)
 *
 * τ is exact, from a sort: with z sorted descending and k* the largest k with 1 + k z_k > Σ_{i≤k} z_i,
 * τ = (Σ_{i≤k*} z_i − 1)/k*. Predictions are sparse: well-separated logits give a one-hot.
 * Ω is 1-strongly convex and 1-smooth on Δ, so ½‖y − ŷ‖² ≤ L on the simplex (spec §2.2).
 *
 * @see docs/theory.md §2.2 (row "sparsemax"), §7 rows 1–5, 17.
 */
export const sparsemaxLoss: FYLoss = makeFYLoss({
  name: 'sparsemax',
  domain: 'simplex',
  entropyDomain: 'simplex',
  ir: {
    predict: (eta) => sparsemaxIR(shiftRows(eta).e),
    conjugate(eta) {
      const { e, m } = shiftRows(eta);
      return giniConjugate(e).add(m.reshape([eta.shape[0]!]));
    },
    regularizer: (mu) => rowDot(mu, mu).mul(0.5),
    loss(eta, y) {
      const { e } = shiftRows(eta);
      return rowDot(y, y).mul(0.5).sub(rowDot(e, y)).add(giniConjugate(e));
    },
  },
  host: {
    predict: (eta) => sparsemaxHost(shifted(eta).e).p,
    conjugate(eta) {
      const { e, m } = shifted(eta);
      const { p } = sparsemaxHost(e);
      return dot(e, p) - 0.5 * dot(p, p) + m;
    },
    regularizer: (mu) => 0.5 * dot(mu, mu),
    loss(eta, y) {
      const { e } = shifted(eta);
      const { p } = sparsemaxHost(e);
      return 0.5 * dot(y, y) - dot(e, y) + dot(e, p) - 0.5 * dot(p, p);
    },
    entropy: (p) => 0.5 * (1 - dot(p, p)),
  },
});

/** Ω*(e) on max-shifted rows, with exact gradient sparsemax(e) and Hessian (see conjugateSurrogate). */
function giniConjugate(e: Tensor): Tensor {
  const p = sparsemaxIR(e);
  const ps = p.stopGradient(), es = e.stopGradient();
  return conjugateSurrogate(rowDot(es, ps).sub(rowDot(ps, ps).mul(0.5)), p, e);
}

/**
 * sparsemax of max-shifted rows e [n, d] as an IR composite. The support and τ are found on
 * stop-gradient values with sortDesc + cumsum; the output is then re-expressed differentiably on
 * the (locally constant) support S: τ(e) = (Σ_S e − 1)/|S|, ŷ = [e − τ(e)] on S, 0 elsewhere.
 * So its Jacobian is exactly diag(s) − s sᵀ/|S| (s the support indicator) almost everywhere.
 */
export function sparsemaxIR(e: Tensor): Tensor {
  const d = e.shape[e.rank - 1]!, dt = e.dtype, b = e.builder;
  const es = e.stopGradient();
  const zs = es.sortDesc();
  const rho = b.constant(Array.from({ length: d }, (_, i) => i + 1), [d], dt);
  const cond = zs.mul(rho).add(1).greater(zs.cumsum(-1)).cast(dt); // a prefix of the sorted order
  const tauSg = cond.mul(zs).sum(-1, true).sub(1).div(cond.sum(-1, true));
  const mask = es.greater(tauSg);
  const maskF = mask.cast(dt);
  const tau = maskF.mul(e).sum(-1, true).sub(1).div(maskF.sum(-1, true));
  return where(mask, e.sub(tau), 0);
}

/**
 * Exact sparsemax of one max-shifted vector by sorting: O(d log d). Returns the map and τ.
 * Also correct for unshifted input (τ shifts with it).
 */
export function sparsemaxHost(e: Float64Array): { p: Float64Array; tau: number; support: number } {
  const z = Float64Array.from(e).sort().reverse();
  let cum = 0, k = 0, cumK = 0;
  for (let i = 0; i < z.length; i++) {
    cum += z[i]!;
    if (1 + (i + 1) * z[i]! > cum) { k = i + 1; cumK = cum; }
  }
  const tau = (cumK - 1) / k;
  const p = new Float64Array(e.length);
  let support = 0;
  for (let j = 0; j < e.length; j++) {
    const v = e[j]! - tau;
    if (v > 0) { p[j] = v; support++; }
  }
  return { p, tau, support };
}
