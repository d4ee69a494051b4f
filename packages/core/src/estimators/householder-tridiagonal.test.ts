import { describe, expect, it } from 'vitest';
import { Rng } from '../util/random.js';
import { reflectorBasis, tridiagonalize } from './householder-tridiagonal.js';
import { simdKernels, simdKernelsUseFma } from './simd-kernels.js';
import { symmetricEigen } from './symmetric-eigen.js';
import { withSpectrum } from './test-matrices.js';

/** Q T Qᵀ from the reduction, with Q's columns the rows of reflectorBasis. */
function reassemble(n: number, diag: Float64Array, off: Float64Array, qt: Float64Array) {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) {
        // (T Qᵀ)[k][j] = d_k qt[k][j] + e_{k−1} qt[k−1][j] + e_k qt[k+1][j]
        let tq = diag[k]! * qt[k * n + j]!;
        if (k > 0) tq += off[k - 1]! * qt[(k - 1) * n + j]!;
        if (k + 1 < n) tq += off[k]! * qt[(k + 1) * n + j]!;
        s += qt[k * n + i]! * tq;
      }
      out[i * n + j] = s;
    }
  return out;
}

describe('blocked Householder tridiagonalisation (dsytrd scheme)', () => {
  // Sizes below, at and across the 32-column panel and the 4×4 tiles' tails; WebAssembly SIMD kernels and plain loops.
  it.each([2, 3, 5, 31, 33, 70, 131].flatMap((n) => [[n, true], [n, false]] as const))('A = Q T Qᵀ with orthogonal Q to 1e-13·‖A‖ (n = %i, simd %s)', (n, simd) => {
    const rng = new Rng(n), a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) { const v = rng.normal(); a[i * n + j] = v; a[j * n + i] = v; }
    const red = tridiagonalize(a, n, { simd });
    const qt = reflectorBasis(red);
    const back = reassemble(n, red.diag, red.off, qt);
    let err = 0, orth = 0, scale = 0;
    for (let i = 0; i < n * n; i++) { err = Math.max(err, Math.abs(back[i]! - a[i]!)); scale = Math.max(scale, Math.abs(a[i]!)); }
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += qt[i * n + k]! * qt[j * n + k]!;
        orth = Math.max(orth, Math.abs(s - (i === j ? 1 : 0)));
      }
    expect(err / scale).toBeLessThan(1e-13 * Math.sqrt(n));
    expect(orth).toBeLessThan(1e-13 * Math.sqrt(n));
  });

  it('recovers a known spectrum over several panels (n = 150, repeated, negative and clustered eigenvalues)', () => {
    const rng = new Rng(7), n = 150;
    const lambda = Float64Array.from({ length: n }, (_, i) => (i < 10 ? -3 : i < 20 ? 1 + 1e-9 * i : rng.normal() * 50));
    const { values, vectors } = symmetricEigen(withSpectrum(lambda, 12), { vectors: true });
    const exact = Float64Array.from(lambda).sort();
    let err = 0;
    for (let i = 0; i < n; i++) err = Math.max(err, Math.abs(values[i]! - exact[i]!));
    expect(err).toBeLessThan(1e-12 * 200);
    expect(vectors!.length).toBe(n * n);
  });

  it('handles columns that are already reduced (diagonal and block-diagonal input: τ = 0 reflectors)', () => {
    const n = 80, a = new Float64Array(n * n), expected: number[] = [];
    // 2×2 blocks [[x, 1], [1, x]] along the diagonal: eigenvalues x ± 1.
    for (let b = 0; b < n; b += 2) { const x = b; a[b * n + b] = x; a[(b + 1) * n + b + 1] = x; a[b * n + b + 1] = 1; a[(b + 1) * n + b] = 1; expected.push(x - 1, x + 1); }
    const values = symmetricEigen({ size: n, data: a }).values;
    expected.sort((x, y) => x - y);
    for (let i = 0; i < n; i++) expect(values[i]).toBeCloseTo(expected[i]!, 12);
    const diag = new Float64Array(n * n);
    for (let i = 0; i < n; i++) diag[i * n + i] = n - i;
    expect(Array.from(symmetricEigen({ size: n, data: diag }).values)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  });
});

describe('WebAssembly SIMD kernels', () => {
  it('assemble, validate and give the same tridiagonal form as the plain loops to round-off (n = 97)', () => {
    expect(simdKernels(1 << 16)).toBeDefined(); // Node ≥ 20 has f64x2: a missing kernel here is a bug, not a platform gap
    const n = 97, rng = new Rng(97), a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) { const v = rng.normal(); a[i * n + j] = v; a[j * n + i] = v; }
    const x = tridiagonalize(a, n, { simd: true }), y = tridiagonalize(a, n, { simd: false });
    for (let i = 0; i < n; i++) expect(Math.abs(x.diag[i]! - y.diag[i]!)).toBeLessThan(1e-11);
    for (let i = 0; i + 1 < n; i++) expect(Math.abs(Math.abs(x.off[i]!) - Math.abs(y.off[i]!))).toBeLessThan(1e-11);
  });

  it('use fused multiply-add on every supported Node (20 through its V8 flag, ≥ 22 by default)', () => {
    // The relaxed-SIMD opcode is valid whether or not the CPU fuses (it then multiplies and adds),
    // so this holds on any machine; it fails if Node 20 stopped taking the flag at run time.
    expect(simdKernels(1 << 16)).toBeDefined();
    expect(simdKernelsUseFma()).toBe(true);
  });
});
