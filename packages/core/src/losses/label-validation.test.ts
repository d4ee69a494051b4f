import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../ir/builder.js';
import { Mlp } from '../models/mlp.js';
import { GradientEnergyProbe } from '../probes/gradient-energy.js';
import { HessianProbe } from '../probes/hessian.js';
import { mlpCase } from '../probes/test-fixtures.js';
import { ReferenceBackend } from '../reference/backend.js';
import { train } from '../train/trainer.js';
import { blobs } from '../train/train-fixtures.js';
import { entmax15Loss } from './entmax.js';
import { FY_LOSS_NAMES, fyLoss } from './factory.js';
import { softmaxLoss } from './softmax.js';
import { LossInputError, validateLabels } from './validate.js';

const backend = new ReferenceBackend();

/** Run `loss.ir.loss` on logits [n, d] and i32 labels [n] through the reference backend. */
async function irLoss(loss: typeof softmaxLoss, eta: number[], labels: number[], d: number): Promise<number[]> {
  const n = labels.length, b = new GraphBuilder();
  const e = b.input('eta', [n, d], 'f64'), y = b.input('y', [n], 'i32');
  const exe = await backend.compile(b.build({ l: loss.ir.loss(e, y) }));
  const r = await exe.run({ eta: { data: Float64Array.from(eta), shape: [n, d], dtype: 'f64' }, y: { data: Int32Array.from(labels), shape: [n], dtype: 'i32' } });
  return Array.from(await r.l!.download());
}

describe('class labels are validated on every path (issue 17, defect 5)', () => {
  it('validateLabels names the sample, the value and the class range', () => {
    expect(() => validateLabels('x', Int32Array.of(0, 3), 3)).toThrow(/x: label 1 is 3, outside the classes 0..2/);
    expect(() => validateLabels('x', [0, -1], 3)).toThrow(/label 1 is -1/);
    expect(() => validateLabels('x', [1.5], 3)).toThrow(/label 0 is 1.5/);
    expect(() => validateLabels('x', null, 3)).toThrow(/labels must be an array .* got null/);
    expect(() => validateLabels('x', [0, 1], 3, 3)).toThrow(/2 labels for 3 samples/);
    expect(() => validateLabels('x', [0, 2, 1], 3, 3)).not.toThrow();
  });

  it('IR losses give NaN, never a plausible wrong value, for out-of-range labels (1.5-entmax gave −1.333)', async () => {
    const eta = [2, 0, -1, 0.5, 0.5, 0, 1, 2, 3];
    for (const loss of [entmax15Loss, softmaxLoss, fyLoss('sparsemax')]) {
      const l = await irLoss(loss, eta, [0, 5, -1], 3);
      // Row 0 is in range: it matches the host loss on the one-hot target.
      expect(l[0]).toBeCloseTo(loss.host.loss(Float64Array.of(2, 0, -1), Float64Array.of(1, 0, 0)), 12);
      expect(l[1]).toBeNaN();
      expect(l[2]).toBeNaN();
    }
  });

  it('train() rejects out-of-range and fractional labels even when dataFloor is given', async () => {
    const data = blobs(24, 1, 6, 3);
    const base = { model: new Mlp({ sizes: [6, 4, 3] }), backend, batch: 8, steps: 2, schedule: { kind: 'constant' as const, lr: 0.1 }, dtype: 'f64' as const, monitor: false as const, dataFloor: 0 };
    const bad = Int32Array.from(data.labels); bad[7] = 3;
    await expect(train({ ...base, train: { x: data.x, labels: bad } })).rejects.toThrow(/train \(train labels\): label 7 is 3, outside the classes 0..2/);
    const neg = Int32Array.from(data.labels); neg[2] = -1;
    await expect(train({ ...base, train: data, test: { x: data.x, labels: neg } })).rejects.toThrow(/train \(test labels\): label 2 is -1/);
    const frac = Array.from(data.labels) as unknown as Int32Array; (frac as unknown as number[])[0] = 1.5;
    await expect(train({ ...base, train: { x: data.x, labels: frac } })).rejects.toThrow(LossInputError);
  });

  it('probes taking labels reject out-of-range ones', async () => {
    const { model, params, x } = mlpCase({ sizes: [3, 4, 2] }, 2);
    await expect(new GradientEnergyProbe(model, backend).measure(params, x, Int32Array.of(0, 2))).rejects.toThrow(/probe labels: label 1 is 2, outside the classes 0..1/);
    expect(() => new HessianProbe(model, backend).operator(params, x, Int32Array.of(-1, 0))).toThrow(/label 0 is -1/);
  });
});

describe('host loss functions: bad arguments get clear errors (issue 17, defect 11)', () => {
  it.each(FY_LOSS_NAMES)('%s: null / undefined / strings name the argument instead of a TypeError', (name) => {
    const host = fyLoss(name).host, ok = Float64Array.of(1, 0);
    for (const bad of [null, undefined, 'abc', 3]) {
      expect(() => host.predict(bad as never)).toThrow(new RegExp(`${name}: eta must be a Float64Array`));
      expect(() => host.loss(ok, bad as never)).toThrow(/y must be a Float64Array/);
      expect(() => host.grad(bad as never, ok)).toThrow(/eta must be a Float64Array/);
      expect(() => host.conjugate(bad as never)).toThrow(LossInputError);
      expect(() => host.lossMany(bad as never, ok, 2)).toThrow(LossInputError);
    }
    // Plain number arrays are accepted as vectors.
    expect(host.predict([0.5, 0.1] as never).length).toBe(2);
  });

  it('lossMany / predictMany with d = 0 or a ragged batch: a clear error, not "Invalid typed array length"', () => {
    const e = Float64Array.of(1, 2, 3, 4), y = Float64Array.of(1, 0, 0, 1);
    expect(() => softmaxLoss.host.lossMany(e, y, 0)).toThrow(/softmax: the output size d must be a positive integer, got 0/);
    expect(() => softmaxLoss.host.predictMany(e, 0)).toThrow(/output size d must be a positive integer/);
    expect(() => softmaxLoss.host.lossMany(e, y, 3)).toThrow(/not a whole number of rows of d = 3/);
    // An empty batch is an empty result.
    expect(softmaxLoss.host.lossMany(new Float64Array(0), new Float64Array(0), 2).length).toBe(0);
  });
});
