import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gradients } from '../ad/gradients.js';
import { hvp } from '../ad/transforms.js';
import { spec, trace } from '../ir/builder.js';
import { ShapeError } from '../ir/shape.js';
import { interpret } from '../reference/interpret.js';
import { bernoulliLoss } from './bernoulli.js';
import { hessianVector, lossConformanceCases } from './conformance.js';
import { softmaxLoss } from './softmax.js';
import { ALL_LOSSES, fdGrad, maxAbsDiff, randomLogits, randomTarget } from './test-fixtures.js';
import type { FYLoss } from './fenchel-young.js';

/** A random batch (n rows) for `loss`, row-major. */
function batch(loss: FYLoss, seed: number, n: number, d: number, scale: number) {
  const eta = randomLogits(seed, n * d, loss.name === 'poisson' ? Math.min(scale, 2) : scale), y = new Float64Array(n * d), v = randomLogits(seed + 9, n * d, 1);
  for (let i = 0; i < n; i++) y.set(randomTarget(loss, seed + 31 * i, d), i * d);
  return { eta, y, v };
}
const rows = (a: Float64Array, d: number, i: number) => a.subarray(i * d, (i + 1) * d);

/**
 * Tolerance for the prediction map ŷ (and ŷ − y). For α-entmax with α > 2, ŷ_i = [(α−1)η_i − τ]^{1/(α−1)}
 * is not Lipschitz in τ at the edge of the support: ∂ŷ_i/∂τ = ŷ_i^{2−α}/(α−1), so the few-ulp
 * difference between two float64 bisections for τ (IR vs host) grows by that factor. Elsewhere 1e-11.
 */
function mapTol(loss: FYLoss, p: Float64Array): number {
  const alpha = (loss as { alpha?: number }).alpha;
  if (alpha === undefined || alpha <= 2) return 1e-11;
  let k = 0;
  for (const x of p) if (x > 0) k = Math.max(k, x ** (2 - alpha) / (alpha - 1));
  return 1e-11 + 4e-15 * k;
}

describe.each(ALL_LOSSES.map((l) => [`${l.name}${'method' in l ? ` (${(l as { method: string }).method})` : ''}`, l] as const))('%s IR composites (float64, interpret)', (_, loss) => {
  const graphFor = (n: number, d: number) => trace({ eta: spec([n, d], 'f64'), y: spec([n, d], 'f64') }, ({ eta, y }) => {
    const l = loss.ir.loss(eta, y);
    const [g] = gradients([l], [eta], [l.builder.fill(1, l.shape, l.dtype)]);
    return { predict: loss.ir.predict(eta), loss: l, conjugate: loss.ir.conjugate(eta), regularizer: loss.ir.regularizer(y), grad: g!, residual: loss.ir.residual(eta, y) };
  });

  it('agree with the float64 host functions; the IR gradient equals ŷ − y and matches finite differences', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 1, max: 7 }), fc.double({ min: 0.05, max: 6, noNaN: true }), (seed, d, scale) => {
      const n = 3, { eta, y } = batch(loss, seed, n, d, scale);
      const r = interpret(graphFor(n, d), { eta, y });
      for (let i = 0; i < n; i++) {
        const e = rows(eta, d, i), t = rows(y, d, i), l = loss.host.loss(e, t), hostGrad = loss.host.grad(e, t);
        const tol = 1e-11 * (1 + Math.abs(l) + Math.abs(loss.host.conjugate(e)));
        const pTol = mapTol(loss, loss.host.predict(e));
        expect(maxAbsDiff(rows(r.predict as Float64Array, d, i), loss.host.predict(e))).toBeLessThan(pTol);
        expect(Math.abs(r.loss![i]! - l)).toBeLessThan(tol);
        expect(Math.abs(r.conjugate![i]! - loss.host.conjugate(e))).toBeLessThan(tol);
        expect(Math.abs(r.regularizer![i]! - loss.host.regularizer(t))).toBeLessThan(1e-11 * (1 + Math.abs(r.regularizer![i]!)));
        expect(maxAbsDiff(rows(r.grad as Float64Array, d, i), hostGrad)).toBeLessThan(pTol * (1 + Math.max(...hostGrad.map(Math.abs))));
        expect(maxAbsDiff(rows(r.residual as Float64Array, d, i), hostGrad)).toBeLessThan(pTol * (1 + Math.max(...hostGrad.map(Math.abs))));
        const fd = fdGrad((x) => loss.host.loss(x, t), e);
        expect(maxAbsDiff(rows(r.grad as Float64Array, d, i), fd)).toBeLessThan(2e-6 * Math.max(1, Math.abs(l), ...hostGrad.map(Math.abs)));
      }
    }), { numRuns: 15, examples: [[460201880, 4, 0.05]] }); // the example: ŷ_4 ≈ 1e-4 at the support edge (entmax-4)
  });

  it('second derivatives are right: hvp of the loss = (∂ŷ/∂η)·v in closed form, and = finite differences of ŷ', () => {
    const n = 3, d = 5, { eta, y, v } = batch(loss, 17, n, d, 1.5);
    const g = trace({ eta: spec([n, d], 'f64'), y: spec([n, d], 'f64') }, ({ eta: e, y: t }) => ({ l: loss.ir.loss(e, t).sum() }));
    const r = interpret(hvp(g, { wrt: ['eta'] }), { eta, y, vec_eta: v });
    for (let i = 0; i < n; i++) {
      const e = rows(eta, d, i), w = rows(v, d, i), want = hessianVector(loss, e, w);
      expect(maxAbsDiff(rows(r.hvp_eta as Float64Array, d, i), want)).toBeLessThan(1e-10 * (1 + Math.max(...want.map(Math.abs))));
      const h = 1e-6, ep = e.map((x, j) => x + h * w[j]!), em = e.map((x, j) => x - h * w[j]!);
      const fd = loss.host.predict(ep).map((x, j) => (x - loss.host.predict(em)[j]!) / (2 * h));
      expect(maxAbsDiff(want, fd)).toBeLessThan(1e-6 * (1 + Math.max(...want.map(Math.abs))));
    }
  });

  it('stay finite at |logits| = 1e4 (Poisson: +∞ where e^η overflows, never NaN)', () => {
    const n = 2, d = 4, eta = Float64Array.from([1e4, -1e4, 1e4, 0, -1e4, -1e4 + 1, 1e4 - 1, 3]);
    const y = new Float64Array(n * d);
    for (let i = 0; i < n; i++) y.set(randomTarget(loss, 3 + i, d), i * d);
    const r = interpret(graphFor(n, d), { eta, y });
    for (const k of ['predict', 'loss', 'grad'] as const) for (const x of r[k]!) {
      expect(Number.isNaN(x)).toBe(false);
      if (loss.name !== 'poisson') expect(Number.isFinite(x)).toBe(true);
    }
    for (let i = 0; i < n; i++) if (loss.name !== 'poisson') expect(Math.abs(r.loss![i]! - loss.host.loss(rows(eta, d, i), rows(y, d, i)))).toBeLessThan(1e-8 * (1 + Math.abs(r.loss![i]!)));
  });
});

