/**
 * Blocked Householder reduction of a dense symmetric matrix to tridiagonal form (the LAPACK dsytrd /
 * dlatrd scheme, lower variant), on one Float64Array.
 *
 * Layout: the row-major n×n buffer is read as the column-major lower triangle, so "column j below
 * the diagonal" is the contiguous run `a[j·n + j .. j·n + n)`. Every inner loop then walks
 * contiguous memory: the symmetric matrix-vector product reads each stored entry once (a fused
 * dot + axpy per column), and the trailing rank-2k update runs as 4×4 register tiles over packed
 * row-major panels. Half the flops are in the product (memory bound), half in the update (compute
 * bound); blocking turns the unblocked method's two passes over the trailing matrix per column
 * into one, plus a cache-friendly update every `nb` columns.
 */

import { simdKernels, type SimdKernels } from './simd-kernels.js';

/** Panel width: wide enough to amortise the update's loads, narrow enough for the packed panels to stay in cache. */
const PANEL = 32;

export interface Tridiagonal {
  /** Diagonal, length n. */
  readonly diag: Float64Array;
  /** Sub-diagonal, length n − 1. */
  readonly off: Float64Array;
}

export interface HouseholderReflectors {
  /** Scalars τ_k of H_k = I − τ_k v_k v_kᵀ, k = 0..n−2. */
  readonly tau: Float64Array;
  /**
   * The reduced buffer: v_k (with v_k[k+1] = 1) sits at `a[k·n + k+1 .. k·n + n)`; entries at
   * indices ≤ k of v_k are zero.
   */
  readonly a: Float64Array;
  readonly n: number;
}

/** The reduction's buffers: one allocation, inside WebAssembly memory when the SIMD kernels are available. */
interface Workspace {
  readonly n: number;
  readonly a: Float64Array;
  readonly y: Float64Array;
  readonly W: Float64Array;
  /** [V W] column-major (column p at ut[p·n ..)) and [W V] row-major (row r at z[r·2nb ..)). */
  readonly ut: Float64Array;
  readonly z: Float64Array;
  readonly simd?: { readonly k: SimdKernels; readonly y: number; readonly ut: number; readonly z: number; readonly out: number; readonly view: Float64Array };
}

function workspace(n: number, nb: number, useSimd: boolean): Workspace {
  const sizes = [n * n, n, nb * n, 2 * nb * n, 2 * nb * n, 4];
  const total = sizes.reduce((s, x) => s + x, 0);
  const k = useSimd ? simdKernels(total * 8) : undefined;
  const buf = k ? new Float64Array(k.memory.buffer, 0, total) : new Float64Array(total);
  const offs: number[] = [];
  let o = 0;
  for (const s of sizes) { offs.push(o); o += s; }
  const part = (i: number) => buf.subarray(offs[i]!, offs[i]! + sizes[i]!);
  return {
    n, a: part(0), y: part(1), W: part(2), ut: part(3), z: part(4),
    ...(k ? { simd: { k, y: offs[1]! * 8, ut: offs[3]! * 8, z: offs[4]! * 8, out: offs[5]! * 8, view: buf } } : {}),
  };
}

/**
 * Reduce symmetric A (row-major n×n, symmetrised as ½(A + Aᵀ)) to T = Qᵀ A Q. Returns T and the
 * reflectors that form Q. `simd: false` forces the plain JavaScript loops (tests compare both).
 */
