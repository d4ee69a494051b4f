import { crossEntropyRiskBounds, precursorLogBounds, residualBounds, residualBoundsPerSample } from '../bounds/trainability.js';

/**
 * The trainability sandwich evaluated on a probe set, from per-sample quantities the probes
 * return, using the bounds module (reconstructed inequalities of spec theory.md §3.3–3.4, tagged
 * INF there: checked reconstructions, not the paper's verbatim Theorem 10):
 *
 *   (S1) ‖g_i‖²/λ_max(A_i) ≤ ‖r_i‖² ≤ ‖g_i‖²/λ_min(A_i)          (g_i = J_iᵀ r_i)
 *   (S2) E/λ*_max ≤ (1/n)Σ‖r_i‖² ≤ E/λ*_min
 *   (R)  softmax-CE: (1/n)Σ ‖g_i‖²/(2λ_max,i) ≤ R̂ ≤ (1/n)Σ ‖g_i‖²/(p_min,i λ_min,i), and the
 *        p_min-free upper bound (1/n)Σ −log(1 − ‖g_i‖/√λ_min,i).
 *
 * This module only checks MEASURED residuals and losses against those bounds, with a relative
 * tolerance for float32 round-off; upper bounds are +∞ (never NaN) when λ_min → 0.
 */
export interface SandwichInput {
  /** ‖g_i‖² per sample. */
  readonly gradSq: ArrayLike<number>;
  /** ‖r_i‖² per sample. */
  readonly residualSq: ArrayLike<number>;
  readonly lambdaMin: ArrayLike<number>;
  readonly lambdaMax: ArrayLike<number>;
  /** ℓ_i per sample. */
  readonly losses: ArrayLike<number>;
  /** min_j ŷ_ij per sample (softmax p_min). */
  readonly pMin: ArrayLike<number>;
}

/**
 * The trainability sandwich checked on one probe set by {@link evaluateSandwich}: the energy E, the mean
 * squared residual, min_i λ_min(A_i) and max_i λ_max(A_i), the per-sample (S1) violations, the (S2)
 * residual bounds, the (R) risk bounds with the measured risk, and whether all hold.
 */
export interface SandwichReport {
  readonly n: number;
  /** E = (1/n)Σ‖g_i‖². */
  readonly energy: number;
  readonly residualSqMean: number;
  readonly lambdaMinStar: number;
  readonly lambdaMaxStar: number;
  /** (S1): samples whose measured ‖r_i‖² leaves its interval beyond `tol`, and the largest relative excess. */
  readonly perSample: { readonly violations: number; readonly maxViolation: number };
  /** (S2) bounds on the mean squared residual. */
  readonly residualLower: number;
  readonly residualUpper: number;
  /** (R) bounds on the probe-set risk, and the measured risk. */
  readonly risk: number;
  readonly riskLower: number;
  readonly riskUpper: number;
  readonly riskUpperPminFree: number;
  /** All of S1, S2 and R hold within `tol` (relative). */
  readonly holds: boolean;
}

/**
 * `crossEntropy: false` (another FY loss) keeps S1/S2, which hold for every FY loss (r = ŷ − y), and
 * replaces the softmax-specific risk bounds R by the trivial [0, +∞].
 */
export function evaluateSandwich(s: SandwichInput, tol = 1e-4, options: { crossEntropy?: boolean } = {}): SandwichReport {
  const n = s.gradSq.length;
  if (n === 0) throw new Error('sandwich: empty probe set');
  for (const [k, v] of Object.entries(s)) if ((v as ArrayLike<number>).length !== n) throw new Error(`sandwich: ${k} has ${(v as ArrayLike<number>).length} entries, expected ${n}`);
  // Round-off can leave a tiny negative eigenvalue of a PSD matrix, or λ_min a hair above λ_max.
  const lmin = Float64Array.from(s.lambdaMin, (v) => Math.max(0, v));
  const lmax = Float64Array.from(s.lambdaMax, (v, i) => Math.max(v, lmin[i]!));
  const pMin = Float64Array.from(s.pMin, (p) => Math.min(1, Math.max(0, p)));
  const per = residualBoundsPerSample(s.gradSq, lmin, lmax);
  let e = 0, rr = 0, risk = 0, violations = 0, maxViolation = 0;
  for (let i = 0; i < n; i++) {
    const r = s.residualSq[i]!;
    e += s.gradSq[i]!; rr += r; risk += s.losses[i]!;
    const v = Math.max(per.lower[i]! - r, r - per.upper[i]!, 0) / Math.max(r, Number.MIN_VALUE);
    if (v > tol) violations++;
    maxViolation = Math.max(maxViolation, v);
  }
  e /= n; rr /= n; risk /= n;
  const lminStar = lmin.reduce((a, b) => Math.min(a, b), Infinity), lmaxStar = lmax.reduce((a, b) => Math.max(a, b), 0);
  const s2 = residualBounds({ energy: e, lambdaMin: lminStar, lambdaMax: lmaxStar });
  const ce = options.crossEntropy === false ? { lower: 0, upper: Infinity, upperPMinFree: Infinity }
    : crossEntropyRiskBounds({ gradSqNorms: s.gradSq, lambdaMin: lmin, lambdaMax: lmax, pMin });
  const within = (x: number, y: number) => x <= y * (1 + tol) + 1e-30;
  const holds = violations === 0 && within(s2.lower, rr) && within(rr, s2.upper) && within(ce.lower, risk) && within(risk, ce.upper);
  return {
    n, energy: e, residualSqMean: rr, lambdaMinStar: lminStar, lambdaMaxStar: lmaxStar, perSample: { violations, maxViolation },
    residualLower: s2.lower, residualUpper: s2.upper, risk, riskLower: ce.lower, riskUpper: ce.upper, riskUpperPminFree: ce.upperPMinFree, holds,
  };
}

/** The precursor's indicator F = log₂ E + log₂ λ*_max − log₂ λ*_min (bounds' `precursorLogBounds`). */
export function convergenceIndicator(energy: number, lambdaMinStar: number, lambdaMaxStar: number): number {
  return precursorLogBounds(energy, lambdaMinStar, lambdaMaxStar).F;
}
