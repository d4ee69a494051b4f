import { where, type Tensor } from '../ir/tensor.js';
import { makeFYLoss, type FYLoss } from './fenchel-young.js';
import { dot, logSumExp, shifted, xlogx } from './numerics.js';
import { rowDot, shiftRows, xlogxT } from './numerics.js';

/**
 * Softmax / Shannon Fenchel–Young loss: cross-entropy with one-hot targets, KL(y ‖ ŷ) with soft ones.
 *
 *     Ω(μ)  = Σ_j μ_j log μ_j + ι_Δ(μ)          (negative Shannon entropy)
 *     Ω*(η) = logsumexp(η)
 *     ŷ     = softmax(η)
 *     L     = logsumexp(η) − ⟨η, y⟩ + Σ y log y
 *     H_Ω(p) = −Σ p_j log p_j  (nats)
 *
 * Stable for any finite logits: everything is computed on η − max(η) (the shift cancels because
 * Σ y = 1), and 0·log 0 = 0. The IR loss is smooth, so every order of derivative is exact.
 *
 * @see docs/theory.md §2.2 (row "softmax cross-entropy"), §7 rows 1–5.
 */
export const softmaxLoss: FYLoss = makeFYLoss({
  name: 'softmax',
  domain: 'simplex',
  entropyDomain: 'simplex',
  ir: {
    // Shift first: Tensor.softmax subtracts logsumexp(η) ≈ max η from η, which loses ulp(1e4) ≈ 1e-3
    // in float32 at |η| = 1e4; on shifted logits that difference is O(1).
    predict: (eta) => shiftRows(eta).e.softmax(-1),
    conjugate: (eta) => eta.logsumexp(-1),
    regularizer: (mu) => xlogxT(mu).sum(-1),
    loss(eta, y) {
      const { e } = shiftRows(eta);
      return e.logsumexp(-1).sub(rowDot(e, y)).add(xlogxT(y).sum(-1));
    },
  },
  host: {
    predict(eta) {
      const { e } = shifted(eta);
      let s = 0;
      for (let j = 0; j < e.length; j++) s += (e[j] = Math.exp(e[j]!));
      for (let j = 0; j < e.length; j++) e[j] = e[j]! / s;
      return e;
    },
    conjugate: (eta) => logSumExp(eta),
    regularizer(mu) {
      let s = 0;
      for (let j = 0; j < mu.length; j++) s += xlogx(mu[j]!);
      return s;
    },
    loss(eta, y) {
      const { e } = shifted(eta);
      let omega = 0;
      for (let j = 0; j < y.length; j++) omega += xlogx(y[j]!);
      return logSumExp(e) - dot(e, y) + omega;
    },
    entropy(p) {
      let h = 0;
      for (let j = 0; j < p.length; j++) h -= xlogx(p[j]!);
      return h;
    },
  },
});

/** log(1 + x) for x ≥ 0 from log alone (Kahan's trick; ONNX has no Log1p): exact to a few ulps, also when 1 + x rounds to 1. */
function log1pNonNegative(x: Tensor): Tensor {
  const u = x.add(1);
  const rounded = u.equal(1);
  // u − 1 is exact, so log(u)·x/(u − 1) corrects the rounding of 1 + x; where u = 1, log1p(x) = x to working precision.
  return where(rounded, x, u.log().mul(x).div(where(rounded, 1, u.sub(1))));
}

/**
 * The softmax cross-entropy VALUE and residual r = softmax(η) − y of each row, written so that
 * confident rows keep their digits in float32 (forward only: not for differentiation).
 *
 * The textbook forms lose them: logsumexp(η) − ⟨η, y⟩ and p_y − 1 subtract two numbers that agree
 * to every float32 digit once p_y > 1 − 6e-8, so a well-fit row's loss and residual come out as
 * rounding noise — and a per-sample check such as ‖g_i‖²/λ_max ≤ ‖r_i‖² ≤ ‖g_i‖²/λ_min (g_i = J_iᵀ r_i)
 * then fails on noise (a trained LeNet's float32 probes did, where float64 held). Here, with m the
 * row maximum, c the number of entries equal to it and q = Σ_{η_j < m} e^{η_j − m} + (c − 1):
 *
 *   ℓ   = log1p(q) + Σ_k y_k (m − η_k) + m (1 − Σ_k y_k)       (= logsumexp(η) − ⟨η, y⟩, any y)
 *   r_k = p_k (1 − y_k) − y_k Σ_{j≠k} p_j                       (= p_k − y_k, since Σ_j p_j = 1)
 *
 * so no digits cancel in q, in m − η_k, or in 1 − p_k = Σ_{j≠k} p_j. Cost: one [d, d] product per
 * row for the Σ_{j≠k} (negligible beside the model). The targets' entropy term Σ y log y is not
 * included: this is the cross-entropy, as the default training loss.
 */
export function softmaxCrossEntropyStable(eta: Tensor, y: Tensor): { loss: Tensor; residual: Tensor } {
  const d = eta.shape[eta.rank - 1]!, b = eta.builder, dt = eta.dtype;
  const top = eta.max(-1, true).stopGradient();
  // As Tensor.logsumexp: an infinite maximum shifts by 0, so the result is ±∞/NaN as the math says.
  const m = where(top.abs().less(Infinity), top, 0);
  const z = eta.sub(m), e = z.exp();
  const below = z.less(0).cast(dt), ties = z.equal(0).cast(dt).sum(-1, true);
  const q = e.mul(below).sum(-1, true).add(ties.sub(1));
  const loss = log1pNonNegative(q).add(y.mul(z.neg()).sum(-1, true)).add(m.mul(y.sum(-1, true).neg().add(1))).reshape(eta.shape.slice(0, -1));
  const p = e.div(q.add(1));
  const offDiagonal = new Float64Array(d * d).fill(1);
  for (let k = 0; k < d; k++) offDiagonal[k * d + k] = 0;
  const rest = p.matmul(b.constant(offDiagonal, [d, d], dt));
  const residual = p.mul(y.neg().add(1)).sub(y.mul(rest));
  return { loss, residual };
}
