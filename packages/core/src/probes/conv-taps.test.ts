import { describe, expect, it } from 'vitest';
import { LeNet } from '../models/lenet.js';
import type { Model } from '../models/model.js';
import { ResNet } from '../models/resnet.js';
import { ReferenceBackend } from '../reference/backend.js';
import { assembleLayerwiseNtk, layerwiseGramGraph, layerwisePlan, uncoveredParams } from './layerwise-gram.js';
import { ProbeRuntime } from './runtime.js';
import { chooseCoveredAlgorithm, ntkFormingCost, StructureMatrixProbe } from './structure-matrix.js';
import { biasedCase, ConvNet, gramOf, maxRelDiff } from './test-fixtures.js';

const backend = new ReferenceBackend();

const caseOf = biasedCase;

/** The oracle: per-sample Jacobians by VJPs (reference backend, float64), contracted here: J Jᵀ [N, N]. */
async function jjt(model: Model, params: Record<string, Float64Array>, x: Float64Array) {
  const J = await new StructureMatrixProbe(model, backend, { algorithm: 'jacobian-contraction', chunk: 4 }).jacobians(params, x);
  return { K: gramOf(J.data, J.n * J.d, J.P), n: J.n, d: J.d };
}

/** Diagonal blocks [n, d, d], traced [n, n] and output blocks [d, n, n] of a dense NTK. */
function partsOf(K: Float64Array, n: number, d: number) {
  const N = n * d, blocks = new Float64Array(n * d * d), traced = new Float64Array(n * n), outputs = new Float64Array(d * n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < d; k++) {
    for (let m = 0; m < d; m++) if (i === j) blocks[(i * d + k) * d + m] = K[(i * d + k) * N + i * d + m]!;
    const v = K[(i * d + k) * N + j * d + k]!;
    traced[i * n + j]! += v;
    outputs[(k * n + i) * n + j] = v;
  }
  return { blocks, traced, outputs };
}

const convNets: [string, () => ConvNet][] = [
  ['stride 2, pad 1, groups 2, bias → dilation 2, asymmetric pads, no bias', () => new ConvNet([2, 7, 7], [
    { out: 4, kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], groups: 2 },
    { out: 3, kernel: [2, 2], pads: [0, 1, 1, 0], dilations: [2, 2], bias: false },
  ], 3)],
  ['non-square kernel, strides (2, 1), depthwise (groups = channels = 3, 2 outputs each)', () => new ConvNet([3, 6, 5], [
    { out: 6, kernel: [3, 2], strides: [2, 1], pads: [1, 0, 0, 1], groups: 3 },
    { out: 2, kernel: [1, 1], strides: [2, 2] },
  ], 4)],
];

describe('conv taps: the layer-wise NTK of conv nets equals J Jᵀ of an independent dense Jacobian', () => {
  it.each(convNets)('%s: full NTK (graph and row-block assembly), blocks, traced and output blocks to 1e-10', async (_name, make) => {
    const model = make();
    expect(uncoveredParams(model)).toEqual([]);
    expect(uncoveredParams(model, { denseOnly: true }).length).toBeGreaterThan(0);
    expect(layerwisePlan(model).map((t) => t.kind)).toEqual(['conv', 'conv', 'dense']);
    const { params, x, n } = caseOf(model, 5, 3), d = model.outputDim, N = n * d;
    const { K } = await jjt(model, params, x);
    const rt = new ProbeRuntime(backend);
    const run = async (mode: 'full' | 'blocks' | 'traced' | 'outputs') => {
      const g = layerwiseGramGraph(model, n, 'f64', mode);
      const out = await rt.run(`t:${mode}`, () => g, { ...rt.paramInputs(model, params), x: rt.input('x', x, [n, model.inputDim]) });
      return out[mode === 'full' ? 'K' : mode]!;
    };
    expect(maxRelDiff(await run('full'), K)).toBeLessThan(1e-10);
    const parts = partsOf(K, n, d);
    expect(maxRelDiff(await run('blocks'), parts.blocks)).toBeLessThan(1e-10);
    expect(maxRelDiff(await run('traced'), parts.traced)).toBeLessThan(1e-10);
    expect(maxRelDiff(await run('outputs'), parts.outputs)).toBeLessThan(1e-10);
    // Row blocks of 2 samples, 1 sample, all at once; groupBytes 1: a separate parts graph and a run per block.
    for (const [blockRows, groupBytes] of [[2 * d, undefined], [1, 1], [1000, undefined]] as const) {
      const out = new Float64Array(N * N);
      await assembleLayerwiseNtk(rt, model, params, x, n, out, blockRows, groupBytes);
      expect(maxRelDiff(out, K)).toBeLessThan(1e-10);
      for (let r = 0; r < N; r++) for (let s = 0; s < r; s++) expect(out[r * N + s]).toBe(out[s * N + r]);
    }
  });
});

