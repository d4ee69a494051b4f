import { describe, expect, it } from 'vitest';
import { cholesky, choleskySolveInPlace } from '../linop/cholesky.js';
import { denseMatrix, denseOperator } from '../linop/dense.js';
import { defineOperator } from '../linop/linear-operator.js';
import { Rng } from '../util/random.js';
import { lanczos } from './lanczos.js';
import { lobpcg } from './lobpcg.js';
import { symmetricEigen } from './symmetric-eigen.js';
import { withSpectrum } from './test-matrices.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** A = Q diag(λ) Qᵀ and, as a preconditioner, Q diag(1/μ) Qᵀ with μ = λ·(1 + noise): an approximate inverse of known quality. */
function withApproximateInverse(lambda: Float64Array, quality: number, seed: number) {
  const rng = new Rng(seed + 1);
  const mu = lambda.map((l) => 1 / (l * (1 + quality * (rng.uniform() - 0.5))));
  return { a: withSpectrum(lambda, seed), t: withSpectrum(mu, seed) };
}

describe('cholesky', () => {
  it('factors an SPD matrix (L Lᵀ = A) and solves several right-hand sides side by side', () => {
    const n = 30, k = 3, rng = new Rng(4);
    const b = rng.normals(n * n), a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { let s = i === j ? 1 : 0; for (let t = 0; t < n; t++) s += b[i * n + t]! * b[j * n + t]!; a[i * n + j] = s; }
    const L = cholesky(denseMatrix(a))!;
    let err = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { let s = 0; for (let t = 0; t < n; t++) s += L[i * n + t]! * L[j * n + t]!; err = Math.max(err, Math.abs(s - a[i * n + j]!)); }
    expect(err).toBeLessThan(1e-10);
    const x = rng.normals(n * k), rhs = new Float64Array(n * k);
    for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) { let s = 0; for (let j = 0; j < n; j++) s += a[i * n + j]! * x[j * k + c]!; rhs[i * k + c] = s; }
    choleskySolveInPlace(L, n, rhs, k);
    for (let i = 0; i < n * k; i++) expect(Math.abs(rhs[i]! - x[i]!)).toBeLessThan(1e-8);
  });

  it('returns undefined for an indefinite matrix', () => {
    expect(cholesky(denseMatrix(Float64Array.of(1, 2, 2, 1)))).toBeUndefined();
  });
});

