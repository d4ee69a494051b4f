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
 * Eigenvalues, ascending, of the symmetric tridiagonal matrix with diagonal `diag` and sub-diagonal
 * `off` (root-free QL/QR); with `vectors`, also its eigenvectors as rows (implicit QL), optionally
 * expressed in the rows of `basis`.
 *
 * @param diag the m diagonal entries.
 * @param off the m−1 sub-diagonal entries (off[i] = T[i+1][i]).
 * @param vectors also compute eigenvectors.
 * @param basis optional m rows of length `width` to transform (rows, row-major): when given,
 *   eigenvectors come back as combinations of these rows (each of length `width`), which is how
 *   Householder and Lanczos bases are folded in without an extra product.
 * @throws Error when `off` has fewer than m − 1 entries or `basis` does not hold m rows of `width`.
 */
export function tridiagonalEigen(diag: ArrayLike<number>, off: ArrayLike<number>, vectors = false, basis?: { rows: Float64Array; width: number }): TridiagonalEigen {
  const m = diag.length;
  if (off.length < m - 1) throw new Error(`tridiagonalEigen: need ${m - 1} off-diagonal entries, got ${off.length}`);
  if (!vectors) return { values: rootFreeValues(diag, off) };
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

/**
 * Eigenvalues only, by the root-free (Pal–Walker–Kahan) QL/QR variant of LAPACK dsterf: it iterates
 * on the squared off-diagonal, so a rotation costs one division and no square root, about half the
 * time of the tql sweep above. QL or QR is chosen per unreduced block by which end is larger
 * (chasing toward the small end); blocks whose norm is near over- or underflow are scaled first.
 * Same accuracy class (each λ within a few ε·‖T‖).
 */
function rootFreeValues(diag: ArrayLike<number>, off: ArrayLike<number>): Float64Array {
  const n = diag.length;
  const d = Float64Array.from(diag);
  if (n <= 1) return d;
  const e = new Float64Array(n);
  for (let i = 0; i + 1 < n; i++) e[i] = off[i]!;
  const eps = 2 ** -53, eps2 = eps * eps, safmin = 2 ** -1022;
  const ssfmax = Math.sqrt(1 / safmin) / 3, ssfmin = Math.sqrt(safmin) / eps2;
  const maxIterations = 30 * n;
  let jtot = 0, l1 = 0;
  while (l1 < n) {
    if (l1 > 0) e[l1 - 1] = 0;
    let m = l1;
    for (; m < n - 1; m++) {
      if (Math.abs(e[m]!) <= Math.sqrt(Math.abs(d[m]!)) * Math.sqrt(Math.abs(d[m + 1]!)) * eps) { e[m] = 0; break; }
    }
    let l = l1;
    const lsv = l, lendsv = m;
    let lend = m;
    l1 = m + 1;
    if (lend === l) continue;
    // Scale the block when its entries are near over- or underflow.
    let anorm = 0;
    for (let i = l; i <= lend; i++) anorm = Math.max(anorm, Math.abs(d[i]!));
    for (let i = l; i < lend; i++) anorm = Math.max(anorm, Math.abs(e[i]!));
    if (anorm === 0) continue;
    const scale = anorm > ssfmax ? ssfmax / anorm : anorm < ssfmin ? ssfmin / anorm : 1;
    if (scale !== 1) { for (let i = l; i <= lend; i++) d[i]! *= scale; for (let i = l; i < lend; i++) e[i]! *= scale; }
    for (let i = l; i < lend; i++) e[i] = e[i]! * e[i]!;
    if (Math.abs(d[lend]!) < Math.abs(d[l]!)) { lend = lsv; l = lendsv; }
    if (lend >= l) {
      // QL: deflate at the top.
      while (l <= lend) {
        let mm = l;
        for (; mm < lend; mm++) if (Math.abs(e[mm]!) <= eps2 * Math.abs(d[mm]! * d[mm + 1]!)) break;
        if (mm < lend) e[mm] = 0;
        const p0 = d[l]!;
        if (mm === l) { d[l] = p0; l++; continue; }
        if (mm === l + 1) {
          const [rt1, rt2] = eig2(d[l]!, Math.sqrt(e[l]!), d[l + 1]!);
          d[l] = rt1; d[l + 1] = rt2; e[l] = 0; l += 2;
          continue;
        }
        if (jtot === maxIterations) break;
        jtot++;
        const rte = Math.sqrt(e[l]!);
        let sigma = (d[l + 1]! - p0) / (2 * rte);
        const r0 = Math.hypot(sigma, 1);
        sigma = p0 - rte / (sigma + (sigma >= 0 ? r0 : -r0));
        let c = 1, s = 0, gamma = d[mm]! - sigma, p = gamma * gamma;
        for (let i = mm - 1; i >= l; i--) {
          const bb = e[i]!, r = p + bb;
          if (i !== mm - 1) e[i + 1] = s * r;
          const oldc = c;
          c = p / r; s = bb / r;
          const oldgam = gamma, alpha = d[i]!;
          gamma = c * (alpha - sigma) - s * oldgam;
          d[i + 1] = oldgam + (alpha - gamma);
          p = c !== 0 ? (gamma * gamma) / c : oldc * bb;
        }
        e[l] = s * p;
        d[l] = sigma + gamma;
      }
    } else {
      // QR: deflate at the bottom.
      while (l >= lend) {
        let mm = l;
        for (; mm > lend; mm--) if (Math.abs(e[mm - 1]!) <= eps2 * Math.abs(d[mm]! * d[mm - 1]!)) break;
        if (mm > lend) e[mm - 1] = 0;
        const p0 = d[l]!;
        if (mm === l) { d[l] = p0; l--; continue; }
        if (mm === l - 1) {
          const [rt1, rt2] = eig2(d[l]!, Math.sqrt(e[l - 1]!), d[l - 1]!);
          d[l] = rt1; d[l - 1] = rt2; e[l - 1] = 0; l -= 2;
          continue;
        }
        if (jtot === maxIterations) break;
        jtot++;
        const rte = Math.sqrt(e[l - 1]!);
        let sigma = (d[l - 1]! - p0) / (2 * rte);
        const r0 = Math.hypot(sigma, 1);
        sigma = p0 - rte / (sigma + (sigma >= 0 ? r0 : -r0));
        let c = 1, s = 0, gamma = d[mm]! - sigma, p = gamma * gamma;
        for (let i = mm; i < l; i++) {
          const bb = e[i]!, r = p + bb;
          if (i !== mm) e[i - 1] = s * r;
          const oldc = c;
          c = p / r; s = bb / r;
          const oldgam = gamma, alpha = d[i + 1]!;
          gamma = c * (alpha - sigma) - s * oldgam;
          d[i] = oldgam + (alpha - gamma);
          p = c !== 0 ? (gamma * gamma) / c : oldc * bb;
        }
        e[l - 1] = s * p;
        d[l] = sigma + gamma;
      }
    }
    if (scale !== 1) for (let i = Math.min(lsv, lendsv); i <= Math.max(lsv, lendsv); i++) d[i]! /= scale;
    if (jtot >= maxIterations) {
      let left = 0;
      for (let i = 0; i + 1 < n; i++) if (e[i] !== 0) left++;
      if (left > 0) throw new Error(`tridiagonalEigen: no convergence after ${maxIterations} QL/QR sweeps (${left} off-diagonal entries left; matrix contains NaN or Inf?)`);
    }
  }
  return d.sort();
}

/** Eigenvalues of [[a, b], [b, c]], the larger in magnitude first (LAPACK dlae2). */
function eig2(a: number, b: number, c: number): [number, number] {
  const sm = a + c, df = a - c, adf = Math.abs(df), tb = b + b, ab = Math.abs(tb);
  const [acmx, acmn] = Math.abs(a) > Math.abs(c) ? [a, c] : [c, a];
  const rt = adf > ab ? adf * Math.sqrt(1 + (ab / adf) ** 2) : adf < ab ? ab * Math.sqrt(1 + (adf / ab) ** 2) : ab * Math.SQRT2;
  if (sm < 0) { const rt1 = 0.5 * (sm - rt); return [rt1, (acmx / rt1) * acmn - (b / rt1) * b]; }
  if (sm > 0) { const rt1 = 0.5 * (sm + rt); return [rt1, (acmx / rt1) * acmn - (b / rt1) * b]; }
  return [0.5 * rt, -0.5 * rt];
}
