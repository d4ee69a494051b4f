import { describe, expect, it } from 'vitest';
import { grad } from '../ad/transforms.js';
import { symmetricEigen } from '../estimators/symmetric-eigen.js';
import { spec, trace } from '../ir/builder.js';
import type { Tensor } from '../ir/tensor.js';
import type { Model } from '../models/model.js';
import { ReferenceBackend } from '../reference/backend.js';
import { interpret } from '../reference/interpret.js';
import { softmaxCrossEntropy } from '../train/sgd-step.js';
import { Rng } from '../util/random.js';
import { freeRayleighQuotient, gradientEnergyGraph, GradientEnergyProbe, type PerSampleLoss } from './gradient-energy.js';
import { StructureMatrixProbe } from './structure-matrix.js';
import { summarizeBlocks } from './structure-summary.js';
import { ConvNet, maxRelDiff, mlpCase, ScaledMlp } from './test-fixtures.js';
import { LeNet } from '../models/lenet.js';
import { initParams } from '../models/model.js';

const backend = new ReferenceBackend();

/** Oracle: materialize g_i = ∇_θ ℓ_i with the graph-level `grad` transform, one sample at a time. */
function materializedSqNorms(model: Model, params: Record<string, Float64Array>, x: Float64Array, y: Float64Array, n: number, loss: PerSampleLoss) {
  const d = model.outputDim, w = model.inputDim;
  const g = grad(trace({ ...Object.fromEntries(model.params.map((p) => [p.name, spec(p.shape, 'f64')])), x: spec([1, w], 'f64'), y: spec([1, d], 'f64') }, (xs) => {
    const { x: xi, y: yi, ...ps } = xs as Record<string, Tensor>;
    return { l: loss(model.apply(ps, xi!), yi!).sum() };
  }), { wrt: model.params.map((p) => p.name) });
  const out = new Float64Array(n), sum = model.params.map((p) => new Float64Array(p.shape.reduce((a, b) => a * b, 1)));
  for (let i = 0; i < n; i++) {
    const r = interpret(g, { ...params, x: x.subarray(i * w, (i + 1) * w), y: y.subarray(i * d, (i + 1) * d) });
    model.params.forEach((p, k) => {
      const gi = r[`grad_${p.name}`] as Float64Array;
      out[i] = out[i]! + gi.reduce((s, v) => s + v * v, 0);
      gi.forEach((v, t) => (sum[k]![t]! += v / n));
    });
  }
  const batchSq = sum.reduce((s, a) => s + a.reduce((t, v) => t + v * v, 0), 0);
  return { perSample: out, batchSq };
}

function oneHotRows(n: number, d: number, seed: number) {
  const rng = new Rng(seed), y = new Float64Array(n * d), labels = new Int32Array(n);
  for (let i = 0; i < n; i++) { labels[i] = rng.int(d); y[i * d + labels[i]!] = 1; }
  return { y, labels };
}

const squared: PerSampleLoss = (eta, y) => eta.sub(y).square().sum(-1).mul(0.5);

