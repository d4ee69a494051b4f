import { dotRows } from './dot.js';
import type { DenseMatrix } from './linear-operator.js';

/**
 * Cholesky factor L (A = L Lᵀ) of a symmetric positive-definite matrix, row-major n × n with the
 * strict upper triangle zero. Returns undefined when a pivot is not positive (A not numerically
 * SPD, relative to its diagonal), so callers can shift and retry or say what is wrong.
 *
 * Cost: n³/3 flops, one n × n array. The inner products run four partial sums (independent
 * chains: about twice the speed of one running sum in JavaScript; the rounding differs from a
 * single sum by O(n·ε) relative, as any summation order does).
 */
export function cholesky(m: DenseMatrix): Float64Array | undefined {
  const n = m.size, a = m.data;
  if (a.length !== n * n) throw new Error(`cholesky: ${a.length} values for a ${n}×${n} matrix`);
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      const s = a[ri + j]! - dotRows(L, ri, L, rj, j);
      if (i === j) {
        if (!(s > 1e-14 * Math.abs(a[ri + i]!))) return undefined;
        L[ri + i] = Math.sqrt(s);
      } else L[ri + j] = s / L[rj + j]!;
    }
  }
  return L;
}

/**
 * Solve (L Lᵀ) X = B in place for a factor from `cholesky`, where B is n × k row-major (k
 * right-hand sides side by side, the layout of an NTK vector [n samples, d outputs]).
 *
 * `Lt`, the factor transposed (`transposeFactor(L, n)`), lets the backward sweep read rows instead
 * of columns of L: the same arithmetic in the same order (identical results), but a column walk
 * misses the cache on every entry once a row of L exceeds a cache line, which made the backward
 * sweep 3–4× slower than the forward one (n = 256).
 *
 * Cost: 2·n²·k flops, no allocation.
 */
export function choleskySolveInPlace(L: Float64Array, n: number, b: Float64Array, k = 1, offset = 0, Lt?: Float64Array): void {
  if (k === 1 && Lt) return solveOneTransposed(L, Lt, n, b, offset);
  // Forward: L Y = B, row by row; each row subtracts earlier rows (k entries at a time).
  for (let i = 0; i < n; i++) {
    const ri = i * n, bi = offset + i * k, inv = 1 / L[ri + i]!;
    for (let t = 0; t < i; t++) {
      const l = L[ri + t]!;
      if (l === 0) continue;
      const bt = offset + t * k;
      for (let c = 0; c < k; c++) b[bi + c]! -= l * b[bt + c]!;
    }
    for (let c = 0; c < k; c++) b[bi + c]! *= inv;
  }
  // Backward: Lᵀ X = Y, rows in reverse; row i of Lᵀ is column i of L.
  for (let i = n - 1; i >= 0; i--) {
    const bi = offset + i * k, inv = 1 / L[i * n + i]!;
    for (let t = i + 1; t < n; t++) {
      const l = Lt ? Lt[i * n + t]! : L[t * n + i]!;
      if (l === 0) continue;
      const bt = offset + t * k;
      for (let c = 0; c < k; c++) b[bi + c]! -= l * b[bt + c]!;
    }
    for (let c = 0; c < k; c++) b[bi + c]! *= inv;
  }
}

/**
 * One right-hand side with both factors: each sweep is a dot product over a contiguous row kept in
 * a register (the general loop's read-modify-write of b[i] per term is a store-to-load chain);
 * same terms in the same order as the general loop, so the same result.
 */
function solveOneTransposed(L: Float64Array, Lt: Float64Array, n: number, b: Float64Array, o: number): void {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[o + i]!;
    for (let t = 0; t < i; t++) s -= L[ri + t]! * b[o + t]!;
    b[o + i] = s * (1 / L[ri + i]!);
  }
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * n;
    let s = b[o + i]!;
    for (let t = i + 1; t < n; t++) s -= Lt[ri + t]! * b[o + t]!;
    b[o + i] = s * (1 / Lt[ri + i]!);
  }
}

/** Lᵀ of an n × n row-major factor (for `choleskySolveInPlace`'s row-wise backward sweep). */
export function transposeFactor(L: Float64Array, n: number): Float64Array {
  const Lt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let t = 0; t <= i; t++) Lt[t * n + i] = L[i * n + t]!;
  return Lt;
}
