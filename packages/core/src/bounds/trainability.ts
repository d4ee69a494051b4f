import { BoundsInputError, checkNonNegative } from './errors.js';

/** Gradient energy E = (1/n) Σ‖g_i‖² and the data-set extremes λ_min* ≤ λ_max* of the structure matrices. */
export interface EnergySpectrum {
  readonly energy: number;
  readonly lambdaMin: number;
  readonly lambdaMax: number;
}

/** A closed interval [lower, upper]; `upper` is +∞ (never NaN) when λ_min = 0. */
export interface Interval {
  readonly lower: number;
  readonly upper: number;
}

/** Upper bound num/den: +∞ when den = 0 (λ_min → 0 leaves the residual unconstrained, even when num = 0). */
const upperRatio = (num: number, den: number): number => (den > 0 ? num / den : Infinity);

/** Lower bound num/den: 0 when den = +∞; when den = 0 the inputs must have num = 0. */
function lowerRatio(where: string, num: number, den: number): number {
  if (den === Infinity) return 0;
  if (den > 0) return num / den;
  if (num === 0) return 0;
  throw new BoundsInputError(where, `gradient energy ${num} > 0 with λ_max = 0 is impossible (‖g‖² ≤ λ_max‖r‖²); check that λ_max is the LARGEST eigenvalue of the structure matrices`);
}

function checkSpectrum(where: string, s: EnergySpectrum): void {
  checkNonNegative(where, 'gradient energy E', s.energy);
  checkNonNegative(where, 'λ_min', s.lambdaMin);
  checkNonNegative(where, 'λ_max', s.lambdaMax, true);
  if (s.lambdaMin > s.lambdaMax) throw new BoundsInputError(where, `λ_min = ${s.lambdaMin} exceeds λ_max = ${s.lambdaMax}; pass the smallest and the largest eigenvalue, in that order`);
}

/**
 * Residual sandwich (S2), a checked reconstruction (docs/theory.md §3.3 [INF]): from g_i = J_iᵀ r_i,
 * ‖g_i‖² = r_iᵀ A_i r_i, so λ_min(A_i)‖r_i‖² ≤ ‖g_i‖² ≤ λ_max(A_i)‖r_i‖², and averaging,
 *
 *     E / λ_max*  ≤  (1/n) Σ_i ‖r_i‖²  ≤  E / λ_min*
 *
 * Small gradient energy with a well-conditioned structure matrix forces every residual ŷ_i − y_i to
 * be small. The upper end is +∞ when λ_min* = 0 (J rank-deficient: nothing is forced). Cost: O(1).
 * @see docs/theory.md §3.3, §7 item 13.
 */
export function residualBounds(s: EnergySpectrum): Interval {
  checkSpectrum('residualBounds', s);
  return { lower: lowerRatio('residualBounds', s.energy, s.lambdaMax), upper: upperRatio(s.energy, s.lambdaMin) };
}

/**
 * Per-sample form of (S1): ‖g_i‖²/λ_max(A_i) ≤ ‖r_i‖² ≤ ‖g_i‖²/λ_min(A_i). `lambdaMin` and
 * `lambdaMax` are per-sample arrays or one number for all. Cost: O(n).
 * @see docs/theory.md §3.3 (S1), §7 item 13.
 */
export function residualBoundsPerSample(
  gradSqNorms: ArrayLike<number>, lambdaMin: number | ArrayLike<number>, lambdaMax: number | ArrayLike<number>,
): { lower: Float64Array; upper: Float64Array } {
  const where = 'residualBoundsPerSample', n = checkSamples(where, gradSqNorms);
  const lmin = perSample(where, 'λ_min', lambdaMin, n), lmax = perSample(where, 'λ_max', lambdaMax, n);
  const lower = new Float64Array(n), upper = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const b = residualBounds({ energy: gradSqNorms[i]!, lambdaMin: lmin(i), lambdaMax: lmax(i) });
    lower[i] = b.lower; upper[i] = b.upper;
  }
  return { lower, upper };
}

/**
 * Empirical-risk sandwich for the squared loss L = ½‖η − y‖² (exact: ℓ_i = ½‖r_i‖²), a checked
 * reconstruction (docs/theory.md §3.4 [INF]):  E/(2λ_max*) ≤ R̂ ≤ E/(2λ_min*). Cost: O(1).
 * @see docs/theory.md §3.4, §7 item 14.
 */
