import { describe, expect, it } from 'vitest';
import { symmetricEigen } from '../estimators/symmetric-eigen.js';
import { resolveBackend } from '../backend/registry.js';
import { Mlp } from '../models/mlp.js';
import { ReferenceBackend } from '../reference/backend.js';
import { GradientEnergyProbe } from './gradient-energy.js';
import { HessianProbe } from './hessian.js';
import { ProbeInputError, ProbeOverflowError } from './runtime.js';
import { StructureMatrixProbe } from './structure-matrix.js';
import { summarizeBlocks } from './structure-summary.js';
import { mlpCase } from './test-fixtures.js';

const backend = new ReferenceBackend();

describe('probes on finite but huge inputs (issue 17, defect 7)', () => {
  const { model, params, x } = mlpCase({ sizes: [3, 4, 2], activation: 'tanh' }, 2);
  const huge = Float64Array.from(x, (v) => v * 1e200), labels = Int32Array.of(0, 1);

  it('energy, Hessian extremes and the NTK throw ProbeOverflowError instead of returning NaN', async () => {
    await expect(new GradientEnergyProbe(model, backend, { dtype: 'f64' }).measure({ ...params, W0: Float64Array.from(params.W0!, (v) => v * 1e200) }, huge, labels))
      .rejects.toThrow(ProbeOverflowError);
    await expect(new StructureMatrixProbe(model, backend).ntk(params, huge)).rejects.toThrow(/overflowed: .*inputs reach magnitude \d\.\de\+200.*standardize the features/);
    await expect(new StructureMatrixProbe(model, backend).extremes(params, huge)).rejects.toThrow(ProbeOverflowError);
    const relu = mlpCase({ sizes: [3, 4, 2], activation: 'gelu' }, 2);
    await expect(new HessianProbe(relu.model, backend).extremes(relu.params, Float64Array.from(relu.x, (v) => v * 1e200), labels)).rejects.toThrow(ProbeOverflowError);
  });

  it('values that do not fit the probe dtype, or are not finite, are refused up front', async () => {
    await expect(new StructureMatrixProbe(model, backend, { dtype: 'f32' }).ntk(params, huge)).rejects.toThrow(ProbeInputError);
    await expect(new StructureMatrixProbe(model, backend, { dtype: 'f32' }).ntk(params, huge)).rejects.toThrow(/does not fit in f32 .*standardize the features/);
    const nan = Float64Array.from(x); nan[1] = NaN;
    await expect(new StructureMatrixProbe(model, backend).ntk(params, nan)).rejects.toThrow(/value NaN at index 1 is not finite/);
  });
});

describe('small API defects (issue 17, defect 11)', () => {
  it('symmetricEigen of the empty matrix is an empty spectrum', () => {
    expect(symmetricEigen({ size: 0, data: new Float64Array(0) }).values.length).toBe(0);
    expect(symmetricEigen({ size: 0 } as never, { vectors: true }).vectors!.length).toBe(0);
    expect(() => symmetricEigen({ size: -1, data: new Float64Array(0) })).toThrow(/size must be a non-negative integer/);
  });

  it('summarizeBlocks with no samples is a clear error, not a NaN summary', () => {
    expect(() => summarizeBlocks({ n: 0, d: 2, data: new Float64Array(0) })).toThrow(/summarizeBlocks: need at least one d × d block \(got n = 0, d = 2\)/);
  });

  it('Mlp rejects unknown activations and bad sizes, listing what is valid', () => {
    expect(() => new Mlp({ sizes: [2, 3], activation: 'bogus' as never })).toThrow(/mlp: unknown activation "bogus"; use one of relu, tanh, gelu, identity/);
    expect(() => new Mlp({ sizes: [2] })).toThrow(/sizes must be an array of >= 2 positive integers/);
    expect(() => new Mlp({ sizes: [2, 0] })).toThrow(/positive integers/);
    expect(() => new Mlp({ sizes: 'x' as never })).toThrow(/sizes must be an array/);
    expect(() => new Mlp({ sizes: [2, 3, 2], sparsity: 1 })).toThrow(/sparsity must be in \[0, 1\)/);
  });

  it('resolveBackend with nothing to try says what to do', async () => {
    // Whatever the registry holds in this process, an explicit bogus type is named clearly.
    await expect(resolveBackend([3] as never)).rejects.toThrow(/names must be a backend name or an array of names/);
    const r = await resolveBackend([]).then(() => 'resolved', (e: Error) => e.message);
    // Either some registered backend resolved, or the message explains the empty registry (never "no usable backend:" alone).
    expect(r === 'resolved' || /no backend is registered.*\/register entry.*onnxruntime-cpu/.test(r) || /\[\S+\]/.test(r)).toBe(true);
  });
});
