import type { DenseMatrixLike } from '../linop/linear-operator.js';
import { reflectorBasis, tridiagonalForm, tridiagonalize } from './householder-tridiagonal.js';
import { tridiagonalEigen } from './tridiagonal-eigen.js';

/** What {@link symmetricEigen} returns: every eigenvalue, ascending, and on request the eigenvectors as rows. */
export interface SymmetricEigen {
  /** All eigenvalues, ascending. */
  readonly values: Float64Array;
  /** Eigenvectors as rows (vector i at `[i·n, (i+1)·n)`), when requested. */
  readonly vectors?: Float64Array;
}

/**
 * All eigenvalues (optionally eigenvectors) of a dense symmetric matrix: blocked Householder
 * reduction to tridiagonal form (LAPACK dsytrd), then implicit QL (EISPACK tql). Backward stable: each computed λ is within
 * a few ε·‖A‖ of an exact eigenvalue. The oracle for every iterative estimator, and the right tool
 * for per-sample d×d structure matrices and NTKs up to a few thousand rows.
 *
 * Cost: ≈ (4/3)n³ flops for values, ≈ 3n³ more with vectors; memory 1–2 copies of A.
 * @see docs/theory.md §7 item 8.
 */
export function symmetricEigen(m: DenseMatrixLike, options: { vectors?: boolean } = {}): SymmetricEigen {
  const n = m?.size;
  if (!Number.isInteger(n) || n < 0) throw new Error(`symmetricEigen: size must be a non-negative integer, got ${n}`);
  // The empty matrix has no eigenvalues (an empty spectrum, not an error).
  if (n === 0 && (m.data === undefined || m.data.length === 0)) return { values: new Float64Array(0), ...(options.vectors ? { vectors: new Float64Array(0) } : {}) };
  if (!m.data || typeof m.data.length !== 'number') throw new Error('symmetricEigen: data must be an array of size·size values (row-major)');
  if (m.data.length !== n * n) throw new Error(`symmetricEigen: ${m.data.length} values for a ${n}×${n} matrix`);
  // One pass for finiteness and scale; the asymmetry comes from the reduction's symmetrising copy.
  const data = m.data;
  let scale = 0;
  for (let i = 0; i < data.length; i++) {
    const v = Math.abs(data[i]!);
    if (!(v <= Number.MAX_VALUE)) throw new Error(`symmetricEigen: entry ${i} is ${data[i]}; the matrix must be finite`);
    if (v > scale) scale = v;
  }
  const onAsymmetry = (diff: number) => {
    const asym = scale === 0 ? 0 : diff / scale;
    if (asym > 1e-8) throw new Error(`symmetricEigen: matrix is not symmetric (max |A−Aᵀ| / max |A| = ${asym.toExponential(2)}); symmetrize it or use a general solver`);
  };
  if (n === 1) return { values: Float64Array.of(m.data[0]!), ...(options.vectors ? { vectors: Float64Array.of(1) } : {}) };

  // The reduction symmetrizes exactly, so round-off asymmetry does not bias it.
  if (!options.vectors) {
    const t = tridiagonalForm(data, n, { onAsymmetry });
    return { values: tridiagonalEigen(t.diag, t.off).values };
  }
  const red = tridiagonalize(data, n, { onAsymmetry });
  // Basis rows = columns of Q, so eigenvectors of T come back as eigenvectors of A.
  const res = tridiagonalEigen(red.diag, red.off, true, { rows: reflectorBasis(red), width: n });
  return { values: res.values, vectors: res.vectors! };
}
