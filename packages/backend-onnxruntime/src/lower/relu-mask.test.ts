import { afterAll, describe, expect, it } from 'vitest';
import { grad, interpret, Mlp, oneHot, Rng, sgdStepGraph, spec, stepNames, trace, where, type DType, type Graph, type HostTensor } from '@clt/core';
import { OnnxRuntimeBackend } from '../backend.js';
import { selectOutputs as pruneGraph } from '@clt/core';
import { lowerGraph } from './model.js';
import { planReluMasks } from './relu-mask.js';

const on = new OnnxRuntimeBackend({ executionProviders: ['cpu'] });
const off = new OnnxRuntimeBackend({ executionProviders: ['cpu'], lowering: { reluMaskFromOutput: false, reluSelectAsMul: false } });
afterAll(async () => { await on.dispose(); await off.dispose(); });

const host = (dt: DType, shape: number[], v: ArrayLike<number>): HostTensor =>
  ({ data: dt === 'f64' ? Float64Array.from(v) : dt === 'i32' ? Int32Array.from(v) : Float32Array.from(v), shape, dtype: dt });

async function runAll(backend: OnnxRuntimeBackend, g: Graph, feeds: Record<string, HostTensor>): Promise<Record<string, ArrayLike<number>>> {
  const res = await (await backend.compile(g)).run(feeds);
  const out: Record<string, ArrayLike<number>> = {};
  for (const [k, t] of Object.entries(res)) out[k] = await t.download();
  return out;
}

/** Same value: equal numbers (±0 alike) or both NaN. */
const sameValue = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));

describe('ReLU-derivative rewrites (relu-mask.ts)', () => {
  const model = new Mlp({ sizes: [12, 8, 8, 3], activation: 'relu' });

  it('find both masks of a two-hidden-layer SGD step; the lowered step keeps Where only for the logsumexp guard', () => {
    const g = pruneGraph(sgdStepGraph(model, { batch: 5 }), [...model.params.map((p) => stepNames.newParam(p.name)), 'loss']);
    const plan = planReluMasks(g);
    expect(plan.maskFrom.size).toBe(2);
    expect(plan.selectAsMul.size).toBe(2);
    for (const [gt, r] of plan.maskFrom) {
      expect(g.nodes[gt]!.op).toBe('greater');
      expect(g.nodes[r]!.op).toBe('relu');
      expect(g.nodes[r]!.inputs[0]).toBe(g.nodes[gt]!.inputs[0]);
    }
    const nodes = lowerGraph(g).model.nodes, before = lowerGraph(g, { reluMaskFromOutput: false, reluSelectAsMul: false }).model.nodes;
    const count = (ns: typeof nodes, op: string) => ns.filter((n) => n.opType === op).length;
    expect(count(before, 'Where')).toBe(3);
    expect(count(nodes, 'Where')).toBe(1);
    // Every Greater against zero now reads a Relu output.
    const reluOuts = new Set(nodes.filter((n) => n.opType === 'Relu').map((n) => n.outputs[0]));
    const masks = nodes.filter((n) => n.opType === 'Greater' && reluOuts.has(n.inputs[0]!));
    expect(masks.length).toBe(2);
  });

  it('leave selects alone that are not ReLU masks (no relu of the compared value, or a nonzero branch)', () => {
    const g = trace({ x: spec([4]), g: spec([4]) }, ({ x, g }) => ({ a: where(x.greater(0), g, 0), b: where(x.relu().greater(0), g, 1), c: x.relu() }));
    const plan = planReluMasks(g);
    expect(plan.selectAsMul.size).toBe(0);
    // `a`'s mask may still be read from relu(x) (exact), but its select stays a Where.
    expect(lowerGraph(g).model.nodes.filter((n) => n.opType === 'Where').length).toBe(2);
  });

  for (const dt of ['f32', 'f64'] as const) {
    it(`${dt}: an MLP loss gradient is the same with and without the rewrites, and matches the float64 reference`, async () => {
      const n = 6;
      const params = Object.fromEntries(model.params.map((p) => [p.name, spec(p.shape, dt)]));
      const g = grad(trace({ ...params, x: spec([n, 12], dt), y: spec([n], 'i32') }, (xs) => {
        const logits = model.apply(xs, xs.x!);
        return { loss: logits.logsumexp(-1).sub(logits.mul(oneHot(xs.y!, 3, dt)).sum(-1)).mean() };
      }), { wrt: model.params.map((p) => p.name) });
      const rng = new Rng(7);
      const vals: Record<string, number[] | Int32Array> = { x: Array.from(rng.normals(n * 12)), y: Int32Array.from({ length: n }, () => rng.int(3)) };
      for (const p of model.params) vals[p.name] = Array.from(rng.normals(p.shape.reduce((a, b) => a * b, 1), 0.5));
      const feeds: Record<string, HostTensor> = { x: host(dt, [n, 12], vals.x!), y: host('i32', [n], vals.y!) };
      for (const p of model.params) feeds[p.name] = host(dt, [...p.shape], vals[p.name]!);
      const [a, b] = await Promise.all([runAll(on, g, feeds), runAll(off, g, feeds)]);
      const ref = interpret(g, vals);
      const tol = dt === 'f32' ? 1e-4 : 1e-11;
      for (const k of Object.keys(ref)) {
        // Rewritten vs not: g·1 = g and g·0 = ±0 exactly, and relu(h) > 0 ⟺ h > 0.
        Array.from(b[k]!).forEach((v, i) => expect(sameValue(a[k]![i]!, v), `${k}[${i}]: ${a[k]![i]} vs ${v}`).toBe(true));
        Array.from(ref[k]!).forEach((v, i) => expect(Math.abs(a[k]![i]! - v)).toBeLessThanOrEqual(tol * (1 + Math.abs(v))));
      }
    });
  }

  it('the mask read from relu(h) agrees with h > 0 on NaN, ±0 and ±∞', async () => {
    const h = [NaN, -0, 0, -1, 1, Infinity, -Infinity, 1e-30, -1e-30];
    const g = trace({ h: spec([h.length]), g: spec([h.length]) }, ({ h, g }) => ({ a: h.relu(), m: h.greater(0), d: where(h.greater(0), g, 0) }));
    expect(planReluMasks(g).maskFrom.size).toBe(1);
    const gv = h.map((_, i) => i + 1);
    const got = await runAll(on, g, { h: host('f32', [h.length], h), g: host('f32', [h.length], gv) });
    const ref = interpret(g, { h, g: gv });
    Array.from(ref.m!).forEach((v, i) => expect(got.m![i]).toBe(v));
    Array.from(ref.d!).forEach((v, i) => expect(sameValue(got.d![i]!, v)).toBe(true));
  });

  it('documented difference: a non-finite cotangent at an inactive unit gives NaN as a Mul, 0 as a Where', async () => {
    const g = trace({ h: spec([3]), g: spec([3]) }, ({ h, g }) => ({ a: h.relu(), d: where(h.greater(0), g, 0) }));
    const feeds = { h: host('f32', [3], [-1, 2, -3]), g: host('f32', [3], [Infinity, 5, NaN]) };
    const rewritten = await runAll(on, g, feeds), kept = await runAll(off, g, feeds);
    expect(Array.from(kept.d!)).toEqual([0, 5, 0]);
    expect(rewritten.d![1]).toBe(5);
    expect(Number.isNaN(rewritten.d![0]!) && Number.isNaN(rewritten.d![2]!)).toBe(true);
  });
});
