/**
 * Dense float64 kernels on row-major typed arrays: the few BLAS-1/BLAS-3 operations the convex
 * solvers need. Inner loops run over contiguous rows so the JIT keeps them in registers; nothing
 * allocates per element.
 */

/** ⟨a, b⟩ over the first `len` entries starting at the given offsets. */
export function dot(a: Float64Array, b: Float64Array, len = a.length, ao = 0, bo = 0): number {
  let s = 0;
  for (let i = 0; i < len; i++) s += a[ao + i]! * b[bo + i]!;
  return s;
}

/** Euclidean norm of a slice, scaled to avoid overflow for huge entries. */
export function norm2(a: Float64Array, len = a.length, ao = 0): number {
  let s = 0;
  for (let i = 0; i < len; i++) { const v = a[ao + i]!; s += v * v; }
  return Math.sqrt(s);
}

/** C (m×n) = A (m×k) · Bᵀ where B is n×k (both row-major): rows of A against rows of B. */
export function gemmABt(A: Float64Array, B: Float64Array, C: Float64Array, m: number, k: number, n: number): void {
  for (let i = 0; i < m; i++) {
    const ao = i * k, co = i * n;
    for (let j = 0; j < n; j++) {
      const bo = j * k;
      let s = 0;
      for (let t = 0; t < k; t++) s += A[ao + t]! * B[bo + t]!;
      C[co + j] = s;
    }
  }
}

/** C (m×n) = Aᵀ · B where A is k×m and B is k×n (row-major): a sum of k rank-one updates. */
export function gemmAtB(A: Float64Array, B: Float64Array, C: Float64Array, k: number, m: number, n: number): void {
  C.fill(0, 0, m * n);
  for (let t = 0; t < k; t++) {
    const ao = t * m, bo = t * n;
    for (let i = 0; i < m; i++) {
      const a = A[ao + i]!;
      if (a === 0) continue;
      const co = i * n;
      for (let j = 0; j < n; j++) C[co + j]! += a * B[bo + j]!;
    }
  }
}

/** C (m×n) = A (m×k) · B (k×n), all row-major. */
export function gemm(A: Float64Array, B: Float64Array, C: Float64Array, m: number, k: number, n: number): void {
  C.fill(0, 0, m * n);
  for (let i = 0; i < m; i++) {
    const ao = i * k, co = i * n;
    for (let t = 0; t < k; t++) {
      const a = A[ao + t]!;
      if (a === 0) continue;
      const bo = t * n;
      for (let j = 0; j < n; j++) C[co + j]! += a * B[bo + j]!;
    }
  }
}

/** Transpose of an m×n row-major matrix into a fresh n×m one. */
export function transpose(A: Float64Array, m: number, n: number): Float64Array {
  const T = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) T[j * m + i] = A[i * n + j]!;
  return T;
}

/** Solve the symmetric positive-definite system S x = b (k×k) in place in x by Cholesky; returns false if S is not numerically SPD. */
export function choleskySolve(S: Float64Array, b: Float64Array, k: number, work: Float64Array): boolean {
  const L = work;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = S[i * k + j]!;
      for (let t = 0; t < j; t++) s -= L[i * k + t]! * L[j * k + t]!;
      if (i === j) {
        if (!(s > 1e-14 * Math.max(1, Math.abs(S[i * k + i]!)))) return false;
        L[i * k + i] = Math.sqrt(s);
      } else L[i * k + j] = s / L[j * k + j]!;
    }
  }
  for (let i = 0; i < k; i++) {
    let s = b[i]!;
    for (let t = 0; t < i; t++) s -= L[i * k + t]! * b[t]!;
    b[i] = s / L[i * k + i]!;
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let t = i + 1; t < k; t++) s -= L[t * k + i]! * b[t]!;
    b[i] = s / L[i * k + i]!;
  }
  return true;
}
