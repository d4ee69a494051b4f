import { BoundsInputError, checkCount, checkDelta, checkNonNegative, checkPositive } from './errors.js';
import { klInverseLower, klInverseUpper } from './kl-inverse.js';
import type { Interval } from './trainability.js';

/** The common inputs of the classical bounds: n i.i.d. samples, failure probability δ, loss range [0, ℓ_max]. */
export interface ConfidenceInput {
  /** Number of i.i.d. samples the empirical risk was measured on. */
  readonly n: number;
  /** Failure probability δ ∈ (0, 1): the statement holds with probability ≥ 1 − δ. */
  readonly delta: number;
  /** ℓ_max: the loss lies in [0, ℓ_max] (default 1). See `maxLossSoftmax` and friends. */
  readonly range?: number;
}

function checkConfidence(where: string, s: ConfidenceInput): number {
  checkCount(where, 'n', s.n);
  checkDelta(where, s.delta);
  const range = s.range ?? 1;
  checkPositive(where, 'range ℓ_max', range);
  return range;
}

function checkRisk(where: string, r: number, range: number): void {
  checkNonNegative(where, 'empirical risk', r);
  if (r > range * (1 + 1e-12)) throw new BoundsInputError(where, `empirical risk ${r} exceeds the loss range ℓ_max = ${range}; pass the right ℓ_max (losses must lie in [0, ℓ_max])`);
}

/**
 * Hoeffding radius for the mean of n i.i.d. values in [0, ℓ_max] (docs/theory.md §5.3, §7 item 21;
 * background, not the paper's bound):  ℓ_max·√(log(k/δ)/(2n)),  k = 2 two-sided (default), 1 one-sided.
 * Valid for ONE predictor fixed before the sample is drawn (e.g. a test set). Cost: O(1).
 */
export function hoeffdingRadius(s: ConfidenceInput & { readonly sided?: 'two' | 'one' }): number {
  const range = checkConfidence('hoeffdingRadius', s);
  return range * Math.sqrt(Math.log((s.sided === 'one' ? 1 : 2) / s.delta) / (2 * s.n));
}

/** Two-sided Hoeffding interval for the risk R of a fixed predictor: R̂ ± radius, clipped to [0, ℓ_max]. */
export function hoeffdingBound(s: ConfidenceInput & { readonly empiricalRisk: number }): Interval {
  const range = checkConfidence('hoeffdingBound', s);
  checkRisk('hoeffdingBound', s.empiricalRisk, range);
  const r = hoeffdingRadius(s);
  return { lower: Math.max(0, s.empiricalRisk - r), upper: Math.min(range, s.empiricalRisk + r) };
}

/** Inputs of the PAC-Bayes bounds: the posterior's empirical (Gibbs) risk and KL(ρ‖π) to a prior fixed before the data. */
export interface PacBayesInput extends ConfidenceInput {
  /** Empirical risk of the Gibbs predictor E_{h∼ρ} R̂(h), in [0, ℓ_max]. */
  readonly empiricalRisk: number;
  /** KL(ρ‖π) in nats, ≥ 0 (0 for a posterior equal to the prior, e.g. a single fixed predictor). */
  readonly kl: number;
}

/** (KL + log(2√n/δ))/n: the right-hand side of the PAC-Bayes-kl inequality (Maurer 2004). */
export function pacBayesComplexity(s: Pick<PacBayesInput, 'kl' | 'n' | 'delta'>): number {
  checkNonNegative('pacBayesComplexity', 'KL(ρ‖π)', s.kl, true);
  checkCount('pacBayesComplexity', 'n', s.n);
  checkDelta('pacBayesComplexity', s.delta);
  return (s.kl + Math.log((2 * Math.sqrt(s.n)) / s.delta)) / s.n;
}

/**
 * McAllester's PAC-Bayes bound with Maurer's constant (McAllester 1999; Maurer 2004): with
 * probability ≥ 1 − δ, for every posterior ρ,
 *
 *     R(ρ) ≤ R̂(ρ) + ℓ_max·√((KL(ρ‖π) + log(2√n/δ)) / (2n))
 *
 * It is the Pinsker relaxation of `pacBayesKlBound` and never tighter. Clipped at ℓ_max. Cost: O(1).
 */
export function mcAllesterBound(s: PacBayesInput): number {
  const range = checkConfidence('mcAllesterBound', s);
  checkRisk('mcAllesterBound', s.empiricalRisk, range);
  return Math.min(range, s.empiricalRisk + range * Math.sqrt(pacBayesComplexity(s) / 2));
}

/**
 * PAC-Bayes-kl (Seeger 2002; Maurer 2004): with probability ≥ 1 − δ, for every posterior ρ,
 *
 *     kl( R̂(ρ)/ℓ_max ‖ R(ρ)/ℓ_max ) ≤ (KL(ρ‖π) + log(2√n/δ)) / n
 *
 * inverted by bisection (`klInverseUpper`, `klInverseLower`) into an interval for R(ρ). Both ends
 * hold simultaneously at level 1 − δ (one inequality). Cost: ≈ 100 kl evaluations.
 */
export function pacBayesKlBound(s: PacBayesInput): Interval {
  const range = checkConfidence('pacBayesKlBound', s);
  checkRisk('pacBayesKlBound', s.empiricalRisk, range);
  const q = Math.min(1, s.empiricalRisk / range), c = pacBayesComplexity(s);
  return { lower: range * klInverseLower(q, c), upper: range * klInverseUpper(q, c) };
}
