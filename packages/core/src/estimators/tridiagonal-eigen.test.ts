import { describe, expect, it } from 'vitest';
import { Rng } from '../util/random.js';
import { tridiagonalEigen } from './tridiagonal-eigen.js';

/** Sturm count: how many eigenvalues of T lie below x (independent of either QL variant). */
function countBelow(d: Float64Array, e: Float64Array, x: number): number {
  let q = d[0]! - x, c = q < 0 ? 1 : 0;
  for (let i = 1; i < d.length; i++) {
    q = d[i]! - x - (e[i - 1]! * e[i - 1]!) / (q === 0 ? 1e-300 : q);
    if (q < 0) c++;
  }
  return c;
}

describe('tridiagonalEigen: values-only (root-free QL/QR) against the tql2 sweep with vectors', () => {
  it.each([1, 2, 3, 7, 64, 300])('same spectrum to 1e-13·‖T‖ and bracketed by Sturm counts (m = %i)', (m) => {
    const rng = new Rng(m), d = Float64Array.from(rng.normals(m)), e = Float64Array.from(rng.normals(Math.max(0, m - 1)));
    const values = tridiagonalEigen(d, e).values, withVectors = tridiagonalEigen(d, e, true).values;
    let norm = 0;
    for (let i = 0; i < m; i++) norm = Math.max(norm, Math.abs(d[i]!) + Math.abs(e[i] ?? 0) + Math.abs(e[i - 1] ?? 0));
    for (let i = 0; i < m; i++) {
      expect(Math.abs(values[i]! - withVectors[i]!)).toBeLessThan(1e-13 * norm);
      if (i > 0) expect(values[i]!).toBeGreaterThanOrEqual(values[i - 1]!);
      // λ_i is the (i+1)-th smallest: at most i eigenvalues lie below λ_i − δ, at least i+1 below λ_i + δ.
      const delta = 1e-12 * norm;
      expect(countBelow(d, e, values[i]! - delta)).toBeLessThanOrEqual(i);
      expect(countBelow(d, e, values[i]! + delta)).toBeGreaterThanOrEqual(i + 1);
    }
  });

  it('scales: entries near 1e±200 give the unscaled spectrum times the scale (no overflow, no underflow)', () => {
    const rng = new Rng(5), m = 40, d = Float64Array.from(rng.normals(m)), e = Float64Array.from(rng.normals(m - 1));
    const base = tridiagonalEigen(d, e).values;
    for (const s of [1e200, 1e-200]) {
      const scaled = tridiagonalEigen(d.map((v) => v * s), e.map((v) => v * s)).values;
      for (let i = 0; i < m; i++) expect(Math.abs(scaled[i]! / s - base[i]!)).toBeLessThan(1e-12 * 4);
    }
  });

  it('splits at zero off-diagonal entries and keeps 2×2 blocks exact', () => {
    // blocks [[2, 1], [1, 2]] (1, 3), [5], [[0, 3], [3, 0]] (−3, 3)
    const values = tridiagonalEigen([2, 2, 5, 0, 0], [1, 0, 0, 3]).values;
    expect(Array.from(values)).toEqual([-3, 1, 3, 3, 5]);
  });
});