describe('GradientEnergyProbe', () => {
  const models = [
    { name: 'tanh MLP', mk: () => mlpCase({ sizes: [5, 7, 6, 4], activation: 'tanh' }, 6) },
    { name: 'sparse relu MLP', mk: () => mlpCase({ sizes: [5, 8, 6, 4], activation: 'relu', sparsity: 0.5, maskSeed: 3 }, 6) },
    { name: 'skip + layerNorm gelu MLP', mk: () => mlpCase({ sizes: [5, 6, 6, 4], activation: 'gelu', skip: true, layerNorm: true }, 6) },
  ];

  it.each(models)('per-sample norms without materializing equal materialized ones: $name', async ({ mk }) => {
    const { model, params, x, n } = mk();
    const { y, labels } = oneHotRows(n, 4, 2);
    const probe = new GradientEnergyProbe(model, backend, { batchGradient: true });
    expect(probe.method).toBe('dense-taps');
    const r = await probe.measure(params, x, labels);
    const oracle = materializedSqNorms(model, params, x, y, n, softmaxCrossEntropy);
    expect(maxRelDiff(r.perSampleSqNorms, oracle.perSample)).toBeLessThan(1e-12);
    expect(Math.abs(r.batchGradSqNorm - oracle.batchSq) / oracle.batchSq).toBeLessThan(1e-12);
    expect(r.energy).toBeCloseTo(oracle.perSample.reduce((a, b) => a + b) / n, 12);
    expect(r.energy).toBeGreaterThanOrEqual(r.batchGradSqNorm); // Jensen: mean of squares ≥ square of mean
    // Residual of softmax CE is softmax(η) − y, checked on the host.
    const f = interpret(trace({ ...Object.fromEntries(model.params.map((p) => [p.name, spec(p.shape, 'f64')])), x: spec([n, 5], 'f64') }, (xs) => {
      const { x: xx, ...ps } = xs as Record<string, Tensor>;
      return { f: model.apply(ps, xx!) };
    }), { ...params, x }).f as Float64Array;
    const expected = new Float64Array(n * 4);
    for (let i = 0; i < n; i++) {
      const row = f.subarray(i * 4, i * 4 + 4), m = Math.max(...row), z = row.reduce((s, v) => s + Math.exp(v - m), 0);
      for (let k = 0; k < 4; k++) expected[i * 4 + k] = Math.exp(row[k]! - m) / z - y[i * 4 + k]!;
    }
    expect(maxRelDiff(r.residuals, expected)).toBeLessThan(1e-12);
  });

  it.each(models)('without batchGradient: the same per-sample norms, no summed gradient, no weight-gradient product: $name', async ({ mk }) => {
    const { model, params, x, n } = mk();
    const { y, labels } = oneHotRows(n, 4, 2);
    const r = await new GradientEnergyProbe(model, backend).measure(params, x, labels);
    const oracle = materializedSqNorms(model, params, x, y, n, softmaxCrossEntropy);
    expect(maxRelDiff(r.perSampleSqNorms, oracle.perSample)).toBeLessThan(1e-12);
    expect(r.energy).toBeCloseTo(oracle.perSample.reduce((a, b) => a + b) / n, 12);
    expect(r.batchGradSqNorm).toBeUndefined();
    expect(r.rayleighQuotient).toBeUndefined();
    // The summed gradient costs exactly one product ∂W = δᵀa per dense layer; without it, none is built
    // and no output names it.
    const matmuls = (g: ReturnType<typeof gradientEnergyGraph>) => g.nodes.filter((k) => k.op === 'matmul').length;
    const lean = gradientEnergyGraph(model, n, 'f64'), full = gradientEnergyGraph(model, n, 'f64', undefined, { batchGradient: true });
    const dense = model.params.filter((p) => p.shape.length === 2).length;
    expect(matmuls(full) - matmuls(lean)).toBe(dense);
    expect(lean.outputs.map((o) => o.name)).not.toContain('batchGradSq');
    expect(full.outputs.map((o) => o.name)).toContain('batchGradSq');
  });

  it.each([
    { name: 'conv net (groups 2, stride 2, dilation 2, a conv without bias)', mk: () => new ConvNet([2, 7, 7], [{ out: 4, kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], groups: 2 }, { out: 3, kernel: [2, 2], pads: [0, 1, 1, 0], dilations: [2, 2], bias: false }], 4) },
    { name: 'LeNet 1×12×12', mk: () => new LeNet({ input: [1, 12, 12], classes: 4, channels: [2, 3], hidden: [6, 5], activation: 'tanh' }) },
  ])('conv layers: per-sample gradients from input patches (layer-taps) equal materialized ones: $name', async ({ mk }) => {
    const model = mk(), rng = new Rng(8), n = 5, params = initParams(model, rng);
    for (const p of model.params) if (/_b$/.test(p.name)) params[p.name] = rng.normals(params[p.name]!.length, 0.2);
    const x = rng.normals(n * model.inputDim), { y, labels } = oneHotRows(n, 4, 6);
    const probe = new GradientEnergyProbe(model, backend, { batchGradient: true });
    expect(probe.method).toBe('layer-taps');
    const r = await probe.measure(params, x, labels);
    const oracle = materializedSqNorms(model, params, x, y, n, softmaxCrossEntropy);
    expect(maxRelDiff(r.perSampleSqNorms, oracle.perSample)).toBeLessThan(1e-12);
    expect(Math.abs(r.batchGradSqNorm - oracle.batchSq) / oracle.batchSq).toBeLessThan(1e-12);
  });

  it('falls back to per-sample VJPs for parameters outside dense layers, with the same answer as the oracle', async () => {
    const model = new ScaledMlp([4, 5, 3]);
    const { params, x } = mlpCase({ sizes: [4, 5, 3], activation: 'tanh' }, 4);
    const all = { ...params, s: Float64Array.of(0.7) };
    const { y } = oneHotRows(4, 3, 5);
    const probe = new GradientEnergyProbe(model, backend, { loss: squared });
    expect(probe.method).toBe('per-sample-vjp');
    const r = await probe.measure(all, x, y);
    const oracle = materializedSqNorms(model, all, x, y, 4, squared);
    expect(maxRelDiff(r.perSampleSqNorms, oracle.perSample)).toBeLessThan(1e-12);
    expect(r.batchGradSqNorm).toBeUndefined();
    const withBatch = await new GradientEnergyProbe(model, backend, { loss: squared, batchGradient: true }).measure(all, x, y);
    expect(maxRelDiff(withBatch.perSampleSqNorms, oracle.perSample)).toBeLessThan(1e-12);
    expect(Math.abs(withBatch.batchGradSqNorm - oracle.batchSq) / oracle.batchSq).toBeLessThan(1e-12);
  });

  it('the free Rayleigh quotient n²‖∇R̂‖²/‖r‖² equals rᵀΘr/‖r‖² and lies in [λ_min, λ_max] of the batch NTK', async () => {
    const { model, params, x, n } = mlpCase({ sizes: [3, 9, 3], activation: 'tanh' }, 5);
    const { labels } = oneHotRows(n, 3, 9);
    const r = await new GradientEnergyProbe(model, backend, { loss: { ir: { loss: softmaxCrossEntropy } } as never, batchGradient: true }).measure(params, x, labels);
    const K = await new StructureMatrixProbe(model, backend).ntk(params, x);
    const N = n * 3;
    let quad = 0;
    for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) quad += r.residuals[i]! * K.data[i * N + j]! * r.residuals[j]!;
    expect(r.rayleighQuotient!).toBeCloseTo(quad / r.residualSqNorm, 10);
    const eig = symmetricEigen(K).values;
    expect(eig[0]!).toBeGreaterThan(0); // P = 39 ≥ n·d = 15: a real lower bound
    expect(r.rayleighQuotient!).toBeGreaterThanOrEqual(eig[0]!);
    expect(r.rayleighQuotient!).toBeLessThanOrEqual(eig[N - 1]!);
    expect(freeRayleighQuotient(1, 0, 3)).toBeUndefined();
  });

  it('per-sample sandwich λ_min(A_i)‖r_i‖² ≤ ‖g_i‖² ≤ λ_max(A_i)‖r_i‖² with an FY squared loss (r = η − y)', async () => {
    const { model, params, x, n } = mlpCase({ sizes: [4, 6, 3], activation: 'tanh' }, 8);
    const y = new Rng(4).normals(n * 3);
    const g = await new GradientEnergyProbe(model, backend, { loss: squared }).measure(params, x, y);
    const s = summarizeBlocks(await new StructureMatrixProbe(model, backend).blocks(params, x));
    for (let i = 0; i < n; i++) {
      expect(g.perSampleSqNorms[i]!).toBeGreaterThanOrEqual(s.lambdaMin[i]! * g.residualSqNorms[i]! * (1 - 1e-12));
      expect(g.perSampleSqNorms[i]!).toBeLessThanOrEqual(s.lambdaMax[i]! * g.residualSqNorms[i]! * (1 + 1e-12));
    }
  });

  it('rejects bad targets with a clear message', async () => {
    const { model, params, x } = mlpCase({ sizes: [3, 4, 2] }, 2);
    const probe = new GradientEnergyProbe(model, backend);
    await expect(probe.measure(params, x, Int32Array.of(0, 5))).rejects.toThrow(/label 1 is 5, outside the classes 0..1/);
    await expect(probe.measure(params, x, new Float64Array(3))).rejects.toThrow(/expected n·d = 4/);
  });
});
