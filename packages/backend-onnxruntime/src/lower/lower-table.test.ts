import { ALL_OPS, concat, conv2dTranspose, interpret, oneHot, Rng, size, trace, spec, where, type DType, type Graph, type OpName, type TypedArray } from '@clt/core';
import { afterAll, describe, expect, it } from 'vitest';
import { OnnxRuntimeBackend } from '../backend.js';
import { shortBroadcastRun } from './lower-table.js';
import { lowerGraph } from './model.js';

/**
 * Every primitive lowered to ONNX and run on the CPU provider, against the float64 reference
 * `interpret` on the same inputs. These cases stand in until the core conformance suite runs here
 * too (backend.test.ts); they also pin down the lowerings with several ONNX nodes (max/min,
 * oneHot, slice, reduce without axes).
 */
interface Case { name: string; ops: OpName[]; build: (dt: DType) => Graph; inputs: (dt: DType, rng: Rng) => Record<string, number[] | Float64Array | Int32Array> }

const f = (shape: number[]) => (dt: DType) => spec(shape, dt);
const cases: Case[] = [
  { name: 'unary', ops: ['neg', 'exp', 'log', 'sqrt', 'tanh', 'sigmoid', 'relu', 'abs', 'erf'],
    build: (dt) => trace({ x: f([3, 4])(dt) }, ({ x }) => ({ neg: x.neg(), exp: x.exp(), log: x.abs().add(0.1).log(), sqrt: x.abs().sqrt(), tanh: x.tanh(), sig: x.sigmoid(), relu: x.relu(), erf: x.erf() })),
    inputs: (_, r) => ({ x: r.normals(12, 2) }) },
  { name: 'binary with broadcasting', ops: ['add', 'sub', 'mul', 'div', 'pow', 'max', 'min'],
    build: (dt) => trace({ a: f([2, 3, 4])(dt), b: f([3, 1])(dt) }, ({ a, b }) => ({ add: a.add(b), sub: a.sub(b), mul: a.mul(b), div: a.div(b.abs().add(0.5)), pow: a.abs().add(0.1).pow(b), max: a.maximum(b), min: b.minimum(a) })),
    inputs: (_, r) => ({ a: r.normals(24), b: r.normals(3) }) },
  { name: 'compare and select', ops: ['greater', 'greaterEqual', 'equal', 'where', 'cast'],
    build: (dt) => trace({ a: f([4, 3])(dt), b: f([3])(dt) }, ({ a, b }) => ({
      gt: a.greater(b).cast(dt), ge: a.greaterEqual(b).cast(dt), eq: a.equal(b), sel: where(a.greater(b), a, b.mul(2)), toInt: a.mul(3).cast('i32'), toBool: a.cast('bool') })),
    inputs: (_, r) => { const b = [0.5, -1, 0]; const a = Array.from(r.normals(12)); a[1] = b[1]!; a[5] = 0; return { a, b }; } },
  { name: 'reductions', ops: ['sum', 'reduceMax'],
    build: (dt) => trace({ x: f([2, 3, 4])(dt) }, ({ x }) => ({ s0: x.sum(0), s12: x.sum([1, 2], true), all: x.sum(), m: x.max(-1), mk: x.max([0, 2], true), none: x.sum([]) })),
    inputs: (_, r) => ({ x: r.normals(24) }) },
  { name: 'movement', ops: ['reshape', 'transpose', 'expand', 'slice', 'concat'],
    build: (dt) => trace({ x: f([2, 3, 4])(dt), y: f([2, 1, 4])(dt) }, ({ x, y }) => ({
      r: x.reshape([6, 4]), t: x.transpose([2, 0, 1]), e: y.expand([3, 2, 5, 4]), s: x.slice([0, 1, 1], [2, 3, 3]), c: concat([x, y, x], 1), c0: concat([x], 0) })),
    inputs: (_, r) => ({ x: r.normals(24), y: r.normals(8) }) },
  { name: 'indexing', ops: ['gather', 'oneHot'],
    build: (dt) => trace({ x: f([4, 5])(dt), i: spec([3], 'i32') }, ({ x, i }) => ({ g0: x.gather(i, 0), g1: x.gather(i, 1), oh: oneHot(i, 4, dt), ohNarrow: oneHot(i, 2, dt) })),
    inputs: (_, r) => ({ x: r.normals(20), i: Int32Array.of(3, 0, 2) }) },
  { name: 'matmul (batched, broadcast)', ops: ['matmul'],
    build: (dt) => trace({ a: f([2, 3, 4])(dt), b: f([4, 5])(dt), c: f([1, 5, 2])(dt) }, ({ a, b, c }) => ({ ab: a.matmul(b), abc: a.matmul(b).matmul(c) })),
    inputs: (_, r) => ({ a: r.normals(24), b: r.normals(20), c: r.normals(10) }) },
  { name: 'ordering', ops: ['sortDesc', 'cumsum', 'stopGradient'],
    build: (dt) => trace({ x: f([3, 5])(dt) }, ({ x }) => ({ s: x.sortDesc(), c: x.cumsum(-1), cr: x.cumsum(0, true), sg: x.stopGradient().mul(2) })),
    inputs: (_, r) => ({ x: r.normals(15) }) },
  { name: 'convolution (strided, padded, grouped; and its transpose)', ops: ['conv2d', 'conv2dTranspose'],
    build: (dt) => trace({ x: f([2, 4, 7, 6])(dt), w: f([6, 2, 3, 3])(dt), g: f([2, 6, 4, 3])(dt) }, ({ x, w, g }) => ({
      y: x.conv2d(w, { strides: [2, 2], pads: [1, 1, 1, 0], groups: 2 }), dx: conv2dTranspose(g, w, [7, 6], { strides: [2, 2], pads: [1, 1, 1, 0], groups: 2 }) })),
    inputs: (_, r) => ({ x: r.normals(336), w: r.normals(108), g: r.normals(144) }) },
  // Stride 1, one group, 32+ channels out: conv2dTranspose runs as a Conv with the filter's taps
  // reversed, padded by d·(k − 1) − pad (asymmetric pads and dilation here); a pad beyond the
  // kernel's reach, or few channels, keeps ConvTranspose.
  { name: 'conv2dTranspose at stride 1 (as a Conv of the reversed filter)', ops: ['conv2dTranspose'],
    build: (dt) => trace({ g: f([2, 3, 6, 5])(dt), w: f([3, 32, 3, 2])(dt), h: f([1, 3, 5, 5])(dt), v: f([3, 32, 1, 1])(dt), u: f([2, 3, 6, 5])(dt), q: f([3, 4, 3, 2])(dt) }, ({ g, w, h, v, u, q }) => ({
      dx: conv2dTranspose(g, w, [7, 6], { pads: [1, 0, 2, 1], dilations: [2, 2] }), far: conv2dTranspose(h, v, [3, 3], { pads: [1, 1, 1, 1] }),
      few: conv2dTranspose(u, q, [7, 6], { pads: [1, 0, 2, 1], dilations: [2, 2] }) })),
    inputs: (_, r) => ({ g: r.normals(180), w: r.normals(576), h: r.normals(75), v: r.normals(96), u: r.normals(180), q: r.normals(72) }) },
  { name: 'interleaved broadcasting (lowered with Expand first)', ops: [],
    build: (dt) => trace({ a: f([4, 2, 3, 2])(dt), b: f([4, 1, 3, 1])(dt) }, ({ a, b }) => ({
      add: a.add(b), sub: b.sub(a), mul: a.mul(b), div: a.div(b.abs().add(0.5)), eq: a.equal(b), gt: a.greater(b).cast(dt), ge: b.greaterEqual(a).cast(dt) })),
    inputs: (_, r) => { const a = Array.from(r.normals(48)), b = Array.from(r.normals(12)); a[0] = b[0]!; a[3] = b[0]!; return { a, b }; } },
  { name: 'i32 arithmetic', ops: [],
    build: () => trace({ a: spec([6], 'i32'), b: spec([6], 'i32') }, ({ a, b }) => ({ add: a.add(b), mul: a.mul(b), relu: a.relu(), neg: a.neg(), abs: a.abs(), cs: a.cumsum(0), max: a.maximum(b), s: a.sum(), gt: a.greater(b) })),
    inputs: () => ({ a: Int32Array.of(7, -7, 3, 0, 12, -5), b: Int32Array.of(2, 2, -4, 5, 5, -3) }) },
  { name: 'outputs that alias inputs, constants and each other', ops: ['const', 'input'],
    build: (dt) => trace({ x: f([3])(dt) }, ({ x }) => { const y = x.exp(); return { x, y, y2: y, k: x.builder.constant([1, 2, 3], [3], dt) }; }),
    inputs: (_, r) => ({ x: r.normals(3) }) },
];

