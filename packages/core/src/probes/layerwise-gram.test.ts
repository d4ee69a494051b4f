import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../reference/backend.js';
import type { CompileOptions } from '../backend/contract.js';
import { symmetricEigen } from '../estimators/symmetric-eigen.js';
import type { Tensor } from '../ir/tensor.js';
import { Mlp } from '../models/mlp.js';
import { initParams, type DenseTap, type Model } from '../models/model.js';
import { Rng } from '../util/random.js';
import { assembleLayerwiseNtk, layerwisePlan } from './layerwise-gram.js';
import { ProbeRuntime } from './runtime.js';
import { chooseProductSource, StructureMatrixProbe } from './structure-matrix.js';
import { maxRelDiff, mlpCase } from './test-fixtures.js';

const backend = new ReferenceBackend();

describe('the layer-wise NTK assembled block by block', () => {
  const cases = [
    { name: 'tanh 4-6-5-3', opts: { sizes: [4, 6, 5, 3], activation: 'tanh' as const } },
    { name: 'tanh with 40% sparse masks 4-7-6-3', opts: { sizes: [4, 7, 6, 3], activation: 'tanh' as const, sparsity: 0.4, maskSeed: 7 } },
  ];
  // 7 samples × 3 outputs in blocks of ≤ 8 rows: chunks of 3 samples, the last one padded, off-diagonal blocks mirrored.
  it.each(cases)('equals the Jacobian-contraction NTK to 1e-12 over uneven, padded chunks ($name)', async ({ opts }) => {
    const { model, params, x, n } = mlpCase(opts, 7);
    const N = n * model.outputDim;
    const ref = await new StructureMatrixProbe(model, backend, { algorithm: 'jacobian-contraction', chunk: 2 }).ntk(params, x);
    for (const blockRows of [8, 1, 1000]) {
      const out = new Float64Array(N * N);
      await assembleLayerwiseNtk(new ProbeRuntime(backend), model, params, x, n, out, blockRows);
      expect(maxRelDiff(out, ref.data)).toBeLessThan(1e-12);
    }
  });

  it("ntk(…, { dtype: 'f32' }) returns a Float32Array (4 bytes per entry) equal to the float64 NTK to float32 rounding", async () => {
    const { model, params, x } = mlpCase(cases[0]!.opts, 9);
    const probe = new StructureMatrixProbe(model, backend);
    const k64 = await probe.ntk(params, x), k32 = await probe.ntk(params, x, { dtype: 'f32' });
    expect(k64.data).toBeInstanceOf(Float64Array);
    expect(k32.data).toBeInstanceOf(Float32Array);
    expect(k32.size).toBe(k64.size);
    expect(maxRelDiff(k32.data, k64.data)).toBeLessThan(1e-6);
    expect(maxRelDiff(k32.data, k64.data)).toBeGreaterThan(0); // really rounded, not a float64 copy
  });
});

