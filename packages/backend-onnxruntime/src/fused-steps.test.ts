import { Mlp, Rng, train, type TrainerOptions } from '@clt/core';
import { afterAll, describe, expect, it } from 'vitest';
import { OnnxRuntimeBackend } from './backend.js';

const backend = new OnnxRuntimeBackend();
afterAll(() => backend.dispose());

/** Seeded 10-class data: 400 rows of 20 features. */
function data(): { x: Float32Array; labels: Int32Array } {
  const rng = new Rng(7), n = 400, dim = 20, means = rng.normals(10 * dim, 1.5);
  const x = new Float32Array(n * dim), labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 10;
    for (let j = 0; j < dim; j++) x[i * dim + j] = means[(i % 10) * dim + j]! + rng.normal();
  }
  return { x, labels };
}

describe('fused SGD steps on ONNX Runtime (float32)', () => {
  it('fuseSteps 4 and 8 end with the weights of single steps, to the bit, with the same records', async () => {
    const o: TrainerOptions = {
      model: new Mlp({ sizes: [20, 32, 32, 10], activation: 'relu' }), backend, train: data(), batch: 16, steps: 90,
      schedule: { kind: 'cosine', lr: 0.1, warmup: 5 }, momentum: 0.9, weightDecay: 1e-4, seed: 3, dtype: 'f32',
      monitor: { probeEvery: 30, probeSize: 8, budget: 1, hessianEvery: 0 }, evalEvery: 25,
    };
    const single = await train(o);
    for (const fuseSteps of [4, 8]) {
      const fused = await train({ ...o, fuseSteps });
      for (const [k, v] of Object.entries(single.params)) expect(Array.from(fused.params[k]!), `${k}, fuseSteps ${fuseSteps}`).toEqual(Array.from(v));
      const losses = (r: typeof single) => r.records.filter((x) => x.type === 'step').map((x) => (x as { loss: number }).loss);
      expect(losses(fused)).toEqual(losses(single));
    }
  });
});
