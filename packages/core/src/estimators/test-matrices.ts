import type { DenseMatrix } from '../linop/linear-operator.js';
import { Rng } from '../util/random.js';

/**
 * Matrices with known spectra for estimator tests (not exported from the package barrel):
 * Q diag(λ) Qᵀ with a seeded orthogonal Q (Gram–Schmidt on Gaussian columns).
 */
export function orthogonal(n: number, rng: Rng): Float64Array {
  const q = rng.normals(n * n); // rows are the vectors
  for (let i = 0; i < n; i++) {
    for (let pass = 0; pass < 2; pass++)
      for (let j = 0; j < i; j++) {
        let s = 0;
        for (let t = 0; t < n; t++) s += q[i * n + t]! * q[j * n + t]!;
        for (let t = 0; t < n; t++) q[i * n + t]! -= s * q[j * n + t]!;
      }
    let s = 0;
    for (let t = 0; t < n; t++) s += q[i * n + t]! ** 2;
    s = Math.sqrt(s);
    for (let t = 0; t < n; t++) q[i * n + t]! /= s;
  }
  return q;
}

/** Σ_k λ_k q_k q_kᵀ for the rows q_k of a seeded orthogonal matrix. */
export function withSpectrum(lambda: ArrayLike<number>, seed: number): DenseMatrix {
  const n = lambda.length, q = orthogonal(n, new Rng(seed)), a = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const l = lambda[k]!;
    for (let i = 0; i < n; i++) {
      const qi = l * q[k * n + i]!;
      for (let j = 0; j < n; j++) a[i * n + j]! += qi * q[k * n + j]!;
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[i * n + j] = a[j * n + i]!;
  return { size: n, data: a };
}
