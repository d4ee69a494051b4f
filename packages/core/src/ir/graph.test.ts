import { describe, expect, it } from 'vitest';
import { spec, trace } from './builder.js';
import { graphKey, inputSpecs, opCount, outputSpecs, printGraph } from './graph.js';
import { grad } from '../ad/transforms.js';

const f = (n = 3, k = 2) => trace({ x: spec([4, n]), w: spec([n, k]) }, ({ x, w }) => ({ y: x!.matmul(w!).relu(), s: x!.sum() }));

describe('printGraph', () => {
  it('prints one line per node: id, dtype, shape, op, operands, attrs, output names', () => {
    const g = f();
    const lines = printGraph(g).split('\n');
    expect(lines).toHaveLength(g.nodes.length);
    g.nodes.forEach((n, i) => {
      expect(lines[i]).toMatch(new RegExp(`^%${n.id} ${n.dtype}\\[${n.shape.join(',')}\\] = ${n.op}`));
      for (const inp of n.inputs) expect(lines[i]).toContain(`%${inp}`);
    });
    const mm = g.nodes.find((n) => n.op === 'matmul')!, relu = g.nodes.find((n) => n.op === 'relu')!;
    expect(lines[mm.id]).toBe(`%${mm.id} f32[4,2] = matmul %0 %1`);
    expect(lines[relu.id]).toBe(`%${relu.id} f32[4,2] = relu %${mm.id}   -> y`);
    expect(lines[0]).toBe('%0 f32[4,3] = input "x"');
    expect(printGraph(g)).toMatch(/= sum %0 axes=\[0,1\] keepDims=false {3}-> s/);
  });

  it('shows small constants by value and large ones by count', () => {
    const ten = Array.from({ length: 10 }, (_, i) => i);
    const g = trace({ x: spec([2]), v: spec([10]) }, ({ x, v }, b) => ({ y: x!.add(b.constant([1, 2], [2])), z: v!.add(b.constant(ten, [10])), t: x!.sum().add(b.constant(ten, [10]).sum()) }));
    const text = printGraph(g);
    expect(text).toContain('= const [1, 2]');
    expect(text).toContain('= const [10 values]');
    expect(text).toContain('= const [45]'); // the sum of a constant is folded
  });
});

describe('graphKey', () => {
  it('is stable: equal traces give equal keys, across separate traces and transforms', () => {
    expect(graphKey(f())).toBe(graphKey(f()));
    expect(graphKey(grad(f(), { of: 's' }))).toBe(graphKey(grad(f(), { of: 's' })));
    expect(graphKey(f())).toMatch(/^[0-9a-f]{16}-\d+$/);
  });

  it('changes with shapes, attrs, dtypes, wiring and output names', () => {
    const base = graphKey(f());
    const keys = [
      graphKey(f(5)),
      graphKey(f(3, 3)),
      graphKey(trace({ x: spec([4, 3]), w: spec([3, 2]) }, ({ x, w }) => ({ y: x!.matmul(w!).relu(), t: x!.sum() }))),
      graphKey(trace({ x: spec([4, 3]), w: spec([3, 2]) }, ({ x, w }) => ({ y: x!.matmul(w!).tanh(), s: x!.sum() }))),
      graphKey(trace({ x: spec([4, 3]), w: spec([3, 2]) }, ({ x, w }) => ({ y: x!.matmul(w!).relu(), s: x!.sum(0) }))),
      graphKey(trace({ x: spec([4, 3], 'f64'), w: spec([3, 2], 'f64') }, ({ x, w }) => ({ y: x!.matmul(w!).relu(), s: x!.sum() }))),
    ];
    for (const k of keys) expect(k).not.toBe(base);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('distinguishes constants by value', () => {
    const c = (v: number) => trace({ x: spec([2]) }, ({ x }) => ({ y: x!.mul(v) }));
    expect(graphKey(c(2))).not.toBe(graphKey(c(3)));
    expect(graphKey(c(2))).toBe(graphKey(c(2)));
  });
});

describe('graph metadata', () => {
  it('inputSpecs, outputSpecs and opCount describe the signature', () => {
    const g = f();
    expect(inputSpecs(g)).toEqual({ x: { shape: [4, 3], dtype: 'f32' }, w: { shape: [3, 2], dtype: 'f32' } });
    expect(outputSpecs(g)).toEqual({ y: { shape: [4, 2], dtype: 'f32' }, s: { shape: [], dtype: 'f32' } });
    expect(opCount(g)).toBe(g.nodes.filter((n) => n.op !== 'input' && n.op !== 'const').length);
    expect(opCount(g)).toBe(3);
  });
});

describe('selectOutputs', () => {
  it('keeps only what the named outputs need, every input, and the same values', async () => {
    const { trace, spec, interpret, selectOutputs, opCount } = await import('../index.js');
    const g = trace({ x: spec([3], 'f64'), unused: spec([2], 'f64') }, ({ x }) => ({ a: x.exp().sum(), b: x.tanh().mul(2) }));
    const p = selectOutputs(g, ['a']);
    expect(p.outputs.map((o) => o.name)).toEqual(['a']);
    expect(p.inputs.length).toBe(2);
    expect(opCount(p)).toBeLessThan(opCount(g));
    expect(p.nodes.some((n) => n.op === 'tanh')).toBe(false);
    const x = [0.1, -0.4, 2];
    expect(interpret(p, { x, unused: [0, 0] }).a![0]).toBe(interpret(g, { x, unused: [0, 0] }).a![0]);
  });
});
