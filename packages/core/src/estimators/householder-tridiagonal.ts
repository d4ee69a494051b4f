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

import { sharedSimdKernels, sharedSimdKernelsDone, simdKernels, type SimdKernels } from './simd-kernels.js';

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
  /**
   * [V W] packed in 4-row blocks (rows t0+4b..t0+4b+3 of column p at ut[(b·2nb + p)·4 ..), so the
   * update kernel reads one contiguous run per block instead of 2nb lines a power-of-two stride
   * apart, which thrash one cache set) and [W V] row-major (row r at z[r·2nb ..)).
   */
  readonly ut: Float64Array;
  readonly z: Float64Array;
  /** True when the buffers live in the shared kernel instance's memory (copy out what is returned). */
  readonly shared: boolean;
  readonly simd?: {
    readonly k: SimdKernels; readonly y: number; readonly W: number; readonly ut: number; readonly z: number; readonly out: number;
    /** 4·nb doubles: coefficients for V (nb), for W (nb), then dot2's interleaved output (2nb). */
    readonly scratch: number;
    readonly view: Float64Array;
  };
}

function workspace(n: number, nb: number, useSimd: boolean): Workspace {
  const sizes = [n * n, n, nb * n, 2 * nb * (n + 3), 2 * nb * n, 4, 4 * nb];
  const total = sizes.reduce((s, x) => s + x, 0);
  const sharedK = useSimd ? sharedSimdKernels(total * 8) : undefined;
  const k = sharedK ?? (useSimd ? simdKernels(total * 8) : undefined);
  const buf = k ? new Float64Array(k.memory.buffer, 0, total) : new Float64Array(total);
  const offs: number[] = [];
  let o = 0;
  for (const s of sizes) { offs.push(o); o += s; }
  const part = (i: number) => buf.subarray(offs[i]!, offs[i]! + sizes[i]!);
  return {
    n, shared: sharedK !== undefined, a: part(0), y: part(1), W: part(2), ut: part(3), z: part(4),
    ...(k ? { simd: { k, y: offs[1]! * 8, W: offs[2]! * 8, ut: offs[3]! * 8, z: offs[4]! * 8, out: offs[5]! * 8, scratch: offs[6]! * 8, view: buf } } : {}),
  };
}

/**
 * Reduce symmetric A (row-major n×n, symmetrised as ½(A + Aᵀ)) to T = Qᵀ A Q. Returns T and the
 * reflectors that form Q. `simd: false` forces the plain JavaScript loops (tests compare both).
 */
export function tridiagonalize(source: ArrayLike<number>, n: number, options: ReduceOptions = {}): Tridiagonal & HouseholderReflectors {
  return reduce(source, n, options, true) as Tridiagonal & HouseholderReflectors;
}

export interface ReduceOptions {
  /** false forces the plain JavaScript loops (tests compare both). */
  readonly simd?: boolean;
  /**
   * Called with max |A − Aᵀ| (over the entries the symmetrising copy reads anyway, so a caller's
   * symmetry check costs no extra pass) before the reduction starts; it may throw to stop it.
   */
  readonly onAsymmetry?: (maxDifference: number) => void;
}

/** T alone, for eigenvalues without vectors: the reflectors are not copied out of the workspace. */
export function tridiagonalForm(source: ArrayLike<number>, n: number, options: ReduceOptions = {}): Tridiagonal {
  const { diag, off } = reduce(source, n, options, false);
  return { diag, off };
}

