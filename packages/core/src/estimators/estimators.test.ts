import { describe, expect, it } from 'vitest';
import { addOperators, composeOperators, scaleOperator, shiftOperator } from '../linop/compose.js';
import { denseMatrix, denseOperator, toDense } from '../linop/dense.js';
import { defineOperator } from '../linop/linear-operator.js';
import { MemoryBudgetError } from '../linop/memory.js';
import { Rng } from '../util/random.js';
import { hutchinsonTrace } from './hutchinson.js';
import { lanczos } from './lanczos.js';
import { powerIteration } from './power-iteration.js';
import { symmetricEigen } from './symmetric-eigen.js';
import { withSpectrum } from './test-matrices.js';

const sortAsc = (a: ArrayLike<number>) => Float64Array.from(a).sort();
const maxRelErr = (a: ArrayLike<number>, b: ArrayLike<number>, scale: number) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / scale);
  return m;
};

/** B Bᵀ for a seeded n × r Gaussian B: PSD with rank r. */
function gram(n: number, r: number, seed: number) {
  const b = new Rng(seed).normals(n * r), a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { let s = 0; for (let t = 0; t < r; t++) s += b[i * r + t]! * b[j * r + t]!; a[i * n + j] = s; }
  return denseMatrix(a, n);
}

describe('symmetricEigen (Householder + QL)', () => {
  it('recovers the spectrum of Q diag(λ) Qᵀ, including repeated and negative eigenvalues', () => {
    const rng = new Rng(3);
    const lambda = Float64Array.from({ length: 60 }, (_, i) => (i < 5 ? 2 : rng.normal() * 10));
    const res = symmetricEigen(withSpectrum(lambda, 11), { vectors: true });
    expect(maxRelErr(res.values, sortAsc(lambda), 10)).toBeLessThan(1e-12);
  });

  it('matches the closed form of the tridiagonal Toeplitz matrix (a, b): λ_k = a + 2b cos(kπ/(n+1))', () => {
    const n = 40, a = 3, b = -1.5, m = new Float64Array(n * n);
    for (let i = 0; i < n; i++) { m[i * n + i] = a; if (i + 1 < n) { m[i * n + i + 1] = b; m[(i + 1) * n + i] = b; } }
    const exact = sortAsc(Array.from({ length: n }, (_, k) => a + 2 * b * Math.cos(((k + 1) * Math.PI) / (n + 1))));
    expect(maxRelErr(symmetricEigen({ size: n, data: m }).values, exact, 6)).toBeLessThan(1e-13);
  });

  it('returns orthonormal eigenvectors with A v = λ v', () => {
    const m = gram(25, 30, 5), n = 25;
    const { values, vectors } = symmetricEigen(m, { vectors: true });
    for (let k = 0; k < n; k++) {
      let res = 0, nn = 0;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += m.data[i * n + j]! * vectors![k * n + j]!;
        res = Math.max(res, Math.abs(s - values[k]! * vectors![k * n + i]!));
        nn += vectors![k * n + i]! ** 2;
      }
      expect(res).toBeLessThan(1e-10 * values[n - 1]!);
      expect(Math.abs(nn - 1)).toBeLessThan(1e-12);
    }
  });

  it('rejects a non-symmetric or non-finite matrix with a clear message', () => {
    expect(() => symmetricEigen({ size: 2, data: Float64Array.of(1, 2, 0, 1) })).toThrow(/not symmetric/);
    expect(() => symmetricEigen({ size: 1, data: Float64Array.of(NaN) })).toThrow(/finite/);
  });
});

