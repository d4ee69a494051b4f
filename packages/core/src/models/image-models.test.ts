import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../reference/backend.js';
import { interpret } from '../reference/interpret.js';
import { StructureMatrixProbe, chooseGeneralAlgorithm } from '../probes/structure-matrix.js';
import { uncoveredParams } from '../probes/layerwise-gram.js';
import { biasedCase, finiteDifferenceJacobians, forwardGraph, gramOf, maxRelDiff } from '../probes/test-fixtures.js';
import { modelFromDescription } from './from-description.js';
import { LeNet } from './lenet.js';
import { parameterCount, parameterCounts, type Model } from './model.js';
import { ResNet } from './resnet.js';
import { Vit } from './vit.js';

const backend = new ReferenceBackend();

/** Seeded parameters with non-zero biases and norm offsets, so every term of the forward pass is exercised. */
const caseOf = biasedCase;

function forward(model: Model, params: Record<string, Float64Array>, x: Float64Array, n: number): Float64Array {
  return interpret(forwardGraph(model, n), { ...params, x }).f as Float64Array;
}

describe('parameter counts (closed forms)', () => {
  it('LeNet-5: 61,706 on 28×28×1 and 62,006 on 32×32×3 (the 1998 layer sizes)', () => {
    // conv 6·(C·25)+6, conv 16·150+16, dense 400·120+120, 120·84+84, 84·10+10
    const count = (c: number) => 6 * c * 25 + 6 + 16 * 150 + 16 + 400 * 120 + 120 + 120 * 84 + 84 + 84 * 10 + 10;
    expect(parameterCount(new LeNet({ input: [1, 28, 28], classes: 10 }))).toBe(count(1));
    expect(count(1)).toBe(61_706);
    expect(parameterCount(new LeNet({ input: [3, 32, 32], classes: 10 }))).toBe(62_006);
  });

  it('ResNet-18 (width 64, CIFAR-10) has the BatchNorm ResNet-18 count 11,173,962; without residuals the 1×1 shortcuts go', () => {
    const m = new ResNet({ input: [3, 32, 32], classes: 10 });
    expect(parameterCounts(m)).toEqual({ total: 11_173_962, effective: 11_173_962, masked: 0 });
    // The three projection shortcuts: conv1×1 (in·out) + γ, β (2·out) each.
    const shortcuts = (64 * 128 + 256) + (128 * 256 + 512) + (256 * 512 + 1024);
    expect(parameterCount(new ResNet({ input: [3, 32, 32], classes: 10, residual: false }))).toBe(11_173_962 - shortcuts);
  });

  it('ViT: patch embedding + position + depth·(12D² + 13D) + head, by the formula', () => {
    const D = 64, T = 64, C = 3, p = 4, r = 2, depth = 4, classes = 10;
    const block = 2 * D + 3 * D * D + 3 * D + D * D + D + 2 * D + r * D * D + r * D + r * D * D + D;
    const want = D * C * p * p + D + T * D + depth * block + 2 * D + classes * D + classes;
    expect(parameterCount(new Vit({ input: [3, 32, 32], classes: 10 }))).toBe(want);
  });
});

