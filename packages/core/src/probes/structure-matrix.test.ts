import { describe, expect, it } from 'vitest';
import { MemoryBudgetError } from '../linop/memory.js';
import { parameterCount } from '../models/model.js';
import { ReferenceBackend } from '../reference/backend.js';
import { symmetricEigen } from '../estimators/symmetric-eigen.js';
import { STRUCTURE_ALGORITHMS, StructureMatrixProbe } from './structure-matrix.js';
import { finiteDifferenceJacobians, gramOf, maxRelDiff, mlpCase, ScaledMlp } from './test-fixtures.js';

const backend = new ReferenceBackend();

const cases = [
  { name: 'tanh 4-6-5-3', opts: { sizes: [4, 6, 5, 3], activation: 'tanh' as const } },
  { name: 'gelu + skip + layerNorm 3-5-5-4', opts: { sizes: [3, 5, 5, 4], activation: 'gelu' as const, skip: true, layerNorm: true } },
  { name: 'tanh with 40% sparse masks 4-7-6-3', opts: { sizes: [4, 7, 6, 3], activation: 'tanh' as const, sparsity: 0.4, maskSeed: 7 } },
];

describe.each(cases)('structure matrix: $name', ({ opts }) => {
  const { model, params, x, n } = mlpCase(opts, 4);
  const d = model.outputDim, P = parameterCount(model), N = n * d;
  const fdJ = finiteDifferenceJacobians(model, params, x, n);
  const fdK = gramOf(fdJ, N, P);

  it('per-sample Jacobians, A_x and the NTK match the finite-difference oracle to 1e-8', async () => {
    const probe = new StructureMatrixProbe(model, backend, { algorithm: 'jacobian-contraction', chunk: 3 });
    const J = await probe.jacobians(params, x);
    expect(maxRelDiff(J.data, fdJ)).toBeLessThan(1e-8);
    const K = await probe.ntk(params, x);
    expect(maxRelDiff(K.data, fdK)).toBeLessThan(1e-8);
    const blocks = await probe.blocks(params, x);
    const fdBlocks = new Float64Array(n * d * d);
    for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) for (let m = 0; m < d; m++) fdBlocks[(i * d + k) * d + m] = fdK[(i * d + k) * N + i * d + m]!;
    expect(maxRelDiff(blocks.data, fdBlocks)).toBeLessThan(1e-8);
  });

  it('the three algorithms agree to 1e-10 (NTK, blocks, traced NTK)', async () => {
    const res = await Promise.all(STRUCTURE_ALGORITHMS.map(async (algorithm) => {
      const probe = new StructureMatrixProbe(model, backend, { algorithm, chunk: 3, block: 5 });
      return { algorithm, K: await probe.ntk(params, x), B: await probe.blocks(params, x), T: await probe.tracedNtk(params, x) };
    }));
    const ref = res[0]!;
    expect(maxRelDiff(ref.K.data, fdK)).toBeLessThan(1e-8);
    for (const r of res.slice(1)) {
      expect(maxRelDiff(r.K.data, ref.K.data), `${r.algorithm} NTK vs jacobian-contraction`).toBeLessThan(1e-10);
      expect(maxRelDiff(r.B.data, ref.B.data), `${r.algorithm} blocks`).toBeLessThan(1e-10);
      expect(maxRelDiff(r.T.data, ref.T.data), `${r.algorithm} traced`).toBeLessThan(1e-10);
    }
    // output blocks Θ^(k)_ij = Θ_(i,k),(j,k), by the layer-wise graph whatever the algorithm
    const ob = await new StructureMatrixProbe(model, backend, { algorithm: 'ntk-vp' }).outputBlocks(params, x);
    const want = new Float64Array(d * n * n);
    for (let k = 0; k < d; k++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) want[(k * n + i) * n + j] = ref.K.data[(i * d + k) * N + j * d + k]!;
    expect(maxRelDiff(ob.data, want)).toBeLessThan(1e-10);
    // traced NTK = Σ_k of the diagonal output pairs
    const t01 = Array.from({ length: d }, (_, k) => ref.K.data[k * N + d + k]!).reduce((a, b) => a + b, 0);
    expect(ref.T.data[1]).toBeCloseTo(t01, 12);
  });
});

