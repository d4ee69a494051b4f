import { dotRows, transposeSquareInto, withDot4 } from './dot.js';
import type { DenseMatrix } from './linear-operator.js';

/**
 * Cholesky factor L (A = L Lᵀ) of a symmetric positive-definite matrix, row-major n × n with the
 * strict upper triangle zero. Returns undefined when a pivot is not positive (A not numerically
 * SPD, relative to its diagonal), so callers can shift and retry or say what is wrong.
 *
 * Cost: n³/3 flops, one n × n array. Rows are computed four at a time: each entry L_ij (j below
 * the four rows' diagonal block) is a dot product of row i with row j of L, and the four rows
 * share every load of row j. From n = 32 on, those products run in WebAssembly (f64x2, fused
 * multiply-add where the engine has it; `simd: false` keeps JavaScript): 10 blocks of 256² in ≈ 9
 * ms against 15 ms for the four-row JavaScript loop and 22 ms for one row at a time. The rounding
 * differs from any other summation order by O(n·ε) relative.
 */
export function cholesky(m: DenseMatrix, options: { simd?: boolean } = {}): Float64Array | undefined {
  const n = m.size, a = m.data;
  if (a.length !== n * n) throw new Error(`cholesky: ${a.length} values for a ${n}×${n} matrix`);
  return withDot4(n, n * n, options.simd, (L, dot4) => {
    const s = new Float64Array(4);
    let i = 0;
    for (; i + 3 < n; i += 4) {
      const r0 = i * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
      for (let j = 0; j < i; j++) {
        const rj = j * n, d = L[rj + j]!;
        dot4(L, r0, r1, r2, r3, L, rj, j, s);
        L[r0 + j] = (a[r0 + j]! - s[0]!) / d; L[r1 + j] = (a[r1 + j]! - s[1]!) / d;
        L[r2 + j] = (a[r2 + j]! - s[2]!) / d; L[r3 + j] = (a[r3 + j]! - s[3]!) / d;
      }
      // The four rows' own 4 × 4 diagonal block, entry by entry.
      for (let q = i; q < i + 4; q++) if (!choleskyRowTail(a, L, n, q, i)) return undefined;
    }
    for (; i < n; i++) if (!choleskyRowTail(a, L, n, i, 0)) return undefined;
    // The work array's upper triangle holds whatever it held before: copy the lower one out.
    const out = new Float64Array(n * n);
    for (let r = 0; r < n; r++) out.set(L.subarray(r * n, r * n + r + 1), r * n);
    return out;
  });
}

/** Row i of L from column `from` to the diagonal; false when the pivot is not positive. */
function choleskyRowTail(a: Float64Array, L: Float64Array, n: number, i: number, from: number): boolean {
  const ri = i * n;
  for (let j = from; j <= i; j++) {
    const rj = j * n;
    const s = a[ri + j]! - dotRows(L, ri, L, rj, j);
    if (i === j) {
      if (!(s > 1e-14 * Math.abs(a[ri + i]!))) return false;
      L[ri + i] = Math.sqrt(s);
    } else L[ri + j] = s / L[rj + j]!;
  }
  return true;
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
  transposeSquareInto(L, Lt, n);
  return Lt;
}
