import { beforeAll, describe, expect, it } from 'vitest';
import type { DeviceTensor } from '../backend/contract.js';
import { lanczos } from '../estimators/lanczos.js';
import { lobpcg } from '../estimators/lobpcg.js';
import { symmetricEigen } from '../estimators/symmetric-eigen.js';
import { denseOperator } from '../linop/dense.js';
import { initParams } from '../models/model.js';
import { Mlp } from '../models/mlp.js';
import { ReferenceBackend } from '../reference/backend.js';
import { sgdStepGraph } from '../train/sgd-step.js';
import { Rng } from '../util/random.js';
import { GradientEnergyProbe } from './gradient-energy.js';
import { loadMnist } from './mnist-fixture.js';
import { StructureMatrixProbe } from './structure-matrix.js';
import { summarizeBlocks } from './structure-summary.js';

/**
 * A 784-32-10 MLP trained by plain SGD on real MNIST digits with the reference backend, then
 * probed on held-out digits: the theory's per-sample sandwich must hold for every sample.
 */
describe('trained MLP on real MNIST digits', () => {
  const backend = new ReferenceBackend();
  const model = new Mlp({ sizes: [784, 32, 10], activation: 'relu' });
  const train = 512, probeN = 200, batch = 32, steps = 300;
  const data = loadMnist(train + probeN, 2024);
  const probeX = data.x.subarray(train * 784), probeLabels = data.labels.subarray(train);
  const params: Record<string, Float64Array> = {};
  let accuracy = 0;

  beforeAll(async () => {
    const step = await backend.compile(sgdStepGraph(model, { batch, dtype: 'f64' }));
    let dev: Record<string, DeviceTensor> = {};
    for (const [k, v] of Object.entries(initParams(model, new Rng(7)))) dev[k] = backend.upload({ data: v, shape: model.params.find((p) => p.name === k)!.shape, dtype: 'f64' });
    const rng = new Rng(11);
    let order = rng.permutation(train), pos = 0;
    const xb = new Float64Array(batch * 784), yb = new Int32Array(batch);
    let correct = 0;
    for (let s = 0; s < steps; s++) {
      if (pos + batch > train) { order = rng.permutation(train); pos = 0; }
      for (let j = 0; j < batch; j++) { const i = order[pos++]!; xb.set(data.x.subarray(i * 784, (i + 1) * 784), j * 784); yb[j] = data.labels[i]!; }
      const out = await step.run({ ...dev, x: { data: xb, shape: [batch, 784], dtype: 'f64' }, y: { data: yb, shape: [batch], dtype: 'i32' }, lr: { data: Float64Array.of(0.1), shape: [], dtype: 'f64' } });
      dev = Object.fromEntries(model.params.map((p) => [p.name, out[`new_${p.name}`]!]));
      if (s >= steps - 50) correct += (await out.correct!.download())[0]!;
    }
    accuracy = correct / (50 * batch);
    for (const p of model.params) params[p.name] = Float64Array.from(await dev[p.name]!.download());
  }, 120_000);

  it('trains (running accuracy over the last 50 steps > 70%)', () => {
    expect(accuracy).toBeGreaterThan(0.7);
  });

  it('sandwich λ_min(A_i)‖r_i‖² ≤ ‖g_i‖² ≤ λ_max(A_i)‖r_i‖² holds for every held-out sample, and its aggregate (S2)', async () => {
    const s = summarizeBlocks(await new StructureMatrixProbe(model, backend).blocks(params, probeX));
    const g = await new GradientEnergyProbe(model, backend, { batchGradient: true }).measure(params, probeX, probeLabels);
    let violations = 0;
    for (let i = 0; i < probeN; i++) {
      const r2 = g.residualSqNorms[i]!, g2 = g.perSampleSqNorms[i]!;
      if (!(s.lambdaMin[i]! * r2 <= g2 * (1 + 1e-10) && g2 <= s.lambdaMax[i]! * r2 * (1 + 1e-10))) violations++;
    }
    expect(violations).toBe(0);
    expect(s.lambdaMinStar).toBeGreaterThan(0);
    const meanR2 = g.residualSqNorm / probeN;
    expect(g.energy / s.lambdaMaxStar).toBeLessThanOrEqual(meanR2);
    expect(meanR2).toBeLessThanOrEqual(g.energy / s.lambdaMinStar);
    expect(g.energy).toBeGreaterThan(g.batchGradSqNorm);
  });

  it('Lanczos matches the dense eigensolver on the real 1000 × 1000 NTK (relative 1e-6), and matrix-free on a smaller one', async () => {
    const probe = new StructureMatrixProbe(model, backend);
    const K = await probe.ntk(params, probeX.subarray(0, 100 * 784));
    expect(K.size).toBe(1000);
    const exact = symmetricEigen(K).values;
    const r = await lanczos(denseOperator(K, { symmetric: true }), { maxIterations: 1000 });
    expect(Math.abs(r.largest - exact[999]!) / exact[999]!).toBeLessThan(1e-6);
    expect(Math.abs(r.smallest - exact[0]!) / exact[0]!).toBeLessThan(1e-6);
    // LOBPCG with the output-block preconditioner: same λ_min, in fewer products than Lanczos needs.
    const pre = await probe.preconditioner(params, probeX.subarray(0, 100 * 784));
    const lo = await lobpcg(denseOperator(K, { symmetric: true }), { preconditioner: pre, tol: 1e-7 });
    expect(lo.converged).toBe(true);
    expect(Math.abs(lo.values[0]! - exact[0]!) / exact[0]!).toBeLessThan(1e-6);
    const bottom = await lanczos(denseOperator(K, { symmetric: true }), { which: 'smallest', tol: 1e-7, maxIterations: 1000 });
    expect(lo.matvecs).toBeLessThan(bottom.iterations);
    // Training couples the outputs; the rotated basis (default) is what keeps the preconditioner good.
    const plain = await lobpcg(denseOperator(K, { symmetric: true }), { preconditioner: await probe.preconditioner(params, probeX.subarray(0, 100 * 784), { rotate: false }), tol: 1e-7 });
    console.log(`LOBPCG products to tol 1e-7 on the trained 1000 × 1000 NTK: rotated ${lo.matvecs}, plain ${plain.matvecs}; Lanczos ${bottom.iterations}`);
    expect(lo.matvecs).toBeLessThan(plain.matvecs);

    const small = probeX.subarray(0, 8 * 784);
    const dense = symmetricEigen(await probe.ntk(params, small)).values;
    const mf = await probe.extremes(params, small, { method: 'lanczos' });
    expect(mf.lanczos!.iterations).toBeLessThanOrEqual(80);
    expect(Math.abs(mf.largest - dense[79]!) / dense[79]!).toBeLessThan(1e-6);
    expect(Math.abs(mf.smallest - dense[0]!) / dense[0]!).toBeLessThan(1e-6);
  });
});
