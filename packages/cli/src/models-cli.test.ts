import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initParams, LeNet, ReferenceBackend, ResNet, Rng, StructureMatrixProbe, Vit, type Model } from '@clt/core';
import { backendFor } from './backends.js';
import { classCounts, loadDataset, NORMALIZATION } from './data/index.js';
import { clt } from './test-cli.js';

const out = mkdtempSync(join(tmpdir(), 'clt-models-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** A fake CIFAR-10 binary folder: `perFile` records per file, label i % 10, pixel bytes from a seeded Rng. */
function fakeCifar10(dir: string, perFile: number): Uint8Array[] {
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(9), written: Uint8Array[] = [];
  for (const f of ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin']) {
    const b = new Uint8Array(perFile * 3073);
    for (let r = 0; r < perFile; r++) {
      b[r * 3073] = r % 10;
      for (let p = 1; p < 3073; p++) b[r * 3073 + p] = Math.floor(rng.uniform() * 256);
    }
    writeFileSync(join(dir, f), b);
    written.push(b);
  }
  return written;
}

describe('CIFAR from a user folder (no package ships it)', () => {
  const dir = join(out, 'cifar', 'cifar-10-batches-bin');
  const files = fakeCifar10(dir, 20);

  it('reads the binary layout: official split, [3, 32, 32] rows, labels, standard normalisation by default', () => {
    const ds = loadDataset('cifar10', { dataPath: join(out, 'cifar') }); // the parent folder works too
    expect([ds.train.n, ds.test.n]).toEqual([100, 20]);
    expect(ds.train.image).toEqual([3, 32, 32]);
    expect(ds.train.dim).toBe(3072);
    expect(ds.info.normalization).toBe('standard');
    expect(Array.from(classCounts(ds.train))).toEqual(new Array(10).fill(10));
    // The first test row, recomputed from the bytes: (byte/255 − mean_c)/std_c, channel planes in order.
    const raw = loadDataset('cifar10', { dataPath: dir, normalize: 'none' });
    const bytes = files[5]!, { mean, std } = NORMALIZATION.cifar10!;
    const row = Array.from({ length: 20 }, (_, r) => r).find((r) => {
      for (let p = 0; p < 3072; p++) if (Math.abs(raw.test.x[p]! - bytes[r * 3073 + 1 + p]! / 255) > 1e-7) return false;
      return true;
    });
    expect(row).toBeDefined();
    expect(raw.test.labels[0]).toBe(row! % 10);
    for (const p of [0, 1500, 2100, 3071]) {
      const c = Math.floor(p / 1024);
      expect(ds.test.x[p]).toBeCloseTo((bytes[row! * 3073 + 1 + p]! / 255 - mean[c]!) / std[c]!, 5);
    }
  });

  it('--limit keeps a stratified 5 : 1 share; --mini draws k training rows with the seed', () => {
    const ds = loadDataset('cifar10', { dataPath: dir, limit: 60 });
    expect([ds.train.n, ds.test.n]).toEqual([50, 10]);
    const a = loadDataset('cifar10', { dataPath: dir, mini: 16, seed: 1 }), b = loadDataset('cifar10', { dataPath: dir, mini: 16, seed: 1 }), c = loadDataset('cifar10', { dataPath: dir, mini: 16, seed: 2 });
    expect(a.train.n).toBe(16);
    expect(a.test.n).toBe(20);
    expect(a.train.x).toEqual(b.train.x);
    expect(a.train.x).not.toEqual(c.train.x);
    expect(a.info.mini).toBe(16);
  });

  it('missing files: a clt error that says where to put them', async () => {
    const r = await clt('train', '--data', 'cifar100', '--model', 'lenet', '--out', out, '--name', 'nocifar');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--data cifar100 needs --data-path: cifar100 is not shipped by any npm package: download the binary version \(cifar-100-binary\.tar\.gz.*unpack it, and pass the folder with --data-path DIR \(DIR holds train\.bin, test\.bin/);
    const r2 = await clt('train', '--data', 'cifar10', '--data-path', out, '--out', out, '--name', 'nocifar');
    expect(r2.stderr).toMatch(/does not hold the cifar10 binary files \(missing data_batch_1\.bin.*\)/);
  });
});

describe('mini sets and normalisation on the shipped sets', () => {
  it('MNIST: standard normalisation only when asked (MLP runs unchanged); --mini 16 from any set', () => {
    const plain = loadDataset('mnist', { seed: 0 }), norm = loadDataset('mnist', { seed: 0, normalize: 'standard' });
    expect(plain.info.normalization).toBeUndefined();
    expect(norm.train.x[100]).toBeCloseTo((plain.train.x[100]! - 0.1307) / 0.3081, 6);
    expect(plain.train.image).toEqual([1, 28, 28]);
    const mini = loadDataset('synthetic:gaussian?n=200&dim=4&classes=2', { mini: 16 });
    expect(mini.train.n).toBe(16);
    expect(() => loadDataset('synthetic:gaussian?n=200&dim=4', { normalize: 'standard' })).toThrow(/--normalize standard is defined for mnist, fashion-mnist, cifar10, cifar100, not for synthetic/);
    expect(() => loadDataset('mnist', { mini: 9000 })).toThrow(new RegExp(`--mini 9000 asks for more rows than the ${plain.train.n} training rows of mnist`));
  });
});

describe('clt train/probe --model', () => {
  // The default backend (ONNX Runtime CPU, float32): the reference interpreter takes minutes for a LeNet step graph.
  const common = ['--data', 'mnist', '--limit', '200', '--batch', '16', '--no-report', '--json', '--out', out];

  it.each([
    ['lenet', ['--model', 'lenet', '--steps', '12', '--probe-size', '4', '--probe-every', '6', '--budget', '1']],
    ['resnet18', ['--model', 'resnet18', '--width', '2', '--blocks', '1,1', '--steps', '6', '--no-probes']],
    ['vit', ['--model', 'vit', '--width', '8', '--heads', '2', '--vit-depth', '1', '--patch', '7', '--steps', '6', '--no-probes']],
  ])('%s trains, records its model, resumes into the same model and is probed (LeNet layer-wise, the others by NTK–vector products)', async (name, extra) => {
    const r = await clt('train', ...common, ...extra, '--name', name);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { model: { kind: string }; trainLoss: number; steps: number; sandwich: { probes: number } };
    expect(s.model.kind).toBe(name === 'resnet18' ? 'resnet' : name);
    expect(Number.isFinite(s.trainLoss)).toBe(true);
    if (name === 'lenet') expect(s.sandwich.probes).toBeGreaterThan(0);
    // --resume on the finished run rebuilds the model from the options and checks it against the checkpoint's.
    const again = await clt('train', ...common, ...extra, '--name', name, '--resume');
    expect(again.code, again.stderr).toBe(0);
    // (--ntk would add the dense NTK by Jacobian contraction: core's image-models tests check it against NTK–vector products.)
    const p = await clt('probe', '--run', join(out, name), '--samples', '3', '--json');
    expect(p.code, p.stderr).toBe(0);
    const pr = JSON.parse(p.stdout) as { algorithm: string; model: { kind: string }; lambdaMaxStar: number };
    expect(pr.algorithm).toBe(name === 'lenet' ? 'layerwise-gram' : 'ntk-vp');
    expect(pr.model).toEqual(JSON.parse(readFileSync(join(out, name, 'summary.json'), 'utf8')).model);
    expect(pr.lambdaMaxStar).toBeGreaterThan(0);
  }, 300_000);

  it('refuses options the chosen model ignores, image models on flat data, and layer-wise Gram on a model with norms; LeNet takes it', async () => {
    const a = await clt('train', '--model', 'lenet', '--hidden', '64', '--out', out, '--name', 'x1');
    expect(a.stderr).toMatch(/--hidden applies to --model mlp, not lenet; drop it or choose that model/);
    const b = await clt('train', '--model', 'mlp', '--patch', '4', '--out', out, '--name', 'x2');
    expect(b.stderr).toMatch(/--patch applies to --model vit, not mlp/);
    const c = await clt('train', '--model', 'vit', '--data', 'synthetic:gaussian?n=64&dim=4', '--out', out, '--name', 'x3');
    expect(c.stderr).toMatch(/--model vit needs an image data set .* has 4 flat features/);
    const d = await clt('probe', '--model', 'resnet18', '--width', '2', '--blocks', '1,1', '--algorithm', 'layerwise-gram', '--samples', '2', '--backend', 'reference');
    expect(d.stderr).toMatch(/layerwise-gram needs every parameter in a dense or conv layer, but \d+ of resnet's are not \(\[stem_n_g, stem_n_b/);
    const l = await clt('probe', '--model', 'lenet', '--algorithm', 'layerwise-gram', '--samples', '3', '--ntk', '--json');
    expect(l.code, l.stderr).toBe(0);
    const lp = JSON.parse(l.stdout) as { algorithm: string; ntkAlgorithm: string; ntk: { size: number; largest: number } };
    expect([lp.algorithm, lp.ntkAlgorithm, lp.ntk.size]).toEqual(['layerwise-gram', 'layerwise-gram', 30]);
    expect(lp.ntk.largest).toBeGreaterThan(0);
    const e = await clt('train', '--model', 'resnet18', '--blocks', '0', '--out', out, '--name', 'x4');
    expect(e.stderr).toMatch(/--blocks must be a block count k/);
  });
});

/** max |a − b| / max |b|: the error relative to the matrix's scale. */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let scale = 0, diff = 0;
  for (let i = 0; i < b.length; i++) { scale = Math.max(scale, Math.abs(b[i]!)); diff = Math.max(diff, Math.abs(a[i]! - b[i]!)); }
  return diff / scale;
}

// The NTK's algorithms on the default backend (ONNX Runtime CPU, float32) against the float64
// reference (core's image-models tests check the reference algorithms against each other to 1e-10).
// Small widths keep ONNX Runtime's graph optimisation short; n = 16 samples, 10 classes: NTK 160 × 160.
describe('the NTK of each image model on ONNX Runtime float32 (n = 16, 160 × 160)', () => {
  const models: [string, () => Model][] = [
    ['lenet', () => new LeNet({ input: [1, 12, 12], classes: 10, channels: [2, 3], hidden: [6, 5] })],
    ['resnet', () => new ResNet({ input: [1, 8, 8], classes: 10, width: 2, blocks: [1, 1] })],
    ['resnet (no skips)', () => new ResNet({ input: [1, 8, 8], classes: 10, width: 2, blocks: [1, 1], residual: false })],
    ['vit', () => new Vit({ input: [1, 8, 8], classes: 10, patch: 4, width: 8, depth: 1, heads: 2, mlpRatio: 2, activation: 'gelu' })],
  ];
  it.each(models)('%s: Jacobian contraction, NTK–vector products (and layer-wise for LeNet) match the float64 reference to 1e-4 of the NTK\'s scale; the blocks too', async (name, make) => {
    const model = make(), rng = new Rng(7), params = initParams(model, rng), n = 16;
    for (const p of model.params) if (/_b$/.test(p.name)) params[p.name] = rng.normals(params[p.name]!.length, 0.2);
    const x = rng.normals(n * model.inputDim);
    const ref = await new StructureMatrixProbe(model, new ReferenceBackend(), { algorithm: 'jacobian-contraction' }).ntk(params, x);
    expect(ref.size).toBe(160);
    const ort = await backendFor('onnxruntime-cpu');
    const jc = new StructureMatrixProbe(model, ort, { algorithm: 'jacobian-contraction', dtype: 'f32' });
    const vp = new StructureMatrixProbe(model, ort, { algorithm: 'ntk-vp', dtype: 'f32', block: 40 });
    try {
      const a = await jc.ntk(params, x), b = await vp.ntk(params, x);
      // float32 (ε ≈ 6e-8) accumulated over ≲ 10³ terms per entry: 1e-4 of the scale leaves room, and
      // a wrong entry (a dropped term, a transposed block) is off by O(1).
      expect(relDiff(a.data, ref.data)).toBeLessThan(1e-4);
      expect(relDiff(b.data, ref.data)).toBeLessThan(1e-4);
      expect(relDiff(a.data, ref.data)).toBeGreaterThan(0); // really computed in float32, not a copy of the reference
      const blocks = await vp.blocks(params, x), N = n * 10;
      const diag = new Float64Array(n * 100);
      for (let i = 0; i < n; i++) for (let k = 0; k < 10; k++) for (let m = 0; m < 10; m++) diag[(i * 10 + k) * 10 + m] = ref.data[(i * 10 + k) * N + i * 10 + m]!;
      expect(relDiff(blocks.data, diag)).toBeLessThan(1e-4);
      if (name === 'lenet') {
        // Conv and dense taps cover LeNet: the layer-wise NTK (row-block assembly) and its blocks, in float32.
        const lw = new StructureMatrixProbe(model, ort, { algorithm: 'layerwise-gram', dtype: 'f32' });
        try {
          const c = await lw.ntk(params, x);
          expect(relDiff(c.data, ref.data)).toBeLessThan(1e-4);
          expect(relDiff(c.data, ref.data)).toBeGreaterThan(0);
          expect(relDiff((await lw.blocks(params, x)).data, diag)).toBeLessThan(1e-4);
        } finally {
          await lw.dispose();
        }
      }
    } finally {
      await jc.dispose(); await vp.dispose();
    }
  }, 300_000);
});