function reduce(source: ArrayLike<number>, n: number, options: ReduceOptions, reflectors: boolean): Tridiagonal & Partial<HouseholderReflectors> {
  const diag = new Float64Array(n), off = new Float64Array(Math.max(0, n - 1)), tau = new Float64Array(Math.max(0, n - 1));
  const nb = PANEL;
  const ws = workspace(n, nb, options.simd ?? true);
  const a = ws.a;
  // Only the upper triangle of the row-major buffer (the column-major lower triangle) is used;
  // 32×32 tiles keep the transposed reads in cache.
  let diff = 0;
  for (let i0 = 0; i0 < n; i0 += 32)
    for (let j0 = i0; j0 < n; j0 += 32)
      for (let i = i0, ie = Math.min(i0 + 32, n); i < ie; i++)
        for (let j = Math.max(j0, i), je = Math.min(j0 + 32, n); j < je; j++) {
          const u = source[i * n + j]!, l = source[j * n + i]!, dd = Math.abs(u - l);
          if (dd > diff) diff = dd;
          a[i * n + j] = 0.5 * (u + l);
        }
  try {
    options.onAsymmetry?.(diff);
  } catch (e) {
    if (ws.shared) sharedSimdKernelsDone();
    throw e;
  }
  if (n === 0) { if (ws.shared) sharedSimdKernelsDone(); return { diag, off, tau, a: new Float64Array(0), n }; }
  let k0 = 0;
  while (k0 < n - 1) {
    const cols = Math.min(nb, n - 1 - k0);
    panel(ws, k0, cols, diag, off, tau);
    const t0 = k0 + cols;
    if (t0 < n) rank2kUpdate(ws, k0, t0, cols);
    k0 = t0;
  }
  diag[n - 1] = a[(n - 1) * n + n - 1]!;
  // The shared instance's memory is reused by the next call: hand back a copy of the reflectors.
  const out = !reflectors ? { diag, off } : { diag, off, tau, a: ws.shared ? copyReflectors(a, n) : a, n };
  if (ws.shared) sharedSimdKernelsDone();
  return out;
}

/** The reflector columns out of reused memory, with the unused entries above each v_k zeroed (as in a fresh buffer). */
function copyReflectors(a: Float64Array, n: number): Float64Array {
  const out = a.slice(0, n * n);
  for (let k = 1; k < n; k++) out.fill(0, k * n, k * n + k);
  return out;
}

