import { describe, expect, it } from 'vitest';
import { jvp, vjp } from './transforms.js';
import { spec, trace } from '../ir/builder.js';
import type { Graph } from '../ir/graph.js';
import { inputName } from '../ir/graph.js';
import { interpret } from '../reference/interpret.js';
import { Rng } from '../util/random.js';
import { conformanceCases, convNetGraph, convNetInputs, mlpGraph, mlpInputs, softmaxCrossEntropy } from '../testing/index.js';
import { centralDiff, dot, forwardDiff, hostCopy, relErr } from '../testing/finite-differences.js';

/**
 * Table-driven gradient check in float64. Each row is a VJP graph (original outputs, plus
 * `grad_<in>` given cotangents `ct_<out>`): every differentiable primitive's conformance case, and
 * the composed graphs. For each row:
 *   1. VJP vs central differences of s(x) = Σ_o ⟨ct_o, f_o(x)⟩, relative error ≤ 1e-6;
 *   2. JVP (as VJP of VJP) vs forward differences along a random tangent, relative error ≤ 1e-5;
 *   3. the transpose identity ⟨J v, u⟩ = ⟨v, Jᵀ u⟩ to roundoff.
 * Rows at non-differentiable points (ties of max/min/reduceMax) are checked for their subgradient
 * convention separately below, not against finite differences.
 */
interface Row { name: string; graph: Graph; inputs: Record<string, ArrayLike<number>>; h: number; hf: number; dotTol: number }

const LINEAR_ROUNDING = /^vjp\/cast/; // cast f64→f32 rounds to float32: use a step where that rounding is negligible (the map is linear, so no truncation error)

function rows(): Row[] {
  const out: Row[] = [];
  for (const c of conformanceCases('f64')) {
    // Ties are non-differentiable points; stopGradient is deliberately not the derivative. Both are checked below.
    // Composite VJP cases (the poolings) are checked like primitives: they carry ct_ inputs and grad_ outputs.
    if (c.kind === 'composite' && /^composite\/(avgPool2d|maxPool2d|globalAvgPool)/.test(c.name)) {
      out.push({ name: c.name, graph: c.graph, inputs: hostCopy(c.inputs), h: 1e-5, hf: 1e-7, dotTol: 1e-11 });
      continue;
    }
    if (c.kind !== 'vjp' || c.name.endsWith('/ties') || c.op === 'stopGradient') continue;
    const lin = LINEAR_ROUNDING.test(c.name);
    out.push({ name: c.name, graph: c.graph, inputs: hostCopy(c.inputs), h: lin ? 0.5 : 1e-5, hf: lin ? 0.5 : 1e-7, dotTol: lin ? 1e-6 : 1e-11 });
  }
  const rng = new Rng(11);
  const mlp = vjp(mlpGraph('f64', { logits: true }), { wrt: ['x', 'w1', 'b1', 'w2', 'b2', 'w3', 'b3'] });
  out.push({ name: 'composite/mlp (logits and loss)', graph: mlp, inputs: hostCopy(mlpInputs(mlp, rng)), h: 1e-5, hf: 1e-7, dotTol: 1e-11 });
  const xent = vjp(trace({ z: spec([3, 4], 'f64'), y: spec([3], 'i32') }, ({ z, y }) => ({ loss: softmaxCrossEntropy(z!, y!), p: z!.softmax() })), { wrt: ['z'] });
  out.push({ name: 'composite/softmax-cross-entropy', graph: xent, inputs: { z: rng.normals(12, 2), y: [0, 3, 1], ct_loss: [1], ct_p: rng.normals(12) }, h: 1e-5, hf: 1e-7, dotTol: 1e-11 });
  const conv = vjp(convNetGraph('f64'), { wrt: ['x', 'w1', 'b1', 'w2', 'w3'] });
  out.push({ name: 'composite/convnet (conv, relu, pools, loss)', graph: conv, inputs: hostCopy(convNetInputs(conv, rng)), h: 1e-5, hf: 1e-7, dotTol: 1e-11 });
  return out;
}

const outputsOf = (g: Graph) => g.outputs.map((o) => o.name).filter((n) => !n.startsWith('grad_'));
const wrtOf = (g: Graph) => g.outputs.map((o) => o.name).filter((n) => n.startsWith('grad_')).map((n) => n.slice(5));

