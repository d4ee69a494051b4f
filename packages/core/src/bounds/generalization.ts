import { BoundsInputError, checkCount, checkDelta, checkNonNegative, checkPositive } from './errors.js';
import { hoeffdingRadius, pacBayesKlBound } from './classical.js';
import type { Interval } from './trainability.js';

/** The ingredients of the abstract's generalization bounds (docs/theory.md §5.1). */
export interface EntropyTerms {
  /** H_Ω(Y|X): generalized conditional entropy of the labels given the input. */
  readonly conditionalEntropy: number;
  /** Δ_g = H_Ω(Y|g(X)) − H_Ω(Y|X) ≥ 0: information loss of the representation the predictor uses. */
  readonly informationLoss: number;
  /** ℓ_max: the loss of every predictor considered lies in [0, ℓ_max]. */
  readonly ellMax: number;
}

/** An interval for the population risk R(h) and one for the generalization gap R(h) − R̂(h), as {@link deterministicGeneralizationRange} returns them. */
export interface GeneralizationRange {
  /** Range of the risk R(h). */
  readonly risk: Interval;
  /** Range of the generalization gap R(h) − R̂(h). */
  readonly gap: Interval;
}

function checkTerms(where: string, t: EntropyTerms): void {
  checkNonNegative(where, 'conditional entropy H_Ω(Y|X)', t.conditionalEntropy);
  if (typeof t.informationLoss !== 'number' || Number.isNaN(t.informationLoss) || t.informationLoss < -1e-12)
    throw new BoundsInputError(where, `information loss is ${t.informationLoss}; it must be ≥ 0 (a negative plug-in means Z is not a function of X on the sample: see informationLoss().zIsFunctionOfX)`);
  checkPositive(where, 'ℓ_max', t.ellMax);
}

/**
 * Deterministic range of the risk and of the generalization gap — a RECONSTRUCTION (docs/theory.md
 * §5.1–5.3 [INF]): the paper's statement, constants and definitions were not retrievable; this is
 * what its three named factors give by elementary arguments. For every predictor h = φ∘g whose
 * loss lies in [0, ℓ_max], under the distribution the entropies are computed for,
 *
 *     H_Ω(Y|X) + Δ_g  =  H_Ω(Y|g(X))  ≤  R(h)  ≤  ℓ_max
 *     ⇒  H_Ω(Y|X) + Δ_g − R̂(h)  ≤  R(h) − R̂(h)  ≤  ℓ_max − R̂(h)
 *
 * (the lower end: no function of g(X) beats the Bayes risk of g(X); information lost by an
 * irreversible g raises it). With population H and Δ (a known distribution) this bounds the true
 * gap: a training risk below H_Ω(Y|X) + Δ_g is overfitting by at least the difference. With
 * plug-in values on the training sample it is the empirical identity R̂ ≥ Ĥ_Ω(Y|g(X)); use
 * `probabilisticGeneralizationRange` for a statement about R from a sample. Cost: O(1).
 * @see docs/theory.md §5.1, §5.3.
 */
export function deterministicGeneralizationRange(t: EntropyTerms & { readonly empiricalRisk: number }): GeneralizationRange {
  const where = 'deterministicGeneralizationRange';
  checkTerms(where, t);
  checkNonNegative(where, 'empirical risk', t.empiricalRisk);
  const floor = t.conditionalEntropy + Math.max(0, t.informationLoss);
  if (floor > t.ellMax * (1 + 1e-12)) throw new BoundsInputError(where, `H_Ω(Y|X) + Δ = ${floor} exceeds ℓ_max = ${t.ellMax}; ℓ_max must bound the loss of every predictor (see maxLossSoftmax)`);
  return { risk: { lower: floor, upper: t.ellMax }, gap: { lower: floor - t.empiricalRisk, upper: t.ellMax - t.empiricalRisk } };
}

/** How the upper end of the probabilistic range is obtained. */
export type UpperMethod =
  /** Uniform over every φ∘q with q a fixed quantizer into `cells` cells and `classes` labels (Weissman et al. 2003). */
  | { readonly kind: 'cells'; readonly cells: number; readonly classes: number }
  /** One predictor fixed before the sample (e.g. a test set): one-sided Hoeffding. */
  | { readonly kind: 'hoeffding' }
  /** A posterior ρ with KL(ρ‖π) to a data-independent prior: PAC-Bayes-kl. */
  | { readonly kind: 'pac-bayes-kl'; readonly kl: number };

export interface ProbabilisticInput extends EntropyTerms {
  /** R̂(h) on the same n i.i.d. samples the plug-in entropies were computed on. */
  readonly empiricalRisk: number;
  readonly n: number;
  /** Failure probability spent on the floor (lower end). */
  readonly deltaFloor: number;
  /** Failure probability spent on the upper end. The range holds with probability ≥ 1 − deltaFloor − deltaUpper. */
  readonly deltaUpper: number;
  readonly upper: UpperMethod;
}

