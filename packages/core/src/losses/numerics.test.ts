import { describe, expect, it } from 'vitest';
import { grad } from '../ad/transforms.js';
import { spec, trace } from '../ir/builder.js';
import { interpret } from '../reference/interpret.js';
import { expm1T, log1pT, softplusT } from './numerics.js';

describe('IR log1p / expm1 / softplus composites (float64)', () => {
  const xs = [-0.9, -0.5, -1e-3, -1.5e-4, -1e-4, -5e-5, -1e-9, 0, 1e-12, 3e-5, 1e-4, 2e-4, 0.01, 0.7, 1, 3, 50];
  const g = trace({ x: spec([xs.length], 'f64') }, ({ x }) => ({ l: log1pT(x).sum(), e: expm1T(x).sum(), s: softplusT(x).sum() }));
  it('values match Math.log1p / Math.expm1 to a few ulps across the branch cuts', () => {
    for (const x of xs) {
      const r = interpret(trace({ x: spec([1], 'f64') }, ({ x: t }) => ({ l: log1pT(t), e: expm1T(t) })), { x: [x] });
      expect(Math.abs(r.l![0]! - Math.log1p(x))).toBeLessThanOrEqual(4e-16 * Math.abs(Math.log1p(x)) + 1e-300);
      expect(Math.abs(r.e![0]! - Math.expm1(x))).toBeLessThanOrEqual(4e-16 * Math.abs(Math.expm1(x)) + 1e-300);
    }
  });
  it('derivatives are 1/(1+x), eˣ and sigmoid(x) (sigmoid(0) = ½, where a relu form gives 0 or 1)', () => {
    for (const [out, d] of [['l', (x: number) => 1 / (1 + x)], ['e', Math.exp], ['s', (x: number) => 1 / (1 + Math.exp(-x))]] as const) {
      const r = interpret(grad(g, { of: out, wrt: ['x'] }), { x: xs });
      xs.forEach((x, i) => expect(r.grad_x![i]).toBeCloseTo(d(x), 12));
    }
  });
});
