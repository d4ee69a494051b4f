import { describe, expect, it } from 'vitest';
import { Rng } from '../util/random.js';
import { cholesky, choleskySolveInPlace, transposeFactor } from './cholesky.js';

/** A = B Bᵀ + δ I for a random n × (n + 2) B: symmetric positive definite, moderately conditioned. */
function spd(n: number, seed: number, delta = 0.1): Float64Array {
  const m = n + 2, B = new Rng(seed).normals(n * m), A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
    let s = i === j ? delta : 0;
    for (let t = 0; t < m; t++) s += B[i * m + t]! * B[j * m + t]!;
    A[i * n + j] = s; A[j * n + i] = s;
  }
  return A;
}

/** The textbook column-by-column (Cholesky–Crout) factorization, one running sum: the oracle. */
function textbookCholesky(A: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = A[j * n + j]!;
    for (let t = 0; t < j; t++) d -= L[j * n + t]! ** 2;
    L[j * n + j] = Math.sqrt(d);
    for (let i = j + 1; i < n; i++) {
      let s = A[i * n + j]!;
      for (let t = 0; t < j; t++) s -= L[i * n + t]! * L[j * n + t]!;
      L[i * n + j] = s / L[j * n + j]!;
    }
  }
  return L;
}

describe('cholesky', () => {
  // Sizes around the four-row blocks: no block, whole blocks, and remainders of 1–3 rows.
  // Both paths: the inner products in WebAssembly (from n = 32 on, where it runs) and in JavaScript.
  it.each([1, 2, 3, 4, 5, 8, 11, 32, 37, 64, 67].flatMap((n) => [[n, true], [n, false]] as const))('matches the textbook factorization and reproduces A (n = %i, simd %s)', (n, simd) => {
    const A = spd(n, n), L = cholesky({ size: n, data: A }, { simd })!, ref = textbookCholesky(A, n);
    let scale = 0;
    for (const v of A) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      if (j > i) { expect(L[i * n + j]).toBe(0); continue; }
      expect(Math.abs(L[i * n + j]! - ref[i * n + j]!)).toBeLessThanOrEqual(1e-10 * Math.sqrt(scale));
      let s = 0;
      for (let t = 0; t <= j; t++) s += L[i * n + t]! * L[j * n + t]!;
      expect(Math.abs(s - A[i * n + j]!)).toBeLessThanOrEqual(64 * n * Number.EPSILON * scale);
    }
  });

  it.each([true, false])('returns undefined for a matrix that is not positive definite, wherever the bad pivot is (simd %s)', (simd) => {
    for (const [n, at] of [[6, 0], [9, 5], [9, 8], [12, 10], [40, 0], [40, 33], [40, 39]] as const) {
      const A = spd(n, 3);
      // Make the leading (at+1) × (at+1) block indefinite: a negative pivot appears at row `at`.
      A[at * n + at] = -1;
      expect(cholesky({ size: n, data: A }, { simd })).toBeUndefined();
    }
    // Positive semi-definite (rank 1): the second pivot is zero up to round-off.
    const n = 5, v = [1, 2, 3, 4, 5], R = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) R[i * n + j] = v[i]! * v[j]!;
    expect(cholesky({ size: n, data: R })).toBeUndefined();
  });

  it('gives the same factor in WebAssembly and JavaScript up to the rounding of the sums, call after call', () => {
    for (const n of [33, 50, 100, 50]) {
      const A = spd(n, 2 * n), x = cholesky({ size: n, data: A }, { simd: true })!, y = cholesky({ size: n, data: A }, { simd: false })!;
      let big = 0;
      for (const v of y) big = Math.max(big, Math.abs(v));
      for (let i = 0; i < n * n; i++) expect(Math.abs(x[i]! - y[i]!)).toBeLessThanOrEqual(1e-11 * big);
    }
  });

  it('leaves its input unchanged (callers factor views of their data)', () => {
    const A = spd(13, 8), copy = Float64Array.from(A);
    cholesky({ size: 13, data: A });
    expect(A).toEqual(copy);
  });

  it('solves A X = B with the factor, one and several right-hand sides', () => {
    const n = 10, A = spd(n, 4), L = cholesky({ size: n, data: A })!, rng = new Rng(9);
    for (const k of [1, 3]) {
      const X = rng.normals(n * k), B = new Float64Array(n * k);
      for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) { let s = 0; for (let t = 0; t < n; t++) s += A[i * n + t]! * X[t * k + c]!; B[i * k + c] = s; }
      choleskySolveInPlace(L, n, B, k, 0, k === 1 ? transposeFactor(L, n) : undefined);
      for (let i = 0; i < n * k; i++) expect(B[i]).toBeCloseTo(X[i]!, 9);
    }
  });
});
