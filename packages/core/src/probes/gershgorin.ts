import type { DenseMatrix } from '../linop/linear-operator.js';

/** The Gershgorin discs of a square matrix from {@link gershgorinDiscs}: centres, radii, and the bounds they give on λ_min and λ_max. */
export interface GershgorinDiscs {
  /** Disc centres a_kk. */
  readonly centers: Float64Array;
  /** Disc radii R_k = Σ_{j≠k} |a_kj|. */
  readonly radii: Float64Array;
  /** min_k (a_kk − R_k) ≤ λ_min. */
  readonly lower: number;
  /** max_k (a_kk + R_k) ≥ λ_max. */
  readonly upper: number;
}

/**
 * Gershgorin discs of a square matrix: every eigenvalue lies in some disc |λ − a_kk| ≤ R_k, so for
 * a symmetric A, λ_min ≥ min_k (a_kk − R_k) and λ_max ≤ max_k (a_kk + R_k). For A = J Jᵀ the
 * centres are ‖∇f_k‖² and the radii sum |⟨∇f_k, ∇f_j⟩|: when the output gradients are nearly
 * orthogonal ("gradient independence", INF reconstruction of the precursor paper's argument)
 * the discs are narrow and bound λ_min away from 0.
 *
 * Cost: O(d²).
 * @see spec/related-papers.md A.3.5 (A6), (A7).
 */
export function gershgorinDiscs(m: DenseMatrix): GershgorinDiscs {
  const n = m.size, a = m.data;
  if (a.length !== n * n) throw new Error(`gershgorinDiscs: ${a.length} values for a ${n}×${n} matrix`);
  const centers = new Float64Array(n), radii = new Float64Array(n);
  let lower = Infinity, upper = -Infinity;
  for (let k = 0; k < n; k++) {
    let r = 0;
    for (let j = 0; j < n; j++) if (j !== k) r += Math.abs(a[k * n + j]!);
    centers[k] = a[k * n + k]!;
    radii[k] = r;
    lower = Math.min(lower, centers[k]! - r);
    upper = Math.max(upper, centers[k]! + r);
  }
  return { centers, radii, lower, upper };
}