describe('the row-block NTK (upper block triangle, mirrored; output layer as G ⊗ I)', () => {
  /** Oracle: J Jᵀ in float64 from the per-sample Jacobians (VJPs on the reference backend), contracted here. */
  async function jjt(model: Model, params: Record<string, Float64Array>, x: Float64Array): Promise<Float64Array> {
    const { n, d, P, data: J } = await new StructureMatrixProbe(model, backend, { algorithm: 'jacobian-contraction', chunk: 3 }).jacobians(params, x);
    const N = n * d, K = new Float64Array(N * N);
    for (let r = 0; r < N; r++) for (let s = 0; s < N; s++) { let v = 0; for (let p = 0; p < P; p++) v += J[r * P + p]! * J[s * P + p]!; K[r * N + s] = v; }
    return K;
  }
  const cases = [
    { name: 'relu 5-7-6-3 with biases', model: () => new Mlp({ sizes: [5, 7, 6, 3], activation: 'relu' }) },
    { name: 'tanh 4-6-3 without biases', model: () => new Mlp({ sizes: [4, 6, 3], activation: 'tanh', bias: false }) },
    { name: 'tanh(MLP) (the last layer is not the output: no identity shortcut)', model: () => new SquashedMlp([4, 5, 6, 3]) },
  ];
  // 7 samples × 3 outputs: blocks of 2 samples (last one short), 1 sample, all 7 at once.
  it.each(cases)('equals J Jᵀ to 1e-12, exactly symmetric, for every row-block size ($name)', async ({ model: make }) => {
    const model = make(), rng = new Rng(5), n = 7;
    const params = initParams(model, rng);
    for (const p of model.params) if (p.name.startsWith('b')) params[p.name] = rng.normals(p.shape[0]!, 0.3);
    const x = rng.normals(n * model.inputDim), N = n * model.outputDim;
    const ref = await jjt(model, params, x);
    // groupBytes 1: every row block in a run of its own after a separate parts graph; else one graph.
    for (const [blockRows, groupBytes] of [[6, undefined], [1, undefined], [8, 1], [6, 1], [1000, undefined]] as const) {
      const out = new Float64Array(N * N);
      await assembleLayerwiseNtk(new ProbeRuntime(backend), model, params, x, n, out, blockRows, groupBytes);
      expect(maxRelDiff(out, ref)).toBeLessThan(1e-12);
      for (let r = 0; r < N; r++) for (let s = 0; s < r; s++) expect(out[r * N + s]).toBe(out[s * N + r]);
    }
  });

  it('several row-block groups compile as transient graphs (no memory pool kept per group); one group does not', async () => {
    const seen: (boolean | undefined)[] = [];
    class Recording extends ReferenceBackend {
      override compile(graph: Parameters<ReferenceBackend['compile']>[0], options?: CompileOptions) {
        seen.push(options?.transient);
        return super.compile(graph);
      }
    }
    const { model, params, x, n } = mlpCase({ sizes: [3, 8, 4], activation: 'tanh' }, 6);
    const N = n * 4, one = new Float64Array(N * N), many = new Float64Array(N * N);
    await assembleLayerwiseNtk(new ProbeRuntime(new Recording()), model, params, x, n, one, 8);
    expect(seen).toEqual([undefined]);
    seen.length = 0;
    await assembleLayerwiseNtk(new ProbeRuntime(new Recording()), model, params, x, n, many, 8, 1);
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.every((t) => t === true)).toBe(true);
    expect(Array.from(many)).toEqual(Array.from(one));
  });

  it('the plan marks only a tap whose pre-activation is the output as identity', () => {
    expect(layerwisePlan(new Mlp({ sizes: [4, 6, 5, 3], activation: 'relu' })).map((t) => t.identity)).toEqual([false, false, true]);
    expect(layerwisePlan(new SquashedMlp([4, 5, 3])).map((t) => t.identity)).toEqual([false, false]);
  });

  it("extremes: products by the formed NTK and NTK–vector products agree with the dense eigenvalues", async () => {
    const { model, params, x, n } = mlpCase({ sizes: [3, 8, 4], activation: 'tanh' }, 6);
    const N = n * 4, probe = new StructureMatrixProbe(model, backend);
    const exact = symmetricEigen(await probe.ntk(params, x)).values;
    for (const products of ['formed', 'ntk-vp'] as const) {
      const ex = await probe.extremes(params, x, { method: 'lobpcg', products });
      expect(ex.productSource).toBe(products);
      expect(Math.abs(ex.largest - exact[N - 1]!) / exact[N - 1]!).toBeLessThan(1e-8);
      expect(Math.abs(ex.smallest - exact[0]!) / exact[0]!).toBeLessThan(1e-6);
    }
    // A product of a 24² model costs the per-run floor either way, so forming first only adds cost.
    expect((await probe.extremes(params, x, { method: 'lobpcg' })).productSource).toBe('ntk-vp');
  });

  it('chooseProductSource: the formed NTK for the MNIST MLP, NTK–vector products without the layer-wise algorithm or the memory', () => {
    const mlp = { d: 10, parameterCount: 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10, algorithm: 'layerwise-gram' as const, tapWidth: 522, formedFits: true, iterativeMethod: 'lobpcg' as const };
    expect(chooseProductSource({ ...mlp, n: 256 })).toBe('formed');
    expect(chooseProductSource({ ...mlp, n: 256, formedFits: false })).toBe('ntk-vp');
    expect(chooseProductSource({ ...mlp, n: 256, algorithm: 'jacobian-contraction' })).toBe('ntk-vp');
  });
});

/** tanh on top of an MLP: every parameter is in a dense tap, but the output is not the last pre-activation. */
class SquashedMlp implements Model {
  readonly kind = 'squashed-mlp';
  readonly inner: Mlp;
  constructor(sizes: number[]) { this.inner = new Mlp({ sizes, activation: 'tanh' }); }
  get params() { return this.inner.params; }
  get inputDim() { return this.inner.inputDim; }
  get outputDim() { return this.inner.outputDim; }
  apply(params: Record<string, Tensor>, x: Tensor, taps?: DenseTap[]): Tensor { return this.inner.apply(params, x, taps).tanh(); }
  describe() { return { kind: this.kind }; }
}
