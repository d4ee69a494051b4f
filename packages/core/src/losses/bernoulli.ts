import { makeFYLoss, type FYLoss } from './fenchel-young.js';
import { binaryEntropy, softplus, xlogx } from './numerics.js';
import { softplusT, xlogxT } from './numerics.js';

/**
 * Bernoulli / logistic Fenchel–Young loss, binary (d = 1) or multilabel (d independent logistic
 * outputs). With the binary negative entropy φ(m) = m log m + (1−m) log(1−m):
 *
 *     Ω(μ) = Σ_j φ(μ_j) on [0,1]^d,  Ω*(η) = Σ_j log(1 + e^{η_j}),  ŷ = sigmoid(η)
 *     L    = Σ_j [ y_j softplus(−η_j) + (1 − y_j) softplus(η_j) ] + Ω(y)
 *
 * which is Σ_j log(1 + e^{η_j}) − η_j y_j + φ(y_j) rewritten without cancellation at |η| = 1e4
 * (softplus(η) − η = softplus(−η)). Targets: 0/1 labels or probabilities in [0, 1]; for d = 1 the IR
 * also takes [n] integer 0/1 labels. Entropy: `entropy(p)` = Σ_j h(p_j) (binary entropy in nats) with
 * p_j = P(y_j = 1): the Bayes risk, which depends only on these marginals since L is a sum over j.
 *
 * @see docs/theory.md §2.2 (row "binary logistic").
 */
export const bernoulliLoss: FYLoss = makeFYLoss({
  name: 'bernoulli',
  domain: 'binary',
  entropyDomain: 'binary',
  binaryLabels: true,
  ir: {
    predict: (eta) => eta.sigmoid(),
    conjugate: (eta) => softplusT(eta).sum(-1),
    regularizer: (mu) => xlogxT(mu).add(xlogxT(mu.neg().add(1))).sum(-1),
    loss(eta, y) {
      const omega = xlogxT(y).add(xlogxT(y.neg().add(1)));
      return y.mul(softplusT(eta.neg())).add(y.neg().add(1).mul(softplusT(eta))).add(omega).sum(-1);
    },
  },
  host: {
    predict(eta) {
      const p = new Float64Array(eta.length);
      for (let j = 0; j < p.length; j++) {
        const x = eta[j]!; // 1/(1 + e^{−x}) computed on the side where the exponential cannot overflow
        p[j] = x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
      }
      return p;
    },
    conjugate(eta) {
      let s = 0;
      for (let j = 0; j < eta.length; j++) s += softplus(eta[j]!);
      return s;
    },
    regularizer(mu) {
      let s = 0;
      for (let j = 0; j < mu.length; j++) s -= binaryEntropy(mu[j]!);
      return s;
    },
    loss(eta, y) {
      let s = 0;
      for (let j = 0; j < eta.length; j++) {
        const x = eta[j]!, t = y[j]!;
        s += t * softplus(-x) + (1 - t) * softplus(x) + xlogx(t) + xlogx(1 - t);
      }
      return s;
    },
    entropy(p) {
      let h = 0;
      for (let j = 0; j < p.length; j++) h += binaryEntropy(p[j]!);
      return h;
    },
  },
});