describe('lanczos (full reorthogonalization)', () => {
  it('matches the dense solver on random PSD operators to relative 1e-6, in few iterations', async () => {
    for (const seed of [1, 2, 3]) {
      const n = 300, rng = new Rng(seed);
      // Log-uniform spectrum over four decades, like an NTK.
      const lambda = Float64Array.from({ length: n }, () => 10 ** (4 * rng.uniform() - 2));
      const m = withSpectrum(lambda, seed + 100);
      const exact = symmetricEigen(m).values;
      const r = await lanczos(m, { seed });
      expect(r.converged).toBe(true);
      expect(Math.abs(r.largest - exact[n - 1]!) / exact[n - 1]!).toBeLessThan(1e-6);
      expect(Math.abs(r.smallest - exact[0]!) / exact[0]!).toBeLessThan(1e-6);
      expect(r.iterations).toBe(r.matvecs);
      expect(r.residualLargest).toBeLessThanOrEqual(1e-10 * r.largest + 1e-300);
      // λ_max converges first; asking for it alone stops exactly there (same seed, same recurrence).
      expect(r.iterationsLargest!).toBeLessThan(r.iterationsSmallest!);
      const top = await lanczos(m, { seed, which: 'largest' });
      expect(top.iterations).toBe(r.iterationsLargest);
      expect(Math.abs(top.largest - exact[n - 1]!) / exact[n - 1]!).toBeLessThan(1e-6);
    }
  });

  it('reports λ_min = 0 exactly, flagged, when the operator declares rank < size', async () => {
    const m = gram(80, 20, 9);
    const r = await lanczos(denseOperator(m, { rankBound: 20 }));
    expect(r.rankDeficient).toBe(true);
    expect(r.smallest).toBe(0);
    expect(Math.abs(r.largest - symmetricEigen(m).values[79]!) / r.largest).toBeLessThan(1e-9);
  });

  it('finds every distinct eigenvalue when the Krylov space is small (exact, converged)', async () => {
    const lambda = Float64Array.from({ length: 50 }, (_, i) => [1, 4, 9][i % 3]!);
    const r = await lanczos(withSpectrum(lambda, 4));
    expect(r.iterations).toBeLessThanOrEqual(4);
    expect(r.largest).toBeCloseTo(9, 10);
    expect(r.smallest).toBeCloseTo(1, 10);
  });

  it('refuses a non-symmetric operator and a basis over the memory budget', async () => {
    await expect(lanczos(denseOperator(denseMatrix(Float64Array.of(1, 2, 0, 1))))).rejects.toThrow(/symmetric/);
    await expect(lanczos(gram(50, 50, 1), { memoryBudget: 100 })).rejects.toThrow(MemoryBudgetError);
  });
});

describe('powerIteration and hutchinsonTrace', () => {
  it('power iteration finds the dominant eigenvalue', async () => {
    const lambda = Float64Array.from({ length: 40 }, (_, i) => (i === 0 ? 10 : 1 + i / 10));
    const r = await powerIteration(withSpectrum(lambda, 8), { tol: 1e-12 });
    expect(r.converged).toBe(true);
    expect(Math.abs(r.value - 10)).toBeLessThan(1e-9);
  });

  it('Hutchinson is unbiased: the mean over 400 seeds is within 4σ of tr A, σ from Var = 2(‖A‖_F² − Σ a_ii²)', async () => {
    const m = gram(30, 10, 2), n = 30;
    let trace = 0, fro = 0, diag2 = 0;
    for (let i = 0; i < n; i++) { trace += m.data[i * n + i]!; diag2 += m.data[i * n + i]! ** 2; }
    for (const v of m.data) fro += v * v;
    const samples = 8, seeds = 400;
    let mean = 0;
    for (let s = 0; s < seeds; s++) mean += (await hutchinsonTrace(m, { samples, seed: s })).estimate / seeds;
    const sigma = Math.sqrt((2 * (fro - diag2)) / (samples * seeds));
    expect(Math.abs(mean - trace)).toBeLessThan(4 * sigma);
    // The reported standard error is consistent with the exact variance.
    const one = await hutchinsonTrace(m, { samples: 2000, seed: 7 });
    const exactSe = Math.sqrt((2 * (fro - diag2)) / 2000);
    expect(one.standardError / exactSe).toBeGreaterThan(0.8);
    expect(one.standardError / exactSe).toBeLessThan(1.2);
  });
});

describe('linear operator algebra', () => {
  it('scale, add, shift and compose agree with dense arithmetic', async () => {
    const a = gram(12, 5, 1), b = gram(12, 12, 2), n = 12;
    const v = new Rng(5).normals(n);
    const dense = (m: { data: Float64Array }) => Float64Array.from({ length: n }, (_, i) => m.data.subarray(i * n, (i + 1) * n).reduce((s, x, j) => s + x * v[j]!, 0));
    const av = dense(a), bv = dense(b);
    const close = (x: Float64Array, y: ArrayLike<number>) => expect(maxRelErr(x, y, 1 + Math.max(...x.map(Math.abs)))).toBeLessThan(1e-12);
    close(await scaleOperator(a, -2).matvec(v), av.map((x) => -2 * x));
    close(await addOperators(a, b).matvec(v), av.map((x, i) => x + bv[i]!));
    close(await shiftOperator(a, 3).matvec(v), av.map((x, i) => x + 3 * v[i]!));
    const ab = await composeOperators(a, b).matvec(v);
    close(ab, Float64Array.from({ length: n }, (_, i) => a.data.subarray(i * n, (i + 1) * n).reduce((s, x, j) => s + x * bv[j]!, 0)));
    expect(addOperators(denseOperator(a, { rankBound: 5 }), denseOperator(a, { rankBound: 5 })).rankBound).toBe(10);
    const back = await toDense(defineOperator({ size: n, symmetric: true, matvec: (x) => denseOperator(a).matvec(x) }), { block: 5 });
    close(back.data, a.data);
  });

  it('checks vector lengths', async () => {
    await expect(denseOperator(gram(3, 3, 1)).matvec(new Float64Array(4))).rejects.toThrow(/length 4, expected 3/);
  });
});
