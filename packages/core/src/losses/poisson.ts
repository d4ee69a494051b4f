import { makeFYLoss, type FYLoss } from './fenchel-young.js';
import { xlogx } from './numerics.js';
import { xlogxT } from './numerics.js';

/**
 * Poisson Fenchel–Young loss (log link) for counts or rates, d independent outputs.
 *
 *     Ω(μ) = Σ_j μ_j log μ_j − μ_j on μ ≥ 0,  Ω*(η) = Σ_j e^{η_j},  ŷ = e^η
 *     L    = Σ_j e^{η_j} − η_j y_j + y_j log y_j − y_j   (the Poisson deviance / 2, 0·log 0 = 0)
 *
 * The log-partition e^η overflows for η > 709 (float64) or 88 (float32): the loss and gradient are
 * then +∞, never NaN. Entropy convention: `entropy(p)` is the Bayes risk when the target is the
 * one-hot e_j with probability p_j, E Ω(T) − Ω(p) = −Σ p_j log p_j (Shannon, in nats); for count
 * targets use `bayesRisk(targets)`.
 *
 * @see docs/theory.md §2.2 (row "Poisson").
 */
export const poissonLoss: FYLoss = makeFYLoss({
  name: 'poisson',
  domain: 'nonnegative',
  entropyDomain: 'simplex',
  ir: {
    predict: (eta) => eta.exp(),
    conjugate: (eta) => eta.exp().sum(-1),
    regularizer: (mu) => xlogxT(mu).sub(mu).sum(-1),
    loss: (eta, y) => eta.exp().sub(eta.mul(y)).add(xlogxT(y)).sub(y).sum(-1),
  },
  host: {
    predict: (eta) => eta.map(Math.exp),
    conjugate(eta) {
      let s = 0;
      for (let j = 0; j < eta.length; j++) s += Math.exp(eta[j]!);
      return s;
    },
    regularizer(mu) {
      let s = 0;
      for (let j = 0; j < mu.length; j++) s += xlogx(mu[j]!) - mu[j]!;
      return s;
    },
    loss(eta, y) {
      let s = 0;
      for (let j = 0; j < eta.length; j++) s += Math.exp(eta[j]!) - eta[j]! * y[j]! + xlogx(y[j]!) - y[j]!;
      return s;
    },
    entropy(p) {
      let h = 0;
      for (let j = 0; j < p.length; j++) h -= xlogx(p[j]!);
      return h;
    },
  },
});