export function tridiagonalize(source: ArrayLike<number>, n: number, options: { simd?: boolean } = {}): Tridiagonal & HouseholderReflectors {
  const diag = new Float64Array(n), off = new Float64Array(Math.max(0, n - 1)), tau = new Float64Array(Math.max(0, n - 1));
  const nb = PANEL;
  const ws = workspace(n, nb, options.simd ?? true);
  const a = ws.a;
  // Only the upper triangle of the row-major buffer (the column-major lower triangle) is used;
  // 32×32 tiles keep the transposed reads in cache.
  for (let i0 = 0; i0 < n; i0 += 32)
    for (let j0 = i0; j0 < n; j0 += 32)
      for (let i = i0; i < Math.min(i0 + 32, n); i++)
        for (let j = Math.max(j0, i); j < Math.min(j0 + 32, n); j++) a[i * n + j] = 0.5 * (source[i * n + j]! + source[j * n + i]!);
  if (n === 0) return { diag, off, tau, a, n };
  let k0 = 0;
  while (k0 < n - 1) {
    const cols = Math.min(nb, n - 1 - k0);
    panel(ws, k0, cols, diag, off, tau);
    const t0 = k0 + cols;
    if (t0 < n) rank2kUpdate(ws, k0, t0, cols);
    k0 = t0;
  }
  diag[n - 1] = a[(n - 1) * n + n - 1]!;
  return { diag, off, tau, a, n };
}

/** dlatrd: reduce columns k0..k0+cols−1, leaving their updates to the trailing block pending in (V, W). */
function panel(ws: Workspace, k0: number, cols: number, diag: Float64Array, off: Float64Array, tau: Float64Array) {
  const { a, n, W, y } = ws;
  for (let i = 0; i < cols; i++) {
    const c = k0 + i, cc = c * n;
    if (i > 0) {
      // A(c:n, c) −= V(c:n, 0:i) W(c, 0:i)ᵀ + W(c:n, 0:i) V(c, 0:i)ᵀ
      for (let p = 0; p < i; p++) {
        const vp = (k0 + p) * n, wp = p * n;
        const wc = W[wp + c]!, vc = a[vp + c]!;
        if (wc === 0 && vc === 0) continue;
        for (let r = c; r < n; r++) a[cc + r]! -= a[vp + r]! * wc + W[wp + r]! * vc;
      }
    }
    diag[c] = a[cc + c]!;
    // Householder reflector for x = A(c+1:n, c): H x = β e1, v[0] = 1.
    const alpha = a[cc + c + 1]!;
    let xn = 0;
    for (let r = c + 2; r < n; r++) xn += a[cc + r]! * a[cc + r]!;
    const wcol = W.subarray(i * n, (i + 1) * n);
    if (xn === 0) {
      // Already reduced: H = I. v stays as stored (ignored because τ = 0) and w = 0.
      tau[c] = 0;
      off[c] = alpha;
      a[cc + c + 1] = 1;
      for (let r = c + 2; r < n; r++) a[cc + r] = 0;
      wcol.fill(0);
      continue;
    }
    const beta = alpha >= 0 ? -Math.sqrt(alpha * alpha + xn) : Math.sqrt(alpha * alpha + xn);
    const t = (beta - alpha) / beta, scale = 1 / (alpha - beta);
    tau[c] = t;
    off[c] = beta;
    a[cc + c + 1] = 1;
    for (let r = c + 2; r < n; r++) a[cc + r]! *= scale;
    // w = A22 v over the not-yet-updated trailing block (lower triangle, column-contiguous).
    const o = c + 1;
    y.fill(0, o, n);
    symmetricProduct(ws, o, cc);
    // Pending updates of earlier panel columns: w −= W (Vᵀv) + V (Wᵀv).
    for (let p = 0; p < i; p++) {
      const vp = (k0 + p) * n, wp = p * n;
      let tv = 0, tw = 0;
      for (let r = o; r < n; r++) { const vr = a[cc + r]!; tv += a[vp + r]! * vr; tw += W[wp + r]! * vr; }
      if (tv === 0 && tw === 0) continue;
      for (let r = o; r < n; r++) y[r]! -= W[wp + r]! * tv + a[vp + r]! * tw;
    }
    let wv = 0;
    for (let r = o; r < n; r++) { y[r]! *= t; wv += y[r]! * a[cc + r]!; }
    const h = -0.5 * t * wv;
    wcol.fill(0, 0, o);
    for (let r = o; r < n; r++) wcol[r] = y[r]! + h * a[cc + r]!;
  }
}

