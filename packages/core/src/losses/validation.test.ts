import { describe, expect, it } from 'vitest';
import { bernoulliLoss } from './bernoulli.js';
import { entmaxLoss } from './entmax.js';
import { fyLoss } from './factory.js';
import { poissonLoss } from './poisson.js';
import { softmaxLoss } from './softmax.js';
import { sparsemaxLoss } from './sparsemax.js';
import { squaredLoss } from './squared.js';
import { LossInputError, oneHotLabels } from './validate.js';

const f = (...x: number[]) => Float64Array.from(x);

describe('bad input gets a clear error', () => {
  it('NaN or infinite logits', () => {
    expect(() => softmaxLoss.host.loss(f(0, NaN, 1), f(1, 0, 0))).toThrow(/logit 1 is NaN/);
    expect(() => sparsemaxLoss.host.predict(f(Infinity, 0))).toThrow(LossInputError);
  });
  it('mismatched lengths', () => {
    expect(() => softmaxLoss.host.loss(f(0, 1, 2), f(1, 0))).toThrow(/3 entries but the target has 2/);
    expect(() => squaredLoss.host.lossMany(f(1, 2, 3), f(1, 2, 3), 2)).toThrow(/whole number of rows/);
  });
  it('targets off the simplex, outside [0,1], negative counts', () => {
    expect(() => softmaxLoss.host.loss(f(0, 0), f(0.5, 0.6))).toThrow(/sums to 1.1/);
    expect(() => entmaxLoss(1.5).host.loss(f(0, 0), f(1.5, -0.5))).toThrow(/< 0/);
    expect(() => bernoulliLoss.host.loss(f(0), f(1.5))).toThrow(/outside \[0, 1\]/);
    expect(() => poissonLoss.host.loss(f(0), f(-1))).toThrow(/non-negative/);
    expect(() => softmaxLoss.host.validateTargets(f(1, 0, 0.5, 0.5), 2)).not.toThrow();
    expect(() => softmaxLoss.host.validateTargets(f(1, 0, 0.5, 0.6), 2)).toThrow(/row 1/);
    expect(() => squaredLoss.host.entropy(f(0.5, 0.7))).toThrow(/entropy/);
  });
  it('labels out of range', () => {
    expect(Array.from(oneHotLabels([1, 0], 3))).toEqual([0, 1, 0, 1, 0, 0]);
    expect(() => oneHotLabels([0, 3], 3)).toThrow(/label 1 is 3, outside the classes 0..2/);
    expect(() => oneHotLabels([0.5], 3)).toThrow(LossInputError);
  });
  it('Ω is +∞ off its domain', () => {
    expect(softmaxLoss.host.regularizer(f(0.5, 0.7))).toBe(Infinity);
    expect(sparsemaxLoss.host.regularizer(f(0.5, 0.5))).toBeCloseTo(0.25, 15);
  });
  it('fyLoss names, entmax specs and unknown names', () => {
    expect(fyLoss('softmax')).toBe(softmaxLoss);
    expect(fyLoss('entmax-1.5').name).toBe('entmax-1.5');
    expect(fyLoss('entmax-1.3').name).toBe('entmax-1.3');
    expect((fyLoss({ kind: 'entmax', alpha: 1.5, method: 'bisect' }) as ReturnType<typeof entmaxLoss>).method).toBe('bisect');
    expect(fyLoss(poissonLoss)).toBe(poissonLoss);
    expect(() => fyLoss('hinge' as never)).toThrow(/unknown loss 'hinge'; use one of softmax/);
    expect(() => entmaxLoss(0.5)).toThrow(/α must be a finite number ≥ 1/);
    expect(() => entmaxLoss(NaN)).toThrow(LossInputError);
  });
  it('bayesRisk: half the variance for squared, validates its input', () => {
    const ys = [f(1, 2), f(3, 2), f(2, 5)];
    // Per output: var(1,3,2) = 2/3, var(2,2,5) = 2, so ½(2/3 + 2).
    expect(squaredLoss.host.bayesRisk(ys)).toBeCloseTo(0.5 * (2 / 3 + 2), 14);
    expect(() => squaredLoss.host.bayesRisk([])).toThrow(/at least one/);
    expect(() => softmaxLoss.host.bayesRisk([f(1, 0)], [1, 2])).toThrow(/1 targets but 2 weights/);
  });
});
