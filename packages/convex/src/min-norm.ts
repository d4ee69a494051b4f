import type { PatternSet } from './arrangements.js';
import { certifyPredictions } from './certificate.js';
import { groupNormSum, solveConvexReLU } from './convex-relu.js';
import type { Dataset } from './data.js';
import { ConvexInputError } from './errors.js';

/**
 * The minimum-norm interpolating two-layer ReLU network of {@link minNormInterpolation}, in the
 * convex variables of (C4), with a dual lower bound on the norm.
 */
export interface MinNormSolution {
  /** θ as 2·P·c blocks of length d, laid out as in {@link ConvexReluSolution.theta}. */
  readonly theta: Float64Array;
  /** Patterns, features and outputs. */
  readonly P: number;
  readonly d: number;
  readonly c: number;
  /** ŷ = Σ_i D_i X (v_i − w_i), n×c row-major; its largest deviation from y is `residual`. */
  readonly predictions: Float64Array;
  /** Σ_i (‖v_i‖ + ‖w_i‖): the minimal norm (the "neural gauge" of y). */
  readonly norm: number;
  /** max_r |ŷ_r − y_r|. */
  readonly residual: number;
  /** Dual lower bound max λᵀy s.t. ‖Π_{K_i}(±(D_iX)ᵀλ)‖ ≤ 1, at the Bregman dual point. */
  readonly dual: number;
  /** norm − dual: how far the norm may be above the true minimum. */
  readonly gap: number;
  /** Bregman iterations (warm-started (C4) solves). */
  readonly outerIterations: number;
}

/**
 * Minimum-norm interpolation, the β → 0 limit of (C4):
 *
 *   min Σ_i (‖v_i‖ + ‖w_i‖)  s.t.  Σ_i D_i X (v_i − w_i) = y,  (2D_i − I) X v_i ≥ 0, (2D_i − I) X w_i ≥ 0.
 *
 * Solved by Bregman iteration (the method of multipliers on the equality): repeatedly solve (C4)
 * with a fixed β' and the target y_t, then y_{t+1} = y_t + (y − ŷ_t). Its fixed points interpolate
 * y exactly and are norm-minimal; (y_t − ŷ_t)/β' converges to the dual variable, which gives the
 * certificate. Squared loss only (interpolation of real targets). [INF formula; spec §C.6.5]
 *
 * Cost: outer iterations × one warm-started (C4) solve.
 */
export function minNormInterpolation(data: Dataset, patterns: PatternSet, options: { innerBeta?: number; maxOuter?: number; tol?: number; memoryBudgetBytes?: number } = {}): MinNormSolution {
  const { Y, n, c } = data;
  let ymax = 0;
  for (const v of Y) ymax = Math.max(ymax, Math.abs(v));
  if (ymax === 0) throw new ConvexInputError('all targets are 0: the minimum-norm interpolant is the zero network');
  const betaP = options.innerBeta ?? 0.1 * ymax;
  const tol = (options.tol ?? 1e-9) * ymax;
  const target = Float64Array.from(Y);
  let theta: Float64Array | undefined;
  let Z: Float64Array = new Float64Array(n * c), residual = Infinity, outer = 0;
  const maxOuter = options.maxOuter ?? 500;
  for (; outer < maxOuter; outer++) {
    const sol = solveConvexReLU({ ...data, Y: target }, patterns, betaP, { certify: false, ...(theta ? { warmStart: theta } : {}), ...(options.memoryBudgetBytes ? { memoryBudgetBytes: options.memoryBudgetBytes } : {}) });
    theta = sol.theta; Z = sol.predictions;
    residual = 0;
    for (let i = 0; i < n * c; i++) residual = Math.max(residual, Math.abs(Y[i]! - Z[i]!));
    if (residual <= tol) { outer++; break; }
    for (let i = 0; i < n * c; i++) target[i]! += Y[i]! - Z[i]!;
  }
  const P = patterns.P, d = data.d;
  // Dual point λ = (y_t − ŷ)/β', scaled into {constraint ≤ 1}: value s·λᵀy.
  const cert = certifyPredictions({ ...data, Y: target }, patterns, Z, betaP);
  let ly = 0;
  for (let i = 0; i < n * c; i++) ly += cert.lambda[i]! * Y[i]!;
  const dual = (cert.scale * ly) / betaP;
  const norm = groupNormSum(theta!, 2 * P * c, d);
  return { theta: theta!, P, d, c, predictions: Z, norm, residual, dual, gap: norm - dual, outerIterations: outer };
}