/** dlatrd: reduce columns k0..k0+cols−1, leaving their updates to the trailing block pending in (V, W). */
function panel(ws: Workspace, k0: number, cols: number, diag: Float64Array, off: Float64Array, tau: Float64Array) {
  const { a, n, W, y, simd } = ws, nb = PANEL;
  for (let i = 0; i < cols; i++) {
    const c = k0 + i, cc = c * n;
    if (i > 0) {
      // A(c:n, c) −= V(c:n, 0:i) W(c, 0:i)ᵀ + W(c:n, 0:i) V(c, 0:i)ᵀ, four panel columns per pass
      // over the rows (one load and store of A(r, c) per four instead of per one).
      let p = 0;
      if (simd) {
        // Row pairs in the kernel (coefficients W(c, p) and V(c, p) gathered into scratch), an odd last row here.
        const sv = simd.scratch / 8, view = simd.view, pairs = (n - c) >> 1;
        for (let q = 0; q < i; q++) { view[sv + q] = W[q * n + c]!; view[sv + nb + q] = a[(k0 + q) * n + c]!; }
        if (pairs > 0) simd.k.gemv2((cc + c) * 8, (k0 * n + c) * 8, simd.W + c * 8, n * 8, i, simd.scratch, simd.scratch + nb * 8, pairs * 16);
        const r = c + 2 * pairs;
        if (r < n) for (let q = 0; q < i; q++) a[cc + r]! -= a[(k0 + q) * n + r]! * view[sv + q]! + W[q * n + r]! * view[sv + nb + q]!;
        p = i;
      }
      for (; p + 4 <= i; p += 4) {
        const v0 = (k0 + p) * n, v1 = v0 + n, v2 = v1 + n, v3 = v2 + n, w0 = p * n, w1 = w0 + n, w2 = w1 + n, w3 = w2 + n;
        const wc0 = W[w0 + c]!, wc1 = W[w1 + c]!, wc2 = W[w2 + c]!, wc3 = W[w3 + c]!;
        const vc0 = a[v0 + c]!, vc1 = a[v1 + c]!, vc2 = a[v2 + c]!, vc3 = a[v3 + c]!;
        for (let r = c; r < n; r++)
          a[cc + r]! -= a[v0 + r]! * wc0 + W[w0 + r]! * vc0 + a[v1 + r]! * wc1 + W[w1 + r]! * vc1 + a[v2 + r]! * wc2 + W[w2 + r]! * vc2 + a[v3 + r]! * wc3 + W[w3 + r]! * vc3;
      }
      for (; p < i; p++) {
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
    // Pending updates of earlier panel columns: w −= W (Vᵀv) + V (Wᵀv), two columns per pass.
    let p = 0;
    if (simd && i > 0) {
      const sv = simd.scratch / 8, view = simd.view, pairs = (n - o) >> 1, last = o + 2 * pairs;
      if (pairs > 0) simd.k.dot2((k0 * n + o) * 8, simd.W + o * 8, n * 8, i, (cc + o) * 8, pairs * 16, simd.scratch + 2 * nb * 8);
      else for (let q = 0; q < 2 * i; q++) view[sv + 2 * nb + q] = 0;
      // Coefficients: V_q gets (Wᵀv)_q, W_q gets (Vᵀv)_q; the odd last row's terms added here.
      for (let q = 0; q < i; q++) {
        let tv = view[sv + 2 * nb + 2 * q]!, tw = view[sv + 2 * nb + 2 * q + 1]!;
        if (last < n) { const vr = a[cc + last]!; tv += a[(k0 + q) * n + last]! * vr; tw += W[q * n + last]! * vr; }
        view[sv + q] = tw; view[sv + nb + q] = tv;
      }
      if (pairs > 0) simd.k.gemv2(simd.y + o * 8, (k0 * n + o) * 8, simd.W + o * 8, n * 8, i, simd.scratch, simd.scratch + nb * 8, pairs * 16);
      if (last < n) for (let q = 0; q < i; q++) y[last]! -= W[q * n + last]! * view[sv + nb + q]! + a[(k0 + q) * n + last]! * view[sv + q]!;
      p = i;
    }
    for (; p + 2 <= i; p += 2) {
      const v0 = (k0 + p) * n, v1 = v0 + n, w0 = p * n, w1 = w0 + n;
      let tv0 = 0, tw0 = 0, tv1 = 0, tw1 = 0;
      for (let r = o; r < n; r++) { const vr = a[cc + r]!; tv0 += a[v0 + r]! * vr; tw0 += W[w0 + r]! * vr; tv1 += a[v1 + r]! * vr; tw1 += W[w1 + r]! * vr; }
      for (let r = o; r < n; r++) y[r]! -= W[w0 + r]! * tv0 + a[v0 + r]! * tw0 + W[w1 + r]! * tv1 + a[v1 + r]! * tw1;
    }
    for (; p < i; p++) {
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
    const v = (k0 + p) * n, w = p * n;
    for (let r = t0; r < n; r++) {
      const vr = a[v + r]!, wr = W[w + r]!, rr = r - t0, u = ((rr >> 2) * K + p) * 4 + (rr & 3);
      ut[u] = vr; ut[u + 4 * cols] = wr;
      z[r * K + p] = wr; z[r * K + cols + p] = vr;
    }
  }
  // 4×4 tiles over (rows i, columns j) with i ≥ j; tiles straddling the diagonal also write the
  // unused strictly-upper entries of the column-major view, which nothing reads. Row blocks start
  // at t0 + 4b, so every tile's rows are one packed block of ut.
  let j0 = t0;
  for (; j0 + 4 <= n; j0 += 4) {
    const z0 = j0 * K, z1 = z0 + K, z2 = z1 + K, z3 = z2 + K;
    const c0 = j0 * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
    let i0 = j0;
    if (simd) {
      const rows = (n - i0) & ~3;
      if (rows > 0) simd.k.rank2k4(simd.ut + (i0 - t0) * K * 8, 32, simd.z + z0 * 8, simd.z + z1 * 8, simd.z + z2 * 8, simd.z + z3 * 8, K, (c0 + i0) * 8, (c1 + i0) * 8, (c2 + i0) * 8, (c3 + i0) * 8, rows * 8);
      i0 += rows;
    }
    for (; i0 + 4 <= n; i0 += 4) {
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let p = 0, u = (i0 - t0) * K; p < K; p++, u += 4) {
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
    for (let i = i0; i < n; i++) for (let q = 0; q < 4; q++) a[(j0 + q) * n + i]! -= packedDot(ut, i - t0, K, z, (j0 + q) * K);
  }
  for (let j = j0; j < n; j++) for (let i = j; i < n; i++) a[j * n + i]! -= packedDot(ut, i - t0, K, z, j * K);
}

/** Σ_p U(rr, p) z[zo + p] for row rr (relative to t0) of the packed panel U with K columns. */
function packedDot(ut: Float64Array, rr: number, K: number, z: Float64Array, zo: number): number {
  let s = 0;
  for (let p = 0, u = (rr >> 2) * 4 * K + (rr & 3); p < K; p++, u += 4) s += ut[u]! * z[zo + p]!;
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