describe('model options', () => {
  it('describe() rebuilds the same model (same parameter names and shapes)', () => {
    for (const m of [new Vit({ input: [1, 28, 28], classes: 10, patch: 7, width: 32, depth: 2, heads: 2 }), new LeNet({ input: [3, 32, 32], classes: 100, pool: 'avg' }), new ResNet({ input: [1, 28, 28], classes: 10, width: 8, blocks: [3, 2], residual: false })]) {
      const again = modelFromDescription(JSON.parse(JSON.stringify(m.describe())));
      expect(again.kind).toBe(m.kind);
      expect(again.params.map((p) => [p.name, p.shape])).toEqual(m.params.map((p) => [p.name, p.shape]));
      expect(again.describe()).toEqual(m.describe());
    }
    expect(() => modelFromDescription({ kind: 'alexnet' })).toThrow(/unknown model kind "alexnet"; this version of clt knows mlp, lenet, resnet, vit/);
  });

  it('refuses bad shapes with messages that say what to change', () => {
    expect(() => new Vit({ input: [3, 32, 32], classes: 10, patch: 5 })).toThrow(/not a whole number of 5×5 patches/);
    expect(() => new Vit({ input: [3, 32, 32], classes: 10, width: 30, heads: 4 })).toThrow(/width 30 is not divisible by heads 4/);
    expect(() => new LeNet({ input: [1, 8, 8], classes: 10 })).toThrow(/too small .* use at least 12×12/);
    expect(() => new ResNet({ input: [3, 32, 32], classes: 10, blocks: [0, 0] })).toThrow(/blocks must list/);
    expect(() => new LeNet({ input: [784] as unknown as [number, number, number], classes: 10 })).toThrow(/\[channels, height, width\]/);
  });

  it('rank-2 dense layers and convolutions are taps: the layer-wise Gram algorithm covers all of LeNet, not norms or token-wise layers', () => {
    const vit = uncoveredParams(new Vit({ input: [1, 8, 8], classes: 3, width: 8, depth: 1, heads: 2 }));
    expect(vit).not.toContain('head_w');
    expect(vit).not.toContain('patch_w'); // the patch embedding is a strided conv tap
    expect(vit).toContain('l0_fc1_w');
    expect(uncoveredParams(new LeNet({ input: [1, 12, 12], classes: 3 }))).toEqual([]);
    expect(uncoveredParams(new LeNet({ input: [1, 12, 12], classes: 3 }), { denseOnly: true })).toEqual(['conv0_w', 'conv0_b', 'conv1_w', 'conv1_b']);
    const resnet = uncoveredParams(new ResNet({ input: [1, 8, 8], classes: 3, width: 2, blocks: [1, 1] }));
    expect(resnet).toContain('stem_n_g');
    expect(resnet.filter((p) => p.endsWith('_w'))).toEqual([]);
  });
});

// Tiny shapes so that the float64 reference interpreter is fast: n = 16 samples, 10 outputs, NTK 160 × 160.
const tiny = {
  vit: () => new Vit({ input: [1, 8, 8], classes: 10, patch: 4, width: 8, depth: 1, heads: 2, mlpRatio: 2 }),
  lenet: () => new LeNet({ input: [1, 12, 12], classes: 10, channels: [2, 3], hidden: [6, 5], activation: 'tanh', pool: 'avg' }),
  resnet: () => new ResNet({ input: [1, 6, 6], classes: 10, width: 2, blocks: [1, 1], activation: 'tanh' }),
  'resnet (no skips)': () => new ResNet({ input: [1, 6, 6], classes: 10, width: 2, blocks: [1, 1], activation: 'tanh', residual: false }),
};

