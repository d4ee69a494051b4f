import type { FYLoss } from '../losses/fenchel-young.js';
import { BoundsInputError, checkCount, checkFiniteArray, checkNonNegative } from './errors.js';

/**
 * Empirical maximum attainable loss ℓ̂_max = max_i ℓ_i (docs/theory.md §5.3, §7 item 20 [INF]): a
 * proxy for sup_{x,y} L_Ω(f_θ(x); y), not a guaranteed bound on unseen data. Cost: O(n).
 */
export function maxLossEmpirical(losses: ArrayLike<number>): number {
  if (losses.length === 0) throw new BoundsInputError('maxLossEmpirical', 'no losses given; pass the per-sample losses');
  checkFiniteArray('maxLossEmpirical', 'losses', losses);
  let m = 0;
  for (let i = 0; i < losses.length; i++) { const v = losses[i]!; if (v < 0) throw new BoundsInputError('maxLossEmpirical', `loss ${i} is ${v} < 0; Fenchel–Young losses are ≥ 0`); if (v > m) m = v; }
  return m;
}

/**
 * Exact ℓ_max of softmax cross-entropy with d classes and logits bounded by ‖η‖_∞ ≤ B:
 *
 *     sup −log softmax(η)_y = log(1 + (d − 1)·e^{2B})  ≤  log d + 2B   (spec §5.3)
 *
 * attained at η_y = −B and every other logit +B. Weight decay bounds B, hence ℓ_max: this is how
 * regularization enters the generalization bounds (docs/theory.md §5.3 [INF]). Cost: O(1).
 */
export function maxLossSoftmax(d: number, logitBound: number): number {
  checkCount('maxLossSoftmax', 'number of classes d', d, 2);
  checkNonNegative('maxLossSoftmax', 'logit bound B', logitBound);
  // log(1 + (d−1)e^{2B}) = 2B + log((d−1) + e^{−2B}): no overflow for large B.
  return 2 * logitBound + Math.log(d - 1 + Math.exp(-2 * logitBound));
}

/**
 * ℓ_max bound for any Fenchel–Young loss on the simplex with a permutation-symmetric Ω (softmax,
 * sparsemax, entmax, one-hot MSE's Gini), one-hot labels and ‖η‖_∞ ≤ B:
 *
 *     L_Ω(η; e_y) ≤ H_Ω(uniform) + (max_j η_j − min_j η_j) ≤ H_Ω(uniform) + 2B
 *
 * since L(0; e_y) = Ω(e_y) − min Ω = H_Ω(uniform) and ∇_η L = ŷ − e_y has ‖·‖₁ ≤ 2 with zero sum,
 * so moving from 0 to η adds at most ‖ŷ − e_y‖₁/2 · (max η − min η). For softmax this is log d + 2B.
 * A derived bound (docs/theory.md §5.3 [INF]). Cost: one entropy evaluation.
 */
export function maxLossSimplex(loss: Pick<FYLoss, 'name' | 'domain'> & { host: Pick<FYLoss['host'], 'entropy'> }, d: number, logitBound: number): number {
  checkCount('maxLossSimplex', 'number of classes d', d, 2);
  checkNonNegative('maxLossSimplex', 'logit bound B', logitBound);
  if (loss.domain !== 'simplex') throw new BoundsInputError('maxLossSimplex', `the '${loss.name}' loss is not on the simplex; use maxLossSquared or maxLossEmpirical`);
  return loss.host.entropy(new Float64Array(d).fill(1 / d)) + 2 * logitBound;
}

/**
 * ℓ_max of the squared loss ½‖η − y‖² with d outputs, ‖η‖_∞ ≤ B and ‖y‖_∞ ≤ Y:  ½·d·(B + Y)². Cost: O(1).
 */
export function maxLossSquared(d: number, outputBound: number, targetBound: number): number {
  checkCount('maxLossSquared', 'number of outputs d', d);
  checkNonNegative('maxLossSquared', 'output bound B', outputBound);
  checkNonNegative('maxLossSquared', 'target bound Y', targetBound);
  return 0.5 * d * (outputBound + targetBound) ** 2;
}