// float32 against the float64 oracle: ~1e-6 relative error per elementary op on O(1) values.
const TOL: Record<string, { rtol: number; atol: number }> = { f32: { rtol: 2e-5, atol: 2e-6 }, f64: { rtol: 1e-12, atol: 1e-14 } };

function close(got: TypedArray, want: TypedArray, tol: { rtol: number; atol: number }): string | undefined {
  if (got.length !== want.length) return `length ${got.length} vs ${want.length}`;
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (Number.isNaN(w) && Number.isNaN(g)) continue;
    if (!(Math.abs(g - w) <= tol.atol + tol.rtol * Math.abs(w))) return `[${i}] got ${g}, want ${w}`;
  }
  return undefined;
}

const backend = new OnnxRuntimeBackend();
afterAll(() => backend.dispose());

describe('every IR op is covered by these cases', () => {
  it('lists all ops', () => {
    const covered = new Set(cases.flatMap((c) => c.ops));
    expect(ALL_OPS.filter((op) => !covered.has(op))).toEqual([]);
  });
});

for (const dt of ['f32', 'f64'] as const) {
  describe(`onnxruntime-cpu lowering, ${dt}, against interpret`, () => {
    for (const c of cases) {
      it(c.name, async () => {
        const g = c.build(dt);
        const inputs = c.inputs(dt, new Rng(7));
        const want = interpret(g, inputs);
        const exe = await backend.compile(g);
        const feeds = Object.fromEntries(g.inputs.map((id) => {
          const n = g.nodes[id]!, name = (n.attrs as { name: string }).name;
          return [name, { data: n.dtype === 'i32' ? Int32Array.from(inputs[name]!) : n.dtype === 'f32' ? Float32Array.from(inputs[name]!) : Float64Array.from(inputs[name]!), shape: n.shape, dtype: n.dtype }];
        }));
        // The reference computes in f64 from the f32-rounded inputs the backend sees.
        const want32 = dt === 'f32' ? interpret(g, Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, v.data]))) : want;
        const res = await exe.run(feeds);
        for (const o of g.outputs) {
          const got = await res[o.name]!.download();
          expect(got.length, o.name).toBe(size(g.nodes[o.id]!.shape));
          const err = close(got, want32[o.name]!, TOL[dt]!);
          expect(err, `${c.name} / ${o.name}`).toBeUndefined();
        }
        exe.dispose();
      });
    }
  });
}