/**
 * y(o:n) += A(o:n, o:n) x for the symmetric trailing block stored as its column-contiguous lower
 * triangle, with x(r) = a[xo + r]. Four columns at a time: each pass over the rows below them loads
 * x(r) and y(r) once for four entries (the loop is bound by loads, not flops).
 */
function symmetricProduct(ws: Workspace, o: number, xo: number) {
  const { a, n, y, simd } = ws;
  let j = o;
  for (; j + 4 <= n; j += 4) {
    const c0 = j * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
    const v0 = a[xo + j]!, v1 = a[xo + j + 1]!, v2 = a[xo + j + 2]!, v3 = a[xo + j + 3]!;
    // The 4×4 diagonal block, from its lower triangle.
    const d10 = a[c0 + j + 1]!, d20 = a[c0 + j + 2]!, d30 = a[c0 + j + 3]!, d21 = a[c1 + j + 2]!, d31 = a[c1 + j + 3]!, d32 = a[c2 + j + 3]!;
    let s0 = a[c0 + j]! * v0 + d10 * v1 + d20 * v2 + d30 * v3;
    let s1 = d10 * v0 + a[c1 + j + 1]! * v1 + d21 * v2 + d31 * v3;
    let s2 = d20 * v0 + d21 * v1 + a[c2 + j + 2]! * v2 + d32 * v3;
    let s3 = d30 * v0 + d31 * v1 + d32 * v2 + a[c3 + j + 3]! * v3;
    let r = j + 4;
    if (simd) {
      // Pairs of rows in the kernel; an odd last row below.
      const pairs = (n - r) >> 1;
      if (pairs > 0) {
        simd.k.symv4((c0 + r) * 8, (c1 + r) * 8, (c2 + r) * 8, (c3 + r) * 8, (xo + r) * 8, simd.y + r * 8, pairs * 16, v0, v1, v2, v3, simd.out);
        const out = simd.out / 8;
        s0 += simd.view[out]!; s1 += simd.view[out + 1]!; s2 += simd.view[out + 2]!; s3 += simd.view[out + 3]!;
        r += 2 * pairs;
      }
    }
    for (; r < n; r++) {
      const a0 = a[c0 + r]!, a1 = a[c1 + r]!, a2 = a[c2 + r]!, a3 = a[c3 + r]!, xr = a[xo + r]!;
      s0 += a0 * xr; s1 += a1 * xr; s2 += a2 * xr; s3 += a3 * xr;
      y[r]! += a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3;
    }
    y[j]! += s0; y[j + 1]! += s1; y[j + 2]! += s2; y[j + 3]! += s3;
  }
  for (; j < n; j++) {
    const col = j * n, vj = a[xo + j]!;
    let s = a[col + j]! * vj;
    for (let r = j + 1; r < n; r++) {
      const ar = a[col + r]!;
      s += ar * a[xo + r]!;
      y[r]! += ar * vj;
    }
    y[j]! += s;
  }
}

