import { transpose } from './blas.js';

/** A thin singular value decomposition A = U diag(s) Vᵀ, singular values descending. */
export interface Svd {
  /** rows × r, row-major, r = min(rows, cols). */
  readonly U: Float64Array;
  readonly s: Float64Array;
  /** cols × r, row-major (column j is the j-th right singular vector). */
  readonly V: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

/**
 * One-sided Jacobi SVD (Hestenes) of a rows×cols row-major matrix. Chosen over eig(AᵀA) because it
 * keeps small singular values accurate relative to σ₁ (a rank-one test σ₂/σ₁ < 1e-10 is
 * meaningless through AᵀA, whose round-off floor is ~1e-8·σ₁).
 *
 * Cost: O(sweeps · rows · cols²) with cols ≤ rows (the wide case is transposed); fine for the
 * small weight matrices and Gram problems here.
 */
export function svd(A: Float64Array, rows: number, cols: number): Svd {
  if (rows < cols) {
    const t = svd(transpose(A, rows, cols), cols, rows);
    return { U: t.V, s: t.s, V: t.U, rows, cols };
  }
  const m = rows, n = cols;
  // Work on columns: W = A copied column-major (n columns of length m), V = I (n×n column-major).
  const W = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) W[j * m + i] = A[i * n + j]!;
  const Vc = new Float64Array(n * n);
  for (let j = 0; j < n; j++) Vc[j * n + j] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0, beta = 0, gamma = 0;
        const po = p * m, qo = q * m;
        for (let i = 0; i < m; i++) {
          const a = W[po + i]!, b = W[qo + i]!;
          alpha += a * a; beta += b * b; gamma += a * b;
        }
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t), s = c * t;
        for (let i = 0; i < m; i++) {
          const a = W[po + i]!, b = W[qo + i]!;
          W[po + i] = c * a - s * b; W[qo + i] = s * a + c * b;
        }
        const pv = p * n, qv = q * n;
        for (let i = 0; i < n; i++) {
          const a = Vc[pv + i]!, b = Vc[qv + i]!;
          Vc[pv + i] = c * a - s * b; Vc[qv + i] = s * a + c * b;
        }
      }
    }
    if (!rotated) break;
  }
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += W[j * m + i]! ** 2;
    norms[j] = Math.sqrt(s);
  }
  const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => norms[b]! - norms[a]!);
  const U = new Float64Array(m * n), V = new Float64Array(n * n), sv = new Float64Array(n);
  order.forEach((j, r) => {
    const sj = norms[j]!;
    sv[r] = sj;
    for (let i = 0; i < m; i++) U[i * n + r] = sj > 0 ? W[j * m + i]! / sj : 0;
    for (let i = 0; i < n; i++) V[i * n + r] = Vc[j * n + i]!;
  });
  return { U, s: sv, V, rows, cols };
}

/** Numerical rank: the number of singular values above tol·σ₁. */
export function numericalRank(s: Float64Array, tol = 1e-10): number {
  const s1 = s[0] ?? 0;
  if (!(s1 > 0)) return 0;
  let r = 0;
  for (const v of s) if (v > tol * s1) r++;
  return r;
}
