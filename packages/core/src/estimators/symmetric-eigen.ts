import { asymmetry } from '../linop/dense.js';
import type { DenseMatrix } from '../linop/linear-operator.js';
import { tridiagonalEigen } from './tridiagonal-eigen.js';

export interface SymmetricEigen {
  /** All eigenvalues, ascending. */
  readonly values: Float64Array;
  /** Eigenvectors as rows (vector i at `[i·n, (i+1)·n)`), when requested. */
  readonly vectors?: Float64Array;
}

/**
 * All eigenvalues (optionally eigenvectors) of a dense symmetric matrix: Householder reduction to
 * tridiagonal form, then implicit QL (EISPACK tred/tql). Backward stable: each computed λ is within
 * a few ε·‖A‖ of an exact eigenvalue. The oracle for every iterative estimator, and the right tool
 * for per-sample d×d structure matrices and NTKs up to a few thousand rows.
 *
 * Cost: ≈ (4/3)n³ flops for values, ≈ 3n³ more with vectors; memory 1–2 copies of A.
 * @see spec/theory.md §7 item 8.
 */
export function symmetricEigen(m: DenseMatrix, options: { vectors?: boolean } = {}): SymmetricEigen {
  const n = m?.size;
  if (!Number.isInteger(n) || n < 0) throw new Error(`symmetricEigen: size must be a non-negative integer, got ${n}`);
  // The empty matrix has no eigenvalues (an empty spectrum, not an error).
  if (n === 0 && (m.data === undefined || m.data.length === 0)) return { values: new Float64Array(0), ...(options.vectors ? { vectors: new Float64Array(0) } : {}) };
  if (!m.data || typeof m.data.length !== 'number') throw new Error('symmetricEigen: data must be an array of size·size values (row-major)');
  if (m.data.length !== n * n) throw new Error(`symmetricEigen: ${m.data.length} values for a ${n}×${n} matrix`);
  for (let i = 0; i < m.data.length; i++) if (!Number.isFinite(m.data[i]!)) throw new Error(`symmetricEigen: entry ${i} is ${m.data[i]}; the matrix must be finite`);
  const asym = asymmetry(m);
  if (asym > 1e-8) throw new Error(`symmetricEigen: matrix is not symmetric (max |A−Aᵀ| / max |A| = ${asym.toExponential(2)}); symmetrize it or use a general solver`);
  if (n === 1) return { values: Float64Array.of(m.data[0]!), ...(options.vectors ? { vectors: Float64Array.of(1) } : {}) };

  const a = Float64Array.from(m.data);
  // Symmetrize exactly so round-off asymmetry does not bias the reduction.
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) { const v = 0.5 * (a[i * n + j]! + a[j * n + i]!); a[i * n + j] = v; a[j * n + i] = v; }

  const diag = new Float64Array(n), off = new Float64Array(n - 1);
  const hv: Float64Array[] = []; // Householder vectors (unit), vector k acts on indices k+1..n−1
  const p = new Float64Array(n);
  for (let k = 0; k + 2 < n; k++) {
    const len = n - k - 1;
    const v = new Float64Array(len);
    let norm = 0;
    for (let i = 0; i < len; i++) { v[i] = a[(k + 1 + i) * n + k]!; norm += v[i]! * v[i]!; }
    norm = Math.sqrt(norm);
    diag[k] = a[k * n + k]!;
    if (norm === 0) { off[k] = 0; hv.push(v); continue; }
    // Reflect x to alpha·e1 with alpha of the opposite sign to x0 (no cancellation in v0).
    const alpha = v[0]! > 0 ? -norm : norm;
    v[0]! -= alpha;
    let vn = 0;
    for (let i = 0; i < len; i++) vn += v[i]! * v[i]!;
    vn = Math.sqrt(vn);
    for (let i = 0; i < len; i++) v[i]! /= vn;
    off[k] = alpha;
    // Trailing block S ← H S H with H = I − 2vvᵀ: p = S v, K = vᵀp, w = p − K v, S ← S − 2(v wᵀ + w vᵀ).
    const o = k + 1;
    let K = 0;
    for (let i = 0; i < len; i++) {
      let s = 0;
      const r = (o + i) * n + o;
      for (let j = 0; j < len; j++) s += a[r + j]! * v[j]!;
      p[i] = s;
      K += v[i]! * s;
    }
    for (let i = 0; i < len; i++) p[i] = 2 * (p[i]! - K * v[i]!);
    for (let i = 0; i < len; i++) {
      const r = (o + i) * n + o, vi = v[i]!, wi = p[i]!;
      for (let j = 0; j < len; j++) a[r + j]! -= vi * p[j]! + wi * v[j]!;
    }
    hv.push(v);
  }
  diag[n - 2] = a[(n - 2) * n + n - 2]!;
  diag[n - 1] = a[(n - 1) * n + n - 1]!;
  off[n - 2] = a[(n - 1) * n + n - 2]!;

  if (!options.vectors) return { values: tridiagonalEigen(diag, off).values };
  // Basis rows = columns of Q = H_0 ⋯ H_{n−3}, i.e. the rows of Qᵀ = H_{n−3} ⋯ H_0 · I.
  const qt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) qt[i * n + i] = 1;
  const t = new Float64Array(n);
  hv.forEach((v, k) => {
    const o = k + 1, len = n - o;
    t.fill(0);
    for (let i = 0; i < len; i++) { const vi = v[i]!, r = (o + i) * n; if (vi !== 0) for (let j = 0; j < n; j++) t[j]! += vi * qt[r + j]!; }
    for (let i = 0; i < len; i++) { const vi = 2 * v[i]!, r = (o + i) * n; if (vi !== 0) for (let j = 0; j < n; j++) qt[r + j]! -= vi * t[j]!; }
  });
  const res = tridiagonalEigen(diag, off, true, { rows: qt, width: n });
  return { values: res.values, vectors: res.vectors! };
}