it('const node values are cast to the node dtype (f32 rounding, i32, bool)', async () => {
  const g = trace({ x: spec([3], 'f32') }, ({ x }) => ({ y: x.add(x.builder.constant([0.1, 1 / 3, 1e-8], [3], 'f32')), i: x.builder.constant([2, -3, 7], [3], 'i32'), b: x.builder.constant([0, 1, 1], [3], 'bool') }));
  const exe = await backend.compile(g);
  const r = await exe.run({ x: { data: new Float32Array(3), shape: [3], dtype: 'f32' } });
  expect(Array.from(await r.y!.download())).toEqual([0.1, 1 / 3, 1e-8].map(Math.fround));
  expect(await r.i!.download()).toEqual(Int32Array.of(2, -3, 7));
  expect(await r.b!.download()).toEqual(Uint8Array.of(0, 1, 1));
});

it('max/min as Where(Greater): ties and broadcasting match Math.max (NaN excepted, see docs)', async () => {
  const g = trace({ a: spec([4], 'f64'), b: spec([], 'f64') }, ({ a, b }) => ({ mx: a.maximum(b), mn: a.minimum(b) }));
  const exe = await backend.compile(g);
  const a = Float64Array.of(-1, 0, 1, -0), b = Float64Array.of(0);
  const r = await exe.run({ a: { data: a, shape: [4], dtype: 'f64' }, b: { data: b, shape: [], dtype: 'f64' } });
  expect(Array.from(await r.mx!.download())).toEqual(Array.from(a, (v) => Math.max(v, 0)).map((v) => v + 0));
  expect(Array.from(await r.mn!.download())).toEqual(Array.from(a, (v) => Math.min(v, 0)).map((v) => v + 0));
});