describe('IR inputs', () => {
  it('integer labels [n] are one-hot targets; a d = 1 Bernoulli head takes 0/1 labels', () => {
    const labels = Int32Array.from([2, 0, 3]), eta = randomLogits(1, 12, 2), onehot = new Float64Array(12);
    labels.forEach((c, i) => { onehot[i * 4 + c] = 1; });
    const g = trace({ eta: spec([3, 4], 'f64'), lab: spec([3], 'i32'), y: spec([3, 4], 'f64') }, ({ eta: e, lab, y }) => ({ a: softmaxLoss.ir.loss(e, lab), b: softmaxLoss.ir.loss(e, y) }));
    const r = interpret(g, { eta, lab: labels, y: onehot });
    expect(maxAbsDiff(r.a!, r.b!)).toBe(0);
    const gb = trace({ eta: spec([3, 1], 'f64'), lab: spec([3], 'i32') }, ({ eta: e, lab }) => ({ l: bernoulliLoss.ir.loss(e, lab) }));
    const rb = interpret(gb, { eta: [0.5, -2, 3], lab: [1, 0, 0] });
    [[0.5, 1], [-2, 0], [3, 0]].forEach(([x, t], i) => expect(rb.l![i]).toBeCloseTo(bernoulliLoss.host.loss(new Float64Array([x!]), new Float64Array([t!])), 14));
  });

  it('shape and dtype errors at trace time name the problem', () => {
    const bad = (inputs: Record<string, { shape: number[]; dtype: 'f32' | 'f64' | 'i32' }>, f: (t: Record<string, any>) => unknown) =>
      () => trace(inputs, (t) => ({ out: f(t) as never }));
    expect(bad({ eta: spec([4], 'f64') as any }, ({ eta }) => softmaxLoss.ir.predict(eta))).toThrow(/batch \[n, d\]/);
    expect(bad({ eta: spec([2, 3], 'f64') as any, y: spec([2, 4], 'f64') as any }, ({ eta, y }) => softmaxLoss.ir.loss(eta, y))).toThrow(ShapeError);
    expect(bad({ eta: spec([2, 3], 'f64') as any, y: spec([2, 3], 'f32') as any }, ({ eta, y }) => softmaxLoss.ir.loss(eta, y))).toThrow(/cast/);
    expect(bad({ eta: spec([2, 3], 'i32') as any }, ({ eta }) => softmaxLoss.ir.conjugate(eta))).toThrow(/f32 or f64/);
    expect(bad({ eta: spec([2, 3], 'f64') as any, y: spec([3], 'i32') as any }, ({ eta, y }) => softmaxLoss.ir.loss(eta, y))).toThrow(/labels/);
  });
});

describe('lossConformanceCases', () => {
  it('f64 graphs reproduce the host float64 expectations under the reference interpreter', () => {
    const cases = lossConformanceCases('f64');
    expect(cases.length).toBeGreaterThanOrEqual(9);
    for (const c of cases) {
      const r = interpret(c.graph, c.inputs);
      for (const [k, want] of Object.entries(c.expected)) {
        const got = r[k] as Float64Array;
        const scale = Math.max(1, ...Array.from(want, Math.abs));
        expect(maxAbsDiff(got, want), `${c.name} ${k}`).toBeLessThan(1e-10 * scale);
      }
    }
  });

  it('f32 cases are f32 graphs over the same inputs and outputs', () => {
    const a = lossConformanceCases('f32'), b = lossConformanceCases('f64');
    a.forEach((c, i) => {
      expect(c.name).toBe(b[i]!.name);
      expect(c.graph.nodes[c.graph.inputs[0]!]!.dtype).toBe('f32');
      expect(c.graph.outputs.map((o) => o.name).sort()).toEqual(Object.keys(c.expected).sort());
      expect(Array.from(c.inputs.eta!)).toEqual(Array.from(b[i]!.inputs.eta!));
    });
    expect(() => lossConformanceCases('i32')).toThrow(/f32 or f64/);
  });
});
