import { describe, expect, it } from 'vitest';
import { spec, trace } from './builder.js';
import { grad } from '../ad/transforms.js';
import { interpret } from '../reference/interpret.js';

/** The composites on Tensor that models and losses lean on, against their definitions in float64. */
describe('Tensor composites', () => {
  const lse = (rows: number[][]) => {
    const n = rows.length, k = rows[0]!.length;
    const g = trace({ x: spec([n, k], 'f64') }, ({ x }) => ({ y: x!.logsumexp(-1), p: x!.softmax(-1), l: x!.logSoftmax(-1) }));
    return interpret(g, { x: rows.flat() });
  };

  it('logsumexp is log Σ exp on ordinary rows and stays finite for huge logits', () => {
    const r = lse([[0.5, -1, 2], [1000, 1000, 999]]);
    expect(r.y![0]).toBeCloseTo(Math.log(Math.exp(0.5) + Math.exp(-1) + Math.exp(2)), 14);
    expect(r.y![1]).toBeCloseTo(1000 + Math.log(2 + Math.exp(-1)), 11);
    const p = Array.from(r.p!.slice(3));
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12); // x − lse rounds at the ulp of 1000
  });

  it('logsumexp is −∞ on a row of −∞ and +∞ with a +∞ entry (not NaN)', () => {
    const r = lse([[-Infinity, -Infinity], [Infinity, 1], [-Infinity, 0]]);
    expect(Array.from(r.y!)).toEqual([-Infinity, Infinity, 0]);
    expect(Array.from(r.p!.slice(4))).toEqual([0, 1]); // a masked entry gets probability 0
  });

  it('the gradient of logsumexp is softmax', () => {
    const g = grad(trace({ x: spec([4], 'f64') }, ({ x }) => ({ y: x!.logsumexp() })));
    const x = [0.3, -2, 1.5, 0], r = interpret(g, { x });
    const z = x.reduce((s, v) => s + Math.exp(v), 0);
    Array.from(r.grad_x!).forEach((v, i) => expect(v).toBeCloseTo(Math.exp(x[i]!) / z, 15));
  });
});