describe.each(Object.entries(tiny))('%s on the reference backend (float64)', (name, make) => {
  it(`rows are independent: output i depends on input i alone (no batch statistics)`, () => {
    const { model, params, x } = caseOf(make(), 4);
    const all = forward(model, params, x, 4), w = model.inputDim, d = model.outputDim;
    const x2 = Float64Array.from(x);
    for (let t = 0; t < w; t++) x2[2 * w + t] = 0.5 - x2[2 * w + t]!; // change sample 2 only
    const other = forward(model, params, x2, 4);
    for (const i of [0, 1, 3]) for (let k = 0; k < d; k++) expect(other[i * d + k]).toBe(all[i * d + k]);
    expect(maxRelDiff(other.subarray(2 * d, 3 * d), all.subarray(2 * d, 3 * d))).toBeGreaterThan(1e-3);
  });

  it(`per-sample Jacobians match central differences (2 samples)`, async () => {
    const { model, params, x } = caseOf(make(), 2, 3);
    const probe = new StructureMatrixProbe(model, backend);
    const J = await probe.jacobians(params, x);
    expect(maxRelDiff(J.data, finiteDifferenceJacobians(model, params, x, 2))).toBeLessThan(1e-7);
  });

  it(`the NTK (160 × 160) and the blocks by Jacobian contraction and by NTK–vector products agree to float64 round-off; layer-wise Gram agrees (LeNet) or is refused`, async () => {
    const { model, params, x, n } = caseOf(make(), 16, 5);
    const auto = new StructureMatrixProbe(model, backend);
    expect(auto.algorithm).toBe('jacobian-contraction');
    const jc = await auto.ntk(params, x);
    expect(jc.size).toBe(160);
    const vp = await new StructureMatrixProbe(model, backend, { algorithm: 'ntk-vp', block: 40 }).ntk(params, x);
    expect(maxRelDiff(vp.data, jc.data)).toBeLessThan(1e-10);
    // Independent check of the contraction: the Gram of the per-sample Jacobians.
    const J = await auto.jacobians(params, x);
    expect(maxRelDiff(gramOf(J.data, n * 10, J.P), jc.data)).toBeLessThan(1e-10);
    // Per-sample blocks: the auto choice computes them by NTK–vector products (small graphs); contraction agrees.
    expect(auto.blocksAlgorithm).toBe('ntk-vp');
    const blocks = await auto.blocks(params, x);
    expect(blocks.algorithm).toBe('ntk-vp');
    const jcBlocks = await new StructureMatrixProbe(model, backend, { algorithm: 'jacobian-contraction' }).blocks(params, x);
    expect(maxRelDiff(blocks.data, jcBlocks.data)).toBeLessThan(1e-10);
    const N = n * 10;
    for (let i = 0; i < n; i++) for (let k = 0; k < 10; k++) for (let m = 0; m < 10; m++)
      expect(Math.abs(blocks.data[(i * 10 + k) * 10 + m]! - jc.data[(i * 10 + k) * N + i * 10 + m]!)).toBeLessThan(1e-10 * Math.abs(jc.data[(i * 10 + k) * N + i * 10 + k]!));
    if (name === 'lenet') {
      const lw = new StructureMatrixProbe(model, backend, { algorithm: 'layerwise-gram' });
      expect(maxRelDiff((await lw.ntk(params, x)).data, jc.data)).toBeLessThan(1e-10);
      expect(maxRelDiff((await lw.blocks(params, x)).data, jcBlocks.data)).toBeLessThan(1e-10);
    } else {
      expect(() => new StructureMatrixProbe(model, backend, { algorithm: 'layerwise-gram' })).toThrow(new RegExp(`layerwise-gram needs every parameter in a dense or conv layer, but \\d+ of ${model.kind}'s are not .*use 'jacobian-contraction' or 'ntk-vp'`));
    }
  });
});

describe('algorithm choice by cost', () => {
  it('Jacobian contraction while one sample\'s d × P Jacobian fits a quarter of the budget, else NTK–vector products', () => {
    const m = new ResNet({ input: [3, 32, 32], classes: 10 }); // 11.2 M parameters: 447 MB of f32 Jacobian per sample
    expect(chooseGeneralAlgorithm(m, 'f32', 1 << 30)).toBe('ntk-vp');
    expect(chooseGeneralAlgorithm(m, 'f32', 4 * 2 ** 30)).toBe('jacobian-contraction');
    expect(new StructureMatrixProbe(m, backend, { memoryBudget: 1 << 30, dtype: 'f32' }).algorithm).toBe('ntk-vp');
    // LeNet-5: every parameter in a dense or conv tap, and the layer-wise algorithm pays (conv-taps.test.ts).
    expect(new StructureMatrixProbe(new LeNet({ input: [1, 28, 28], classes: 10 }), backend).algorithm).toBe('layerwise-gram');
    expect(new StructureMatrixProbe(new Vit({ input: [1, 28, 28], classes: 10, patch: 7 }), backend).algorithm).toBe('jacobian-contraction');
  });
});
