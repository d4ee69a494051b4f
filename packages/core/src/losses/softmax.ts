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
