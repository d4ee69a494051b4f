import { makeFYLoss, type FYLoss } from './fenchel-young.js';
import { dot } from './numerics.js';
import { rowDot } from './numerics.js';

/**
 * Squared / Gaussian (unit variance) Fenchel–Young loss: MSE up to the factor ½.
 *
 *     Ω(μ) = ½‖μ‖²,  Ω*(η) = ½‖η‖²,  ŷ = η,  L = ½‖η − y‖²
 *
 * Targets are any real vectors. Entropy convention: `entropy(p)` is the Bayes risk when the target
 * is the one-hot e_j with probability p_j (MSE on one-hot class labels): E‖T‖²/2 − ‖p‖²/2 = ½(1 − ‖p‖²),
 * the Gini entropy. For real-valued targets use `bayesRisk(targets)`: half the (weighted) variance,
 * summed over outputs — the floor of spec §4 for MSE.
 *
 * The loss is computed as ½‖η − y‖² directly (not Ω(y) + Ω*(η) − ⟨η, y⟩, which cancels for large η).
 *
 * @see docs/theory.md §2.2 (row "squared / MSE"), §4.
 */
export const squaredLoss: FYLoss = makeFYLoss({
  name: 'squared',
  domain: 'real',
  entropyDomain: 'simplex',
  ir: {
    predict: (eta) => eta,
    conjugate: (eta) => rowDot(eta, eta).mul(0.5),
    regularizer: (mu) => rowDot(mu, mu).mul(0.5),
    loss(eta, y) {
      const r = eta.sub(y);
      return rowDot(r, r).mul(0.5);
    },
  },
  host: {
    predict: (eta) => Float64Array.from(eta),
    conjugate: (eta) => 0.5 * dot(eta, eta),
    regularizer: (mu) => 0.5 * dot(mu, mu),
    loss(eta, y) {
      let s = 0;
      for (let j = 0; j < eta.length; j++) { const r = eta[j]! - y[j]!; s += r * r; }
      return 0.5 * s;
    },
    entropy: (p) => 0.5 * (1 - dot(p, p)),
  },
});