describe('gradient check: every differentiable primitive and the composed graphs (float64)', () => {
  const table = rows();
  const results: string[] = [];

  it.each(table.map((r) => [r.name, r] as const))('%s: VJP = central differences, JVP = forward differences, ⟨Jv,u⟩ = ⟨v,Jᵀu⟩', (_, row) => {
    const { graph, inputs } = row;
    const outs = outputsOf(graph), wrt = wrtOf(graph);
    expect(wrt.length).toBeGreaterThan(0);
    const ad = interpret(graph, inputs);
    const scalar = (r: Record<string, ArrayLike<number>>) => outs.reduce((s, o) => s + dot(inputs[`ct_${o}`]!, r[o]!), 0);
    let worstVjp = 0;
    for (const w of wrt) {
      const fd = centralDiff(graph, inputs, w, scalar, row.h);
      const e = relErr(ad[`grad_${w}`]!, fd);
      worstVjp = Math.max(worstVjp, e);
      expect(e, `grad_${w}`).toBeLessThanOrEqual(1e-6);
    }

    // Forward mode on the same graph: tangents for every differentiated input.
    const rng = new Rng(row.name.length * 7919);
    const jg = jvp(graph, { of: outs, wrt });
    const tans: Record<string, Float64Array> = {};
    for (const w of wrt) tans[w] = rng.normals(inputs[w]!.length);
    const jin: Record<string, ArrayLike<number>> = { ...inputs };
    for (const w of wrt) jin[`tan_${w}`] = tans[w]!;
    const jv = interpret(jg, jin);
    const fdv = forwardDiff(graph, inputs, tans, row.hf);
    let worstJvp = 0;
    for (const o of outs) {
      const e = relErr(jv[`jvp_${o}`]!, fdv[o]!, 1e-6);
      worstJvp = Math.max(worstJvp, e);
      expect(e, `jvp_${o}`).toBeLessThanOrEqual(1e-5);
    }

    // Transpose identity: ⟨J v, u⟩ with u the cotangents, ⟨v, Jᵀ u⟩ with Jᵀu the VJP outputs.
    const lhs = outs.reduce((s, o) => s + dot(jv[`jvp_${o}`]!, inputs[`ct_${o}`]!), 0);
    const rhs = wrt.reduce((s, w) => s + dot(tans[w]!, ad[`grad_${w}`]!), 0);
    expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(row.dotTol * (1 + Math.abs(rhs)));
    results.push(`${row.name.padEnd(34)} vjp rel ${worstVjp.toExponential(1)}  jvp rel ${worstJvp.toExponential(1)}  |<Jv,u>-<v,J'u>| ${Math.abs(lhs - rhs).toExponential(1)}`);
  });

  it('covers every differentiable primitive', () => {
    const ops = new Set(conformanceCases('f64').filter((c) => c.kind === 'vjp').map((c) => c.op));
    const covered = new Set([...table.map((r) => r.name.split('/')[1]), 'stopGradient']);
    expect([...ops].filter((op) => !covered.has(op!))).toEqual([]);
    console.log(`gradient check (float64), ${results.length} rows:\n  ${results.join('\n  ')}`);
  });
});

describe('subgradient conventions at non-differentiable points', () => {
  const run = (g: Graph, inputs: Record<string, ArrayLike<number>>) => interpret(vjp(g), inputs);

  it('max/min ties send the whole cotangent to the first argument', () => {
    const g = trace({ a: spec([3], 'f64'), b: spec([3], 'f64') }, ({ a, b }) => ({ y: a!.maximum(b!), z: a!.minimum(b!) }));
    const r = run(g, { a: [1, 2, 3], b: [1, 5, 0], ct_y: [10, 20, 30], ct_z: [1, 2, 3] });
    // Element 0 is a tie: both ct go to a. Element 1: b is max, a is min. Element 2: a is max, b is min.
    expect(Array.from(r.grad_a!)).toEqual([10 + 1, 2, 30]);
    expect(Array.from(r.grad_b!)).toEqual([0, 20, 3]);
  });

  it('reduceMax ties share the cotangent equally; relu and abs have zero derivative at 0', () => {
    const g = trace({ x: spec([2, 3], 'f64') }, ({ x }) => ({ m: x!.max(-1), r: x!.relu().sum(), a: x!.abs().sum() }));
    const r = run(g, { x: [4, 4, 1, 0, -1, 0], ct_m: [6, 3], ct_r: [1], ct_a: [1] });
    const expectGrad = [6 / 2 + 1 + 1, 6 / 2 + 1 + 1, 1 + 1, 3 / 2 + 0 + 0, -1, 3 / 2];
    expect(Array.from(r.grad_x!)).toEqual(expectGrad);
  });

  it('stopGradient: d/dx [stopGradient(x)·x] is x, half of what finite differences see', () => {
    const g = vjp(trace({ x: spec([3], 'f64') }, ({ x }) => ({ y: x!.stopGradient().mul(x!) })));
    const x = [0.5, -2, 3], ct = [1, 2, -1];
    const r = interpret(g, { x, ct_y: ct });
    expect(Array.from(r.grad_x!)).toEqual(x.map((v, i) => v * ct[i]!));
    const fd = centralDiff(g, { x: Float64Array.from(x), ct_y: ct }, 'x', (o) => dot(ct, o.y!), 1e-5);
    expect(relErr(Array.from(r.grad_x!, (v) => 2 * v), fd)).toBeLessThan(1e-9);
  });

  it('input names come back as grad_<name> in signature order', () => {
    const g = vjp(trace({ b: spec([2], 'f64'), a: spec([2], 'f64') }, ({ a, b }) => ({ y: a!.mul(b!) })));
    expect(g.outputs.map((o) => o.name)).toEqual(['y', 'grad_b', 'grad_a']);
    expect(g.inputs.map((id) => inputName(g, id))).toEqual(['b', 'a', 'ct_y']);
  });
});