export function mseRiskBounds(s: EnergySpectrum): Interval {
  const r = residualBounds(s);
  return { lower: r.lower / 2, upper: r.upper / 2 };
}

/**
 * Empirical-risk sandwich for any Fenchel–Young loss whose Ω is μ-strongly convex and β-smooth on
 * the relevant segments, so (μ/2)‖r_i‖² ≤ ℓ_i ≤ (β/2)‖r_i‖² (spec §2.1 property 4); a checked
 * reconstruction (docs/theory.md §3.4 [INF]):
 *
 *     μ·E/(2λ_max*)  ≤  R̂  ≤  β·E/(2λ_min*)
 *
 * MSE: μ = β = 1. Sparsemax and entmax: μ = 1 always; β = 1 (sparsemax) only while ŷ stays in the
 * relative interior of the simplex, where L is the Bregman divergence (spec §2.1 property 3) —
 * with a saturated ŷ the loss can exceed ½‖r‖² by far. Softmax: μ = 1 (Pinsker); β = 2/p_min (see
 * `crossEntropyRiskBounds`). β = +∞ gives upper = +∞. Cost: O(1).
 * @see docs/theory.md §2.1, §3.4, §7 item 14.
 */
export function curvatureRiskBounds(s: EnergySpectrum, curvature: { mu: number; beta: number }): Interval {
  const where = 'curvatureRiskBounds';
  checkNonNegative(where, 'μ (strong convexity)', curvature.mu);
  checkNonNegative(where, 'β (smoothness)', curvature.beta, true);
  if (curvature.mu > curvature.beta) throw new BoundsInputError(where, `μ = ${curvature.mu} exceeds β = ${curvature.beta}; strong convexity cannot exceed smoothness`);
  const r = residualBounds(s);
  const upper = r.upper === Infinity || curvature.beta === Infinity ? (r.upper === 0 ? 0 : Infinity) : (curvature.beta * r.upper) / 2;
  return { lower: (curvature.mu * r.lower) / 2, upper };
}

/** Per-sample inputs for the cross-entropy bounds. */
export interface CrossEntropySamples {
  /** ‖g_i‖² = ‖∇_θ ℓ_i‖² per sample. */
  readonly gradSqNorms: ArrayLike<number>;
  /** λ_min(A_i) per sample (or one number for all). */
  readonly lambdaMin: number | ArrayLike<number>;
  /** λ_max(A_i) per sample (or one number for all). */
  readonly lambdaMax: number | ArrayLike<number>;
  /** p_min,i = min_j softmax(η_i)_j per sample (or one lower bound for all); needed for `upper`. */
  readonly pMin?: number | ArrayLike<number>;
}

export interface CrossEntropyRiskBounds extends Interval {
  /** p_min-free upper bound (1/n) Σ −log(1 − ‖g_i‖/√λ_min,i); +∞ unless every term has ‖g_i‖ < √λ_min,i. */
  readonly upperPMinFree: number;
  /** The per-sample terms of lower, upper, upperPMinFree (each bounds ℓ_i). */
  readonly perSample: { lower: Float64Array; upper: Float64Array; upperPMinFree: Float64Array };
}

/**
 * Risk sandwich for softmax cross-entropy with one-hot labels, a checked reconstruction
 * (docs/theory.md §3.4 [INF]; the paper's Theorem 10 constants were not retrievable). Per sample,
 * ½‖r_i‖² ≤ ℓ_i (Pinsker) and ℓ_i ≤ ‖r_i‖²/p_min,i (KL ≤ χ²), with (S1) for ‖r_i‖², so
 *
 *     (1/n) Σ ‖g_i‖²/(2λ_max,i)  ≤  R̂  ≤  (1/n) Σ ‖g_i‖²/(p_min,i · λ_min,i)
 *
 * and the p_min-free alternative ℓ_i ≤ −log(1 − ‖r_i‖) ≤ −log(1 − ‖g_i‖/√λ_min,i) when that is
 * < 1 (ℓ_i = −log p_y and 1 − p_y ≤ ‖r_i‖). The p_min bound loosens as the model grows confident
 * (p_min → 0); the p_min-free one does not. Without `pMin`, `upper` is +∞. Cost: O(n).
 * @see docs/theory.md §3.4, §7 item 14.
 */
