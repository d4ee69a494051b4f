import type { PatternSet } from './arrangements.js';
import { groupNormSum } from './convex-relu.js';
import type { Dataset } from './data.js';
import { checkBeta, DEFAULT_MEMORY_BUDGET } from './errors.js';
import { fistaGroupLasso } from './fista.js';
import { checkTargets, squaredLoss, type ConvexLoss } from './losses.js';
import { PatternOperator } from './pattern-operator.js';

/**
 * A solution of the gated-ReLU (C-GReLU) group lasso from {@link solveGatedGroupLasso}, with its
 * exact duality gap.
 */
export interface GatedSolution {
  /** u_{ik} as P·c blocks of length d (block i·c + k). */
  readonly theta: Float64Array;
  /** Patterns, features (with any bias column) and outputs. */
  readonly P: number;
  readonly d: number;
  readonly c: number;
  /** Z = Σ_i D_i X u_i, n×c row-major. */
  readonly predictions: Float64Array;
  /** ℓ(Z) + λ Σ‖u_i‖. */
  readonly primal: number;
  /** Dual value at the residual scaled into {‖(D_iX)ᵀλ_k‖ ≤ λ}. */
  readonly dual: number;
  /** primal − dual ≥ 0: the optimum over the pattern set lies in [dual, primal]. */
  readonly gap: number;
  /** FISTA iterations, the final gradient mapping and whether it met the tolerance (see {@link FistaResult}). */
  readonly iterations: number;
  readonly gradientMapping: number;
  readonly converged: boolean;
}

/**
 * The gated-ReLU (C-GReLU) convex program, an unconstrained group lasso over the features D_i X:
 *
 *   min_u ℓ(Σ_i D_i X u_i) + λ Σ_i ‖u_i‖₂,
 *
 * solved by FISTA with step 1/L_f, L_f = smoothness·‖[D₁X … D_PX]‖₂² from power iteration, group
 * soft-thresholding, and a stop on the gradient mapping. Its dual has the constraints
 * ‖(D_iX)ᵀλ‖ ≤ λ (no cones), so the gap is exact and cheap. Gated network: W₁ᵢ = u_i/‖u_i‖^{1/2},
 * W₂ᵢ = ‖u_i‖^{1/2} with the fixed gates of the pattern set.
 *
 * Cost: two GEMMs of O(n·d·P·c) per iteration.
 * @see spec/related-papers.md §C.6.2, §C.7 item 5
 */
export function solveGatedGroupLasso(data: Dataset, patterns: PatternSet, lambda: number, options: { loss?: ConvexLoss; maxIterations?: number; tol?: number; memoryBudgetBytes?: number } = {}): GatedSolution {
  checkBeta(lambda, 'lambda');
  const loss = options.loss ?? squaredLoss;
  const { X, Y, n, d, c } = data;
  checkTargets(loss, Y, n, c);
  const op = new PatternOperator(X, n, d, patterns, c, 1, options.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET);
  const { B, P } = op;
  const XT = new Float64Array(n * B), H = new Float64Array(n * B), Z = new Float64Array(n * c), G = new Float64Array(n * c);
  const smooth = (th: Float64Array, grad: Float64Array): number => {
    op.xt(th, XT); op.predict(XT, Z);
    const v = loss.value(Z, Y, n, c, G);
    H.fill(0); op.spreadGradient(G, H); op.adjoint(H, grad);
    return v;
  };
  const theta = new Float64Array(B * d), g0 = new Float64Array(B * d);
  smooth(theta, g0);
  let scale = lambda;
  for (const v of g0) scale = Math.max(scale, Math.abs(v));
  const res = fistaGroupLasso({ blocks: B, d, beta: lambda, lipschitz: 1.02 * loss.smoothness * op.normSquared(), smooth }, theta, { maxIterations: options.maxIterations ?? 20000, tol: (options.tol ?? 1e-10) * scale });
  op.xt(theta, XT); op.predict(XT, Z);
  const primal = loss.value(Z, Y, n, c, G) + lambda * groupNormSum(theta, B, d);
  // Dual feasibility of λ = −∇ℓ(Z): the block gradients are (D_iX)ᵀ(−λ_k).
  const grad = new Float64Array(B * d);
  H.fill(0); op.spreadGradient(G, H); op.adjoint(H, grad);
  let mx = 0;
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += grad[b * d + j]! ** 2;
    mx = Math.max(mx, Math.sqrt(s));
  }
  const dual = loss.dual(Z, Y, n, c, mx > lambda ? lambda / mx : 1);
  return { theta, P, d, c, predictions: Z.slice(), primal, dual, gap: primal - dual, iterations: res.iterations, gradientMapping: res.gradientMapping, converged: res.converged };
}