describe('lobpcg', () => {
  it('matches the dense solver for λ_min and λ_max of random PSD operators to relative 1e-6', async () => {
    for (const seed of [1, 2, 3]) {
      const n = 200, rng = new Rng(seed);
      // Log-uniform bulk over three decades with isolated ends (convergence is gap-limited).
      const lambda = Float64Array.from({ length: n }, (_, i) => (i === 0 ? 0.05 : i === 1 ? 150 : 10 ** (3 * rng.uniform() - 1)));
      const { a, t } = withApproximateInverse(lambda, 0.5, seed);
      const exact = symmetricEigen(a).values;
      // (Start seeds differ from the matrix seeds: withSpectrum's first eigenvector is Rng(seed)'s first draw.)
      const lo = await lobpcg(a, { preconditioner: t, seed: seed + 50 });
      expect(lo.converged).toBe(true);
      expect(rel(lo.values[0]!, exact[0]!)).toBeLessThan(1e-6);
      const hi = await lobpcg(a, { which: 'largest', blockSize: 2, seed: seed + 50, maxIterations: 400 });
      expect(hi.iterations).toBeGreaterThan(3);
      expect(hi.converged).toBe(true);
      expect(rel(hi.values[0]!, exact[n - 1]!)).toBeLessThan(1e-6);
      // The vector is an eigenvector: ‖A v − θ v‖ small, and the reported residual is that norm.
      const av = await denseOperator(a).matvec(lo.vectors);
      let r = 0;
      for (let i = 0; i < n; i++) r += (av[i]! - lo.values[0]! * lo.vectors[i]!) ** 2;
      expect(Math.abs(Math.sqrt(r) - lo.residuals[0]!)).toBeLessThan(1e-8 * exact[n - 1]!);
    }
  });

  it('finds several eigenpairs with a block (count 3, blockSize 5), in ascending order', async () => {
    const n = 150, lambda = Float64Array.from({ length: n }, (_, i) => 1 + i * 0.5 + (i % 7) * 0.01);
    const { a, t } = withApproximateInverse(lambda, 0.3, 9);
    const exact = symmetricEigen(a).values;
    const r = await lobpcg(a, { preconditioner: t, count: 3, blockSize: 5, tol: 1e-9, seed: 60 });
    expect(r.converged).toBe(true);
    for (let j = 0; j < 3; j++) expect(rel(r.values[j]!, exact[j]!)).toBeLessThan(1e-8);
  });

  it('a good preconditioner beats Lanczos on a crowded bottom of the spectrum', async () => {
    const n = 400;
    // Small eigenvalues 5% apart under a few huge ones: the NTK shape that makes λ_min slow for
    // Lanczos (its gap is relative to λ_max), not for a preconditioned method (relative to λ_min).
    const lambda = Float64Array.from({ length: n }, (_, i) => (i < 5 ? 1e4 * (1 + i) : 1 + 0.05 * (i - 5) + 50 * ((i - 5) / n) ** 2));
    const exact = symmetricEigen(withSpectrum(lambda, 3)).values;
    const { a, t } = withApproximateInverse(lambda, 0.5, 3);
    const lz = await lanczos(a, { which: 'smallest', tol: 1e-8, seed: 60 });
    const lo = await lobpcg(a, { preconditioner: t, tol: 1e-8, seed: 60 });
    expect(rel(lo.values[0]!, exact[0]!)).toBeLessThan(1e-6);
    expect(lo.matvecs).toBeLessThan(lz.matvecs / 2);
  });

  it('history: one entry per iteration, Ritz values decrease, products counted exactly', async () => {
    let calls = 0;
    const { a, t } = withApproximateInverse(Float64Array.from({ length: 60 }, (_, i) => 1 + i), 0.5, 2);
    const dense = denseOperator(a);
    const counted = defineOperator({ size: 60, symmetric: true, matvec: (v) => { calls++; return dense.matvec(v); } });
    const r = await lobpcg(counted, { preconditioner: t, blockSize: 2, seed: 60 });
    expect(r.matvecs).toBe(calls);
    expect(r.history.length).toBe(r.iterations + 1);
    for (let i = 1; i < r.history.length; i++) expect(r.history[i]!.value).toBeLessThanOrEqual(r.history[i - 1]!.value + 1e-12);
  });

  it('stops, flagged stalled, when operator noise puts a floor under the residual', async () => {
    const n = 120, a = withSpectrum(Float64Array.from({ length: n }, (_, i) => 1 + i), 6), dense = denseOperator(a);
    // Products with relative noise 1e-6 (like float32): the residual cannot fall below ≈ 1e-4.
    const rng = new Rng(8);
    const noisy = defineOperator({ size: n, symmetric: true, matvec: async (v) => (await dense.matvec(v)).map((y) => y * (1 + 1e-6 * rng.normal())) });
    const r = await lobpcg(noisy, { tol: 1e-12, maxIterations: 500, stallIterations: 15, seed: 60 });
    expect(r.converged).toBe(false);
    expect(r.stalled).toBe(true);
    expect(r.iterations).toBeLessThan(500);
    expect(Math.abs(r.values[0]! - 1)).toBeLessThan(1e-4); // the value is as good as the products allow
    const clean = await lobpcg(a, { tol: 1e-10, seed: 60 });
    expect(clean.stalled).toBe(false);
  });

  it('reports λ_min = 0 without iterating when rank < size; rejects bad input clearly', async () => {
    const r = await lobpcg(denseOperator(withSpectrum(Float64Array.from({ length: 20 }, (_, i) => i), 1), { rankBound: 19 }));
    expect(r.rankDeficient).toBe(true);
    expect(r.values[0]).toBe(0);
    expect(r.matvecs).toBe(0);
    await expect(lobpcg(denseOperator(denseMatrix(Float64Array.of(1, 2, 0, 1))))).rejects.toThrow(/symmetric/);
    const a = withSpectrum(Float64Array.from({ length: 12 }, (_, i) => i + 1), 1);
    await expect(lobpcg(a, { blockSize: 5 })).rejects.toThrow(/3·blockSize ≤ size/);
    await expect(lobpcg(a, { count: 2, blockSize: 1 })).rejects.toThrow(/blockSize/);
    await expect(lobpcg(a, { start: new Float64Array(5) })).rejects.toThrow(/start has length 5/);
    await expect(lobpcg(a, { preconditioner: withSpectrum([1, 2, 3], 1) })).rejects.toThrow(/preconditioner has size 3/);
    const nanOp = defineOperator({ size: 12, symmetric: true, matvec: (v) => v.map(() => NaN) });
    await expect(lobpcg(nanOp)).rejects.toThrow(/non-finite/);
  });
});