export function crossEntropyRiskBounds(s: CrossEntropySamples): CrossEntropyRiskBounds {
  const where = 'crossEntropyRiskBounds', n = checkSamples(where, s.gradSqNorms);
  const lmin = perSample(where, 'λ_min', s.lambdaMin, n), lmax = perSample(where, 'λ_max', s.lambdaMax, n);
  const pmin = s.pMin === undefined ? () => 0 : perSample(where, 'p_min', s.pMin, n);
  const lo = new Float64Array(n), up = new Float64Array(n), free = new Float64Array(n);
  let sLo = 0, sUp = 0, sFree = 0;
  for (let i = 0; i < n; i++) {
    const g2 = s.gradSqNorms[i]!, a = lmin(i), b = lmax(i), p = pmin(i);
    if (!(p >= 0 && p <= 1)) throw new BoundsInputError(where, `p_min[${i}] = ${p}; it is the smallest softmax probability, in [0, 1]`);
    const r = residualBounds({ energy: g2, lambdaMin: a, lambdaMax: b });
    lo[i] = r.lower / 2;
    up[i] = p > 0 ? r.upper / p : Infinity;
    const t = a > 0 ? Math.sqrt(g2 / a) : Infinity;
    free[i] = t < 1 ? -Math.log1p(-t) : Infinity;
    sLo += lo[i]!; sUp += up[i]!; sFree += free[i]!;
  }
  return { lower: sLo / n, upper: sUp / n, upperPMinFree: sFree / n, perSample: { lower: lo, upper: up, upperPMinFree: free } };
}

/**
 * Aggregate cross-entropy sandwich from E, λ_min*, λ_max* and p_min* = min_i p_min,i:
 * E/(2λ_max*) ≤ R̂ ≤ E/(p_min*·λ_min*) — `curvatureRiskBounds` with μ = 1, β = 2/p_min*
 * (a checked reconstruction, docs/theory.md §3.4 [INF]). Cost: O(1).
 */
export function crossEntropyRiskBoundsAggregate(s: EnergySpectrum & { readonly pMin: number }): Interval {
  checkNonNegative('crossEntropyRiskBoundsAggregate', 'p_min', s.pMin);
  if (s.pMin > 1) throw new BoundsInputError('crossEntropyRiskBoundsAggregate', `p_min = ${s.pMin} > 1; it is the smallest softmax probability`);
  return curvatureRiskBounds(s, { mu: 1, beta: s.pMin > 0 ? 2 / s.pMin : Infinity });
}

/**
 * The precursor code's log₂ diagnostics (docs/theory.md §3.4 [PRE]) for one sample:
 * U = log₂‖g‖² − log₂λ_min (upper estimate of log₂‖r‖²), L = log₂‖g‖² − log₂λ_max (lower),
 * F = log₂‖g‖² + log₂λ_max − log₂λ_min (the "convergence indicator" correlated with log₂ loss).
 * Working in log space keeps quantities spanning many orders of magnitude comparable; U and F are
 * +∞ at λ_min = 0, and all three are −∞ at g = 0.
 */
export function precursorLogBounds(gradSqNorm: number, lambdaMin: number, lambdaMax: number): { U: number; L: number; F: number } {
  checkSpectrum('precursorLogBounds', { energy: gradSqNorm, lambdaMin, lambdaMax });
  const g = Math.log2(gradSqNorm), a = lambdaMin > 0 ? Math.log2(lambdaMin) : -Infinity, b = Math.log2(lambdaMax);
  if (gradSqNorm === 0) return { U: -Infinity, L: -Infinity, F: -Infinity };
  return { U: g - a, L: g - b, F: g + b - a };
}

function checkSamples(where: string, a: ArrayLike<number>): number {
  if (a.length === 0) throw new BoundsInputError(where, 'no samples given; pass one ‖g_i‖² per sample');
  return a.length;
}

function perSample(where: string, what: string, v: number | ArrayLike<number>, n: number): (i: number) => number {
  if (typeof v === 'number') { checkNonNegative(where, what, v, what === 'λ_max'); return () => v; }
  if (v.length !== n) throw new BoundsInputError(where, `${what} has ${v.length} entries for ${n} samples; give one per sample or a single number`);
  return (i) => v[i]!;
}
