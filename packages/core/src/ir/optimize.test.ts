import { describe, expect, it } from 'vitest';
import { GraphBuilder, optimize, spec, trace } from './builder.js';
import type { Graph } from './graph.js';
import { opCount } from './graph.js';
import type { Tensor } from './tensor.js';
import { gradients, grad as gradT } from '../ad/gradients.js';
import { interpret } from '../reference/interpret.js';
import { Rng } from '../util/random.js';
import { mlpGraph, mlpInputs, softmaxCrossEntropy } from '../testing/index.js';
import { hostCopy, relErr } from '../testing/finite-differences.js';

/**
 * CSE, constant folding and identities happen in `GraphBuilder.emit`; DCE in `build`. Build the
 * same derivative graph with them off and on, print node counts, and check the results agree.
 */
const SPECS = {
  x: spec([4, 3], 'f64'), y: spec([4], 'i32'),
  w1: spec([3, 5], 'f64'), b1: spec([5], 'f64'), w2: spec([5, 3], 'f64'), b2: spec([3], 'f64'),
};

/** Loss, gradient and a gradient-of-gradient-norm (a second-order graph), traced in one builder. */
function derivativeGraph(optimizeOn: boolean): Graph {
  return trace(SPECS, ({ x, y, w1, b1, w2, b2 }) => {
    const ws = [w1!, b1!, w2!, b2!];
    const logits = x!.matmul(w1!).add(b1!).tanh().matmul(w2!).add(b2!);
    const loss = softmaxCrossEntropy(logits, y!);
    const gs = gradT(loss, ws);
    const norm2 = gs.map((g) => g.mul(g).sum()).reduce((a, b) => a.add(b));
    const ggs = gradT(norm2, ws);
    const out: Record<string, Tensor> = { loss };
    ['w1', 'b1', 'w2', 'b2'].forEach((n, i) => { out[`grad_${n}`] = gs[i]!; out[`ggrad_${n}`] = ggs[i]!; });
    return out;
  }, { optimize: optimizeOn });
}

describe('graph optimizations shrink derivative graphs', () => {
  const raw = derivativeGraph(false), opt = derivativeGraph(true);
  const rng = new Rng(3);
  const inputs = hostCopy(mlpInputs(raw, rng));

  it('CSE + constant folding + identities: fewer ops, same values', () => {
    const reopt = optimize(raw);
    console.log(`loss + grad + grad of ‖grad‖²: ${opCount(raw)} ops unoptimized, ${opCount(opt)} traced optimized, ${opCount(reopt)} after optimize(raw); nodes ${raw.nodes.length} → ${opt.nodes.length}`);
    expect(opCount(opt)).toBeLessThan(0.8 * opCount(raw));
    expect(opCount(reopt)).toBeLessThanOrEqual(opCount(opt));
    const a = interpret(raw, inputs), b = interpret(opt, inputs), c = interpret(reopt, inputs);
    for (const o of raw.outputs) {
      expect(relErr(b[o.name]!, a[o.name]!), o.name).toBeLessThan(1e-13);
      expect(relErr(c[o.name]!, a[o.name]!), o.name).toBeLessThan(1e-13);
    }
  });

  it('optimize is idempotent on the graph transforms of core', () => {
    const g = mlpGraph('f64');
    expect(opCount(optimize(optimize(g)))).toBe(opCount(optimize(g)));
  });

  it('CSE merges structurally equal subexpressions', () => {
    const build = (on: boolean) => trace({ x: spec([3], 'f64') }, ({ x }) => ({ y: x!.exp().add(x!.exp()).mul(x!.exp()) }), { optimize: on });
    const off = build(false), on = build(true);
    console.log(`exp(x)+exp(x) times exp(x): ${opCount(off)} ops without CSE, ${opCount(on)} with`);
    expect(opCount(off)).toBe(5);
    expect(opCount(on)).toBe(3);
    expect(on.nodes.filter((n) => n.op === 'exp')).toHaveLength(1);
  });

  it('constant folding and identities remove work on constants', () => {
    const build = (on: boolean) => trace({ x: spec([2, 2], 'f64') }, ({ x }, b) => {
      const k = b.constant([1, 2, 3, 4], [2, 2], 'f64').mul(2).add(1).exp(); // all-constant: folds to one const
      return { y: x!.mul(k).add(0).mul(1).neg().neg() };                       // x·k after the identities
    }, { optimize: on });
    const off = build(false), on = build(true);
    console.log(`constant chain: ${opCount(off)} ops unfolded, ${opCount(on)} folded`);
    expect(opCount(on)).toBe(1);
    expect(opCount(off)).toBeGreaterThan(6);
    const x = [0.5, -1, 2, 0.25];
    expect(Array.from(interpret(on, { x }).y!)).toEqual(Array.from(interpret(off, { x }).y!));
  });

  it('DCE: build keeps only what the outputs need (inputs always stay)', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [3], 'f64'), unused = b.input('u', [3], 'f64');
    x.exp().log().sum(); unused.tanh(); // dead
    const g = b.build({ y: x.sqrt() });
    expect(b.nodes.length).toBeGreaterThan(g.nodes.length);
    expect(g.nodes.map((n) => n.op)).toEqual(['input', 'input', 'sqrt']);
  });

  it('gradients with respect to unreached inputs are zero fills, not dead subgraphs', () => {
    const g = trace({ x: spec([3], 'f64'), z: spec([3], 'f64') }, ({ x, z }) => {
      const [gx, gz] = gradients([x!.mul(x!).sum()], [x!, z!], [x!.builder.fill(1, [], 'f64')]);
      return { gx: gx!, gz: gz! };
    });
    const r = interpret(g, { x: [1, 2, 3], z: [4, 5, 6] });
    expect(Array.from(r.gz!)).toEqual([0, 0, 0]);
    expect(Array.from(r.gx!)).toEqual([2, 4, 6]);
  });
});