describe('StructureMatrixProbe', () => {
  it('compiles each graph once per shape and reuses it', async () => {
    const { model, params, x } = mlpCase({ sizes: [3, 4, 2] }, 5);
    const probe = new StructureMatrixProbe(model, backend);
    expect(probe.algorithm).toBe('layerwise-gram');
    await probe.blocks(params, x);
    await probe.blocks(params, x);
    await probe.ntk(params, x);
    expect(probe.runtime.compiled).toBe(2);
  });

  it('falls back to jacobian-contraction for parameters outside dense layers, and says why layerwise cannot', async () => {
    const model = new ScaledMlp([3, 4, 2]);
    const { params, x } = mlpCase({ sizes: [3, 4, 2], activation: 'tanh' }, 3);
    const all = { ...params, s: Float64Array.of(1.3) };
    expect(() => new StructureMatrixProbe(model, backend, { algorithm: 'layerwise-gram' })).toThrow(/\[s\].*jacobian-contraction/);
    await expect(new StructureMatrixProbe(model, backend).preconditioner({ ...params, s: Float64Array.of(1.3) }, x)).rejects.toThrow(/\[s\] are not in a dense or conv layer.*lanczos/);
    const jc = new StructureMatrixProbe(model, backend);
    expect(jc.algorithm).toBe('jacobian-contraction');
    const vp = new StructureMatrixProbe(model, backend, { algorithm: 'ntk-vp' });
    expect(maxRelDiff((await vp.ntk(all, x)).data, (await jc.ntk(all, x)).data)).toBeLessThan(1e-10);
    const fd = gramOf(finiteDifferenceJacobians(model, all, x, 3), 6, parameterCount(model));
    expect(maxRelDiff((await jc.ntk(all, x)).data, fd)).toBeLessThan(1e-8);
  });

  it('memory guard: a dense NTK over budget fails with what to change; extremes switch to Lanczos', async () => {
    const { model, params, x, n } = mlpCase({ sizes: [3, 8, 4], activation: 'tanh' }, 6);
    const N = n * 4;
    const probe = new StructureMatrixProbe(model, backend, { memoryBudget: N * N * 8 });
    await expect(probe.ntk(params, x)).rejects.toThrow(MemoryBudgetError);
    await expect(probe.ntk(params, x)).rejects.toThrow(/operator\(\).*lanczos/);
    const ex = await probe.extremes(params, x);
    expect(ex.method).toBe('lobpcg'); // a dense-layer model: Lanczos for λ_max, preconditioned LOBPCG for λ_min
    const exact = symmetricEigen(await new StructureMatrixProbe(model, backend).ntk(params, x)).values;
    expect(Math.abs(ex.largest - exact[N - 1]!) / exact[N - 1]!).toBeLessThan(1e-8);
    expect(Math.abs(ex.smallest - exact[0]!) / exact[0]!).toBeLessThan(1e-6);
    expect(ex.products).toBe(ex.lanczos!.matvecs + ex.lobpcg!.matvecs);
    const lz = await probe.extremes(params, x, { method: 'lanczos' });
    expect(Math.abs(lz.smallest - exact[0]!) / exact[0]!).toBeLessThan(1e-6);
  });

  it('the output-block preconditioner inverts the output-diagonal part of the NTK, plain and in the rotated output basis', async () => {
    const { model, params, x, n } = mlpCase({ sizes: [3, 6, 3], activation: 'tanh' }, 5);
    const d = 3, N = n * d, probe = new StructureMatrixProbe(model, backend);
    const K = (await probe.ntk(params, x)).data;
    const v = Float64Array.from({ length: N }, (_, i) => Math.sin(i + 1));
    // Θ' = Tᵀ Θ T with T = I ⊗ Q (T = I without rotation); M = output-diagonal part of Θ';
    // the preconditioner is y = T M⁻¹ Tᵀ v, so M (Tᵀ y) = Tᵀ v (Q orthogonal).
    for (const rotate of [false, true]) {
      const pre = await probe.preconditioner(params, x, { rotate });
      expect(Array.from(pre.shifts)).toEqual([0, 0, 0]);
      expect(pre.rotation !== undefined).toBe(rotate);
      const Q = pre.rotation ?? Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1);
      const Tt = (u: Float64Array) => { const o = new Float64Array(N); for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) { let s = 0; for (let a = 0; a < d; a++) s += Q[a * d + k]! * u[i * d + a]!; o[i * d + k] = s; } return o; };
      const Kr = new Float64Array(N * N); // Tᵀ K T, entry by entry
      for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) for (let j = 0; j < n; j++) for (let m = 0; m < d; m++) {
        let s = 0;
        for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) s += Q[a * d + k]! * K[(i * d + a) * N + j * d + b]! * Q[b * d + m]!;
        Kr[(i * d + k) * N + j * d + m] = s;
      }
      const blocks = await probe.outputBlocks(params, x, rotate ? { rotation: Q } : {});
      for (let k = 0; k < d; k++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++)
        expect(Math.abs(blocks.data[(k * n + i) * n + j]! - Kr[(i * d + k) * N + j * d + k]!)).toBeLessThan(1e-10 * (1 + Math.abs(Kr[(i * d + k) * N + j * d + k]!)));
      const ty = Tt(await pre.matvec(v)), tv = Tt(v);
      for (let r = 0; r < N; r++) {
        let s = 0;
        for (let c = 0; c < N; c++) if (r % d === c % d) s += Kr[r * N + c]! * ty[c]!;
        expect(Math.abs(s - tv[r]!)).toBeLessThan(1e-9 * (1 + Math.abs(tv[r]!)));
      }
    }
    const { outputBlockPreconditioner } = await import('./ntk-preconditioner.js');
    expect(() => outputBlockPreconditioner({ n: 2, d: 1, data: Float64Array.of(1, 0, 0, NaN) })).toThrow(/non-finite/);
    expect(() => outputBlockPreconditioner({ n: 2, d: 1, data: new Float64Array(3) })).toThrow(/expected d·n·n = 4/);
    expect(() => outputBlockPreconditioner({ n: 1, d: 1, data: Float64Array.of(0) })).toThrow(/non-positive NTK diagonal/);
    // A singular block factors after a small shift, which is reported.
    expect(outputBlockPreconditioner({ n: 2, d: 1, data: Float64Array.of(1, 1, 1, 1) }).shifts[0]).toBeGreaterThan(0);
  });

  it('flags rank deficiency: P < n·d gives λ_min = 0 exactly, by both methods', async () => {
    const { model, params, x, n } = mlpCase({ sizes: [2, 2, 3], activation: 'tanh' }, 7);
    const P = parameterCount(model);
    expect(P).toBeLessThan(n * 3);
    const probe = new StructureMatrixProbe(model, backend);
    for (const method of ['dense', 'lanczos', 'lobpcg'] as const) {
      const ex = await probe.extremes(params, x, { method });
      expect(ex.rankDeficient).toBe(true);
      expect(ex.smallest).toBe(0);
    }
    // The dense spectrum indeed has n·d − P eigenvalues at round-off level.
    const eig = (await probe.extremes(params, x, { method: 'dense' })).eigenvalues!;
    expect(Math.abs(eig[n * 3 - P - 1]!)).toBeLessThan(1e-12 * eig[n * 3 - 1]!);
  });

  it('rejects bad input with a clear message', async () => {
    const { model, params, x } = mlpCase({ sizes: [3, 4, 2] }, 2);
    const probe = new StructureMatrixProbe(model, backend);
    await expect(probe.blocks(params, x.subarray(0, 5))).rejects.toThrow(/whole number of rows of width 3/);
    const { W0: _omit, ...rest } = params;
    await expect(probe.blocks(rest, x)).rejects.toThrow(/missing parameter "W0"/);
    expect(() => new StructureMatrixProbe(model, backend, { algorithm: 'svd' as never })).toThrow(/unknown structure-matrix algorithm/);
  });
});