it('f64 erf (composite of double ops) matches the reference erf to 3e-15 on [-7, 7], odd, NaN-propagating', async () => {
  const xs = Float64Array.from({ length: 1401 }, (_, i) => (i - 700) / 100);
  xs[700] = NaN;
  const g = trace({ x: spec([xs.length], 'f64') }, ({ x }) => ({ e: x.erf() }));
  const want = interpret(g, { x: xs }).e!;
  const exe = await backend.compile(g);
  const got = await (await exe.run({ x: { data: xs, shape: [xs.length], dtype: 'f64' } })).e!.download();
  expect(Number.isNaN(got[700]!)).toBe(true);
  for (let i = 0; i < xs.length; i++) if (i !== 700) expect(Math.abs(got[i]! - want[i]!), `erf(${xs[i]})`).toBeLessThan(3e-15);
  for (let i = 0; i < 700; i++) expect(got[i]).toBe(-got[1400 - i]!);
  exe.dispose();
});

describe('broadcasting on the slow path of ONNX Runtime is expanded first', () => {
  it('finds interleaved broadcasts with a short innermost run', () => {
    expect(shortBroadcastRun([5376, 1, 14, 1], [5376, 2, 14, 2])).toBe(true); // max-pool gradient
    expect(shortBroadcastRun([64, 1], [64, 10])).toBe(true);
    expect(shortBroadcastRun([1, 6, 1, 1], [64, 6, 28, 28])).toBe(false); // conv bias: a run of 784
    expect(shortBroadcastRun([120], [64, 120])).toBe(false); // suffix
    expect(shortBroadcastRun([], [64, 120])).toBe(false); // scalar
    expect(shortBroadcastRun([64, 120], [64, 120])).toBe(false); // same shape
    expect(shortBroadcastRun([4, 1, 1], [4, 1, 3])).toBe(true); // size-1 output axes merge away
    expect(shortBroadcastRun([4, 1, 32], [4, 3, 32])).toBe(false);
  });

  it('emits Expand only for those operands', () => {
    const g = trace({ a: spec([8, 2, 3, 2], 'f32'), b: spec([8, 1, 3, 1], 'f32'), d: spec([8, 40], 'f32'), e: spec([40], 'f32') }, ({ a, b, d, e }) => ({ m: a.mul(b), n: d.add(e) }));
    const ops = lowerGraph(g).model.nodes.map((n) => n.opType);
    expect(ops.filter((o) => o === 'Expand')).toHaveLength(1);
  });
});
