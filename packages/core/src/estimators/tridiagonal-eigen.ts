/**
 * Eigenvalues (and optionally eigenvectors) of a symmetric tridiagonal matrix by the implicit QL
 * method with Wilkinson-type shifts (the EISPACK tql2 algorithm, as in JAMA). Used by the dense
 * eigensolver after Householder reduction and by Lanczos on its small projected matrix T_k.
 *
 * Cost: O(m²) for values, O(m³) with vectors (m = order).
 */

export interface TridiagonalEigen {
  /** Eigenvalues, ascending. */
  readonly values: Float64Array;
  /**
   * Eigenvectors as rows (vector i in `vectors[i·m .. (i+1)·m)`), in the basis given by `basis`
   * rows (identity when none was given). Present only when requested.
   */
  readonly vectors?: Float64Array;
}

/**
 * @param diag the m diagonal entries.
 * @param off the m−1 sub-diagonal entries (off[i] = T[i+1][i]).
 * @param vectors also compute eigenvectors.
 * @param basis optional m rows of length `width` to transform (rows, row-major): when given,
 *   eigenvectors come back as combinations of these rows (each of length `width`), which is how
 *   Householder and Lanczos bases are folded in without an extra product.
 */
export function tridiagonalEigen(diag: ArrayLike<number>, off: ArrayLike<number>, vectors = false, basis?: { rows: Float64Array; width: number }): TridiagonalEigen {
  const m = diag.length;
  if (off.length < m - 1) throw new Error(`tridiagonalEigen: need ${m - 1} off-diagonal entries, got ${off.length}`);
  const d = Float64Array.from(diag);
  const e = new Float64Array(m);
  for (let i = 0; i + 1 < m; i++) e[i] = off[i]!;
  const width = basis ? basis.width : m;
  let V: Float64Array | undefined;
  if (vectors) {
    if (basis) {
      if (basis.rows.length !== m * width) throw new Error(`tridiagonalEigen: basis has ${basis.rows.length} values, expected ${m}×${width}`);
      V = Float64Array.from(basis.rows);
    } else {
      V = new Float64Array(m * m);
      for (let i = 0; i < m; i++) V[i * m + i] = 1;
    }
  }
  const eps = 2 ** -52;
  let f = 0, tst1 = 0;
  for (let l = 0; l < m; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let k = l;
    while (k < m && Math.abs(e[k]!) > eps * tst1) k++;
    if (k === m) k = m - 1;
    if (k > l) {
      let iter = 0;
      do {
        if (++iter > 60) throw new Error(`tridiagonalEigen: no convergence after 60 QL sweeps at index ${l} (matrix contains NaN or Inf?)`);
        // Implicit shift from the leading 2×2 block.
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < m; i++) d[i]! -= h;
        f += h;
        // QL sweep of Givens rotations from the bottom of the unreduced block up to l.
        p = d[k]!;
        let c = 1, c2 = 1, c3 = 1, s = 0, s2 = 0;
        const el1 = e[l + 1]!;
        for (let i = k - 1; i >= l; i--) {
          c3 = c2; c2 = c; s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          if (V) {
            // Rows i and i+1 of V (eigenvectors stored as rows) rotate together.
            const a = i * width, b = (i + 1) * width;
            for (let t = 0; t < width; t++) {
              const vb = V[b + t]!, va = V[a + t]!;
              V[b + t] = s * va + c * vb;
              V[a + t] = c * va - s * vb;
            }
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
  // Sort ascending, carrying vectors along.
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => d[a]! - d[b]!);
  const values = Float64Array.from(order, (i) => d[i]!);
  if (!V) return { values };
  const sorted = new Float64Array(m * width);
  order.forEach((src, dst) => sorted.set(V!.subarray(src * width, (src + 1) * width), dst * width));
  return { values, vectors: sorted };
}

/** √(x² + y²): the plain formula where it cannot overflow or underflow (Math.hypot is several times slower in V8). */
function hypot(x: number, y: number): number {
  const s = x * x + y * y;
  return s > 1e-300 && s < 1e300 ? Math.sqrt(s) : Math.hypot(x, y);
}