describe('LeNet is covered by dense and conv taps', () => {
  const lenet = () => new LeNet({ input: [1, 12, 12], classes: 10, channels: [2, 3], hidden: [6, 5], activation: 'tanh' });

  it('the three algorithms agree at n = 16 (NTK 160 × 160) to float64 round-off, and layer-wise equals J Jᵀ', async () => {
    const { model, params, x, n } = caseOf(lenet(), 16, 5);
    expect(uncoveredParams(model)).toEqual([]);
    // This toy LeNet (324 parameters) pays for the conv Jacobians only from a few samples on, so the
    // auto choice (paying at every n) keeps Jacobian contraction; LeNet-5 itself gets layer-wise (below).
    expect(new StructureMatrixProbe(model, backend).algorithm).toBe('jacobian-contraction');
    const auto = new StructureMatrixProbe(model, backend, { algorithm: 'layerwise-gram' });
    expect(auto.blocksAlgorithm).toBe('layerwise-gram');
    const lw = await auto.ntk(params, x);
    expect(lw.size).toBe(160);
    const { K } = await jjt(model, params, x);
    expect(maxRelDiff(lw.data, K)).toBeLessThan(1e-10);
    const jc = await new StructureMatrixProbe(model, backend, { algorithm: 'jacobian-contraction' }).ntk(params, x);
    const vp = await new StructureMatrixProbe(model, backend, { algorithm: 'ntk-vp', block: 40 }).ntk(params, x);
    expect(maxRelDiff(jc.data, lw.data)).toBeLessThan(1e-10);
    expect(maxRelDiff(vp.data, lw.data)).toBeLessThan(1e-10);
    const parts = partsOf(K, n, 10);
    expect(maxRelDiff((await auto.blocks(params, x)).data, parts.blocks)).toBeLessThan(1e-10);
    expect(maxRelDiff((await auto.tracedNtk(params, x)).data, parts.traced)).toBeLessThan(1e-10);
  });

  it('max pooling and relu (the defaults) at 1×28×28 with few channels: layer-wise equals J Jᵀ', async () => {
    const { model, params, x } = caseOf(new LeNet({ input: [1, 28, 28], classes: 3, channels: [2, 2], hidden: [4, 3] }), 3, 2);
    const { K } = await jjt(model, params, x);
    expect(maxRelDiff((await new StructureMatrixProbe(model, backend).ntk(params, x)).data, K)).toBeLessThan(1e-10);
  });

  it('the stated cost picks layer-wise for LeNet-5 (far below Jacobian contraction) but not for a conv net that is nearly all convolution', () => {
    const m = new LeNet({ input: [1, 28, 28], classes: 10 });
    const plan = layerwisePlan(m), P = 61_706;
    const c = { n: 16, d: 10, parameterCount: P, tapWidth: plan.reduce((s, t) => s + t.width, 0), convJacobianFlops: plan.reduce((s, t) => s + t.jacobianFlops, 0) };
    expect(c.tapWidth).toBe(156 + 2416 + 120 + 84 + 10);
    expect(ntkFormingCost('layerwise-gram', c)).toBeLessThan(ntkFormingCost('jacobian-contraction', c) / 5);
    expect(chooseCoveredAlgorithm(m, 'f32', 2 ** 30)).toBe('layerwise-gram');
    const probe = new StructureMatrixProbe(m, backend);
    expect([probe.algorithm, probe.blocksAlgorithm]).toEqual(['layerwise-gram', 'layerwise-gram']);
    const convHeavy = new ConvNet([16, 8, 8], [{ out: 32, kernel: [3, 3], pads: [1, 1, 1, 1] }, { out: 32, kernel: [3, 3], pads: [1, 1, 1, 1] }], 2);
    expect(uncoveredParams(convHeavy)).toEqual([]);
    expect(chooseCoveredAlgorithm(convHeavy, 'f32', 2 ** 30)).toBe('jacobian-contraction');
    expect(new StructureMatrixProbe(convHeavy, backend).algorithm).toBe('jacobian-contraction');
    // ResNet's norm gains and shifts are in no tap: it stays with the general choice.
    const r = new ResNet({ input: [1, 8, 8], classes: 3, width: 2, blocks: [1] });
    expect(uncoveredParams(r).every((p) => /_n\d?_[gb]$|_sn_[gb]$|stem_n_[gb]$/.test(p))).toBe(true);
    expect(new StructureMatrixProbe(r, backend).algorithm).toBe('jacobian-contraction');
  });
});