/** A(t0:n, t0:n) −= V Wᵀ + W Vᵀ over the lower triangle, as C −= U Zᵀ with U = [V W], Z = [W V]. */
function rank2kUpdate(ws: Workspace, k0: number, t0: number, cols: number) {
  const { a, n, W, ut, z, simd } = ws;
  const K = 2 * cols;
  for (let p = 0; p < cols; p++) {
    const v = (k0 + p) * n, w = p * n, u1 = p * n, u2 = (cols + p) * n;
    for (let r = t0; r < n; r++) {
      const vr = a[v + r]!, wr = W[w + r]!;
      ut[u1 + r] = vr; ut[u2 + r] = wr;
      z[r * K + p] = wr; z[r * K + cols + p] = vr;
    }
  }
  // 4×4 tiles over (rows i, columns j) with i ≥ j; tiles straddling the diagonal also write the
  // unused strictly-upper entries of the column-major view, which nothing reads.
  let j0 = t0;
  for (; j0 + 4 <= n; j0 += 4) {
    const z0 = j0 * K, z1 = z0 + K, z2 = z1 + K, z3 = z2 + K;
    const c0 = j0 * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
    let i0 = j0;
    if (simd) {
      const rows = (n - i0) & ~3;
      if (rows > 0) simd.k.rank2k4(simd.ut + i0 * 8, n * 8, simd.z + z0 * 8, simd.z + z1 * 8, simd.z + z2 * 8, simd.z + z3 * 8, K, (c0 + i0) * 8, (c1 + i0) * 8, (c2 + i0) * 8, (c3 + i0) * 8, rows * 8);
      i0 += rows;
    }
    for (; i0 + 4 <= n; i0 += 4) {
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let p = 0, u = i0; p < K; p++, u += n) {
        const a0 = ut[u]!, a1 = ut[u + 1]!, a2 = ut[u + 2]!, a3 = ut[u + 3]!;
        const b0 = z[z0 + p]!, b1 = z[z1 + p]!, b2 = z[z2 + p]!, b3 = z[z3 + p]!;
        s00 += a0 * b0; s01 += a0 * b1; s02 += a0 * b2; s03 += a0 * b3;
        s10 += a1 * b0; s11 += a1 * b1; s12 += a1 * b2; s13 += a1 * b3;
        s20 += a2 * b0; s21 += a2 * b1; s22 += a2 * b2; s23 += a2 * b3;
        s30 += a3 * b0; s31 += a3 * b1; s32 += a3 * b2; s33 += a3 * b3;
      }
      a[c0 + i0]! -= s00; a[c1 + i0]! -= s01; a[c2 + i0]! -= s02; a[c3 + i0]! -= s03;
      a[c0 + i0 + 1]! -= s10; a[c1 + i0 + 1]! -= s11; a[c2 + i0 + 1]! -= s12; a[c3 + i0 + 1]! -= s13;
      a[c0 + i0 + 2]! -= s20; a[c1 + i0 + 2]! -= s21; a[c2 + i0 + 2]! -= s22; a[c3 + i0 + 2]! -= s23;
      a[c0 + i0 + 3]! -= s30; a[c1 + i0 + 3]! -= s31; a[c2 + i0 + 3]! -= s32; a[c3 + i0 + 3]! -= s33;
    }
    for (let i = i0; i < n; i++) for (let q = 0; q < 4; q++) a[(j0 + q) * n + i]! -= columnDot(ut, i, n, z, (j0 + q) * K, K);
  }
  for (let j = j0; j < n; j++) for (let i = j; i < n; i++) a[j * n + i]! -= columnDot(ut, i, n, z, j * K, K);
}

/** Σ_p x[xo + p·stride] y[yo + p]. */
function columnDot(x: Float64Array, xo: number, stride: number, y: Float64Array, yo: number, len: number): number {
  let s = 0;
  for (let p = 0; p < len; p++) s += x[xo + p * stride]! * y[yo + p]!;
  return s;
}
/**
 * The rows of Qᵀ = H_{n−2} ⋯ H_0 (so row i of the result is column i of Q), for folding the
 * reflectors into eigenvectors of T.
 */
export function reflectorBasis({ tau, a, n }: HouseholderReflectors): Float64Array {
  const qt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) qt[i * n + i] = 1;
  const t = new Float64Array(n);
  for (let k = 0; k + 1 < n; k++) {
    const tk = tau[k]!;
    if (tk === 0) continue;
    const o = k + 1, vk = k * n;
    // qt(o:n, :) −= τ v (vᵀ qt(o:n, :))
    t.fill(0);
    for (let i = o; i < n; i++) { const vi = a[vk + i]!, r = i * n; if (vi !== 0) for (let j = 0; j < n; j++) t[j]! += vi * qt[r + j]!; }
    for (let i = o; i < n; i++) { const vi = tk * a[vk + i]!, r = i * n; if (vi !== 0) for (let j = 0; j < n; j++) qt[r + j]! -= vi * t[j]!; }
  }
  return qt;
}
