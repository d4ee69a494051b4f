import type { PatternSet } from './arrangements.js';
import type { Dataset } from './data.js';
import { checkBeta } from './errors.js';
import { gemmAtB } from './linalg/blas.js';
import { projectOntoCone } from './linalg/cone-projection.js';
import { squaredLoss, type ConvexLoss } from './losses.js';

/**
 * The dual certificate of (C4) over a pattern set, for a candidate prediction Z.
 *
 * The dual of (C4) is max_λ −Σ ℓ*(−λ) s.t. for every pattern i, output k and sign ±,
 * max_{u ∈ K_i, ‖u‖ ≤ 1} ±λ_kᵀ D_i X u = ‖Π_{K_i}(±(D_iX)ᵀλ_k)‖ ≤ β, where K_i = {u : (2D_i − I)Xu ≥ 0}.
 * The candidate λ = −∇ℓ(Z) (the residual y − ŷ for squared loss) is scaled by s = min(1, β/max)
 * into the feasible set, so `dualValue` is a valid lower bound on the optimum of (C4) over these
 * patterns whatever Z is; with all patterns (exact enumeration) it bounds the non-convex
 * optimum p* of (C1) from below. Z is optimal iff the primal value equals `dualValue`.
 * [INF: the cone-ball maximum as a projection norm is standard convex analysis; VER in spec]
 *
 * Cost: one GEMM O(n·d·P·c) plus 2·P·c cone projections (each O(n·d) per active-set step).
 * @see spec/related-papers.md §C.4 "Dual certificate", §C.7 item 8
 */
export interface DualCertificate {
  /** −∇ℓ(Z), n×c (the residual for squared loss). */
  readonly lambda: Float64Array;
  /** ‖Π_{K_i}(±(D_iX)ᵀλ_k)‖ per pattern, output and sign: index (s·P + i)·c + k. */
  readonly constraint: Float64Array;
  /** max of `constraint`. */
  readonly maxConstraint: number;
  /** maxConstraint / β: ≤ 1 means λ is dual feasible as is (= 1 on active patterns at the optimum). */
  readonly ratio: number;
  /** The scale s = min(1, β / maxConstraint) applied to λ. */
  readonly scale: number;
  /** −Σ ℓ*(−sλ): a lower bound on the optimum over the pattern set. */
  readonly dualValue: number;
  /** Patterns (with sign and output) where the constraint is tight within 1e-6 relative. */
  readonly tight: number;
}

/**
 * The {@link DualCertificate} of predictions Z (n×c, row-major) for the convex program (C4) over
 * a pattern set, with weight decay β and a loss (default squared): λ = −∇ℓ(Z) scaled into the dual
 * feasible set, so its `dualValue` lower-bounds the optimum.
 * @throws ConvexInputError when β is not a finite number > 0.
 * @throws Error when Z does not have n·c entries.
 */
export function certifyPredictions(data: Dataset, patterns: PatternSet, Z: Float64Array, beta: number, loss: ConvexLoss = squaredLoss): DualCertificate {
  checkBeta(beta);
  const { X, Y, n, d, c } = data;
  if (Z.length !== n * c) throw new Error(`predictions have ${Z.length} entries, expected n·c = ${n * c}`);
  const P = patterns.P, m = patterns.masks;
  const lambda = new Float64Array(n * c);
  loss.residual(Z, Y, n, c, lambda);
  // M[r, i·c + k] = D_i[r] λ[r, k]; Gm = Mᵀ X holds every (D_iX)ᵀλ_k as a row.
  const M = new Float64Array(n * P * c);
  for (let r = 0; r < n; r++) for (let i = 0; i < P; i++) if (m[i * n + r]) for (let k = 0; k < c; k++) M[r * P * c + i * c + k] = lambda[r * c + k]!;
  const Gm = new Float64Array(P * c * d);
  gemmAtB(M, X, Gm, n, P * c, d);
  const constraint = new Float64Array(2 * P * c);
  const signs = new Int8Array(n), g = new Float64Array(d);
  let maxC = 0, tight = 0;
  for (let i = 0; i < P; i++) {
    for (let r = 0; r < n; r++) signs[r] = m[i * n + r] ? 1 : -1;
    for (let k = 0; k < c; k++) {
      for (let s = 0; s < 2; s++) {
        for (let j = 0; j < d; j++) g[j] = (s === 0 ? 1 : -1) * Gm[(i * c + k) * d + j]!;
        const val = projectOntoCone(X, signs, n, d, g).norm;
        constraint[(s * P + i) * c + k] = val;
        if (val > maxC) maxC = val;
      }
    }
  }
  for (const v of constraint) if (Math.abs(v - beta) <= 1e-6 * beta) tight++;
  const scale = maxC > beta ? beta / maxC : 1;
  return { lambda, constraint, maxConstraint: maxC, ratio: maxC / beta, scale, dualValue: loss.dual(Z, Y, n, c, scale), tight };
}