/** A {@link GeneralizationRange} that holds with probability ≥ 1 − δ, from {@link probabilisticGeneralizationRange}, with δ and the slack terms of the floor and of the upper method. */
export interface ProbabilisticRange extends GeneralizationRange {
  /** Total failure probability δ = deltaFloor + deltaUpper (union bound). */
  readonly delta: number;
  /** ℓ_max·√(log(1/δ_floor)/(2n)): the McDiarmid slack of the plug-in floor. */
  readonly floorSlack: number;
  /** The deviation term of the upper method (for 'pac-bayes-kl': upper − R̂). */
  readonly upperSlack: number;
}

/**
 * Probabilistic range of the population risk — a RECONSTRUCTION (docs/theory.md §5.1–5.3 [INF]),
 * built from plug-in generalized conditional entropy, information loss and ℓ_max, with the
 * confidence split explicit. With probability ≥ 1 − δ_floor − δ_upper over n i.i.d. samples:
 *
 *   lower:  R(h) ≥ Ĥ_Ω(Y|X) + Δ̂_g − ℓ_max·√(log(1/δ_floor)/(2n))   for EVERY h = φ∘g with loss in [0, ℓ_max].
 *     Proof: Ĥ_B = min_φ R̂(φ∘g) over that class changes by ≤ ℓ_max/n when one sample changes, so
 *     McDiarmid gives E Ĥ_B ≥ Ĥ_B − slack; E Ĥ_B ≤ min_φ E R̂ = H_B ≤ R(h) (a minimum of averages is
 *     biased low), and Ĥ_B ≥ Ĥ_Ω(Y|g(X)) (the plug-in minimizes over all φ).
 *     Needs g (and its quantizer) fixed before the sample, and h a function of the grouped g(x).
 *   upper:  'cells': R(h) ≤ R̂(h) + ℓ_max·√((K·d·log 2 + log(1/δ_upper))/(2n)) uniformly over
 *     h = φ∘q, q into K cells, d classes (|R − R̂| ≤ ℓ_max·TV(P, P̂) on K·d atoms; Weissman's L1
 *     inequality) — coarser g: fewer cells, smaller deviation, larger floor: the trade-off the
 *     abstract describes for irreversible maps and depth. 'hoeffding': a fixed h. 'pac-bayes-kl':
 *     a posterior. The lower end also uses the deviation (R ≥ R̂ − slack) when it is larger.
 *
 * Cost: O(1) (O(50) kl evaluations for 'pac-bayes-kl').
 * @see docs/theory.md §5.1, §5.3, §7 items 18–21.
 */
export function probabilisticGeneralizationRange(s: ProbabilisticInput): ProbabilisticRange {
  const where = 'probabilisticGeneralizationRange';
  checkTerms(where, s);
  checkNonNegative(where, 'empirical risk', s.empiricalRisk);
  checkCount(where, 'n', s.n);
  checkDelta(where, s.deltaFloor, 'deltaFloor');
  checkDelta(where, s.deltaUpper, 'deltaUpper');
  const delta = s.deltaFloor + s.deltaUpper;
  if (!(delta < 1)) throw new BoundsInputError(where, `deltaFloor + deltaUpper = ${delta} ≥ 1; the total failure probability must be < 1 (e.g. 0.025 + 0.025)`);
  const L = s.ellMax, n = s.n, R = s.empiricalRisk;
  if (R > L * (1 + 1e-12)) throw new BoundsInputError(where, `empirical risk ${R} exceeds ℓ_max = ${L}`);
  const floorSlack = L * Math.sqrt(Math.log(1 / s.deltaFloor) / (2 * n));
  let upper: number, upperSlack: number, devLower = -Infinity;
  switch (s.upper.kind) {
    case 'cells': {
      checkCount(where, 'cells K', s.upper.cells);
      checkCount(where, 'classes d', s.upper.classes);
      upperSlack = L * Math.sqrt((s.upper.cells * s.upper.classes * Math.LN2 + Math.log(1 / s.deltaUpper)) / (2 * n));
      upper = R + upperSlack; devLower = R - upperSlack;
      break;
    }
    case 'hoeffding':
      upperSlack = hoeffdingRadius({ n, delta: s.deltaUpper, range: L, sided: 'one' });
      upper = R + upperSlack;
      break;
    case 'pac-bayes-kl': {
      const b = pacBayesKlBound({ empiricalRisk: R, kl: s.upper.kl, n, delta: s.deltaUpper, range: L });
      upper = b.upper; upperSlack = b.upper - R; devLower = b.lower;
      break;
    }
    default:
      throw new BoundsInputError(where, `unknown upper method ${JSON.stringify(s.upper)}; use 'cells', 'hoeffding' or 'pac-bayes-kl'`);
  }
  const lower = Math.max(0, s.conditionalEntropy + Math.max(0, s.informationLoss) - floorSlack, devLower);
  upper = Math.min(L, upper);
  return { risk: { lower, upper }, gap: { lower: lower - R, upper: upper - R }, delta, floorSlack, upperSlack };
}
