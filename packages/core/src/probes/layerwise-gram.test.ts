import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../reference/backend.js';
import { assembleLayerwiseNtk } from './layerwise-gram.js';
import { ProbeRuntime } from './runtime.js';
import { StructureMatrixProbe } from './structure-matrix.js';
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
