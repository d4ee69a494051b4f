import { ALL_OPS, concat, conv2dTranspose, interpret, oneHot, Rng, size, spec, trace, where, type DType, type Graph, type OpName, type TypedArray } from '@clt/core';
import { afterAll, describe, expect, it } from 'vitest';
import { TfjsBackend } from '../backend.js';
import type { TfjsPlatform } from './lower-table.js';

/**
 * Every primitive lowered to tfjs and run on each platform available here, against the float64
 * reference `interpret` evaluated on the same float32-rounded inputs. These cases pin down the
 * lowerings with several tfjs calls (max/min NaN, relu NaN on webgpu, sortDesc with NaN, batched
 * matmul broadcasting, cast to bool, oneHot out of range) next to the core conformance suite.
 */
interface Case { name: string; ops: OpName[]; build: (dt: DType) => Graph; inputs: (rng: Rng) => Record<string, ArrayLike<number>> }

const f = (shape: number[], dt: DType) => spec(shape, dt);
const cases: Case[] = [
  { name: 'unary', ops: ['neg', 'exp', 'log', 'sqrt', 'tanh', 'sigmoid', 'relu', 'abs', 'erf'],
    build: (dt) => trace({ x: f([3, 4], dt) }, ({ x }) => ({ neg: x.neg(), exp: x.exp(), log: x.abs().add(0.1).log(), sqrt: x.abs().sqrt(), tanh: x.tanh(), sig: x.sigmoid(), relu: x.relu(), abs: x.abs(), erf: x.erf() })),
    inputs: (r) => ({ x: r.normals(12, 2) }) },
  { name: 'binary with broadcasting', ops: ['add', 'sub', 'mul', 'div', 'pow', 'max', 'min'],
    build: (dt) => trace({ a: f([2, 3, 4], dt), b: f([3, 1], dt) }, ({ a, b }) => ({ add: a.add(b), sub: a.sub(b), mul: a.mul(b), div: a.div(b.abs().add(0.5)), pow: a.abs().add(0.1).pow(b), max: a.maximum(b), min: b.minimum(a) })),
    inputs: (r) => ({ a: r.normals(24), b: r.normals(3) }) },
  { name: 'compare and select', ops: ['greater', 'greaterEqual', 'equal', 'where', 'cast'],
    build: (dt) => trace({ a: f([4, 3], dt), b: f([3], dt) }, ({ a, b }) => ({
      gt: a.greater(b).cast(dt), ge: a.greaterEqual(b).cast(dt), eq: a.equal(b), sel: where(a.greater(b), a, b.mul(2)), toInt: a.mul(3).cast('i32'), toBool: a.cast('bool'), back: a.cast('bool').cast('i32').cast(dt) })),
    inputs: (r) => { const b = [0.5, -1, 0]; const a = Array.from(r.normals(12)); a[1] = b[1]!; a[5] = 0; a[7] = 0.1; return { a, b }; } },
  { name: 'reductions', ops: ['sum', 'reduceMax'],
    build: (dt) => trace({ x: f([2, 3, 4], dt) }, ({ x }) => ({ s0: x.sum(0), s12: x.sum([1, 2], true), all: x.sum(), m: x.max(-1), mk: x.max([0, 2], true), none: x.sum([]) })),
    inputs: (r) => ({ x: r.normals(24) }) },
  { name: 'movement', ops: ['reshape', 'transpose', 'expand', 'slice', 'concat'],
    build: (dt) => trace({ x: f([2, 3, 4], dt), y: f([2, 1, 4], dt) }, ({ x, y }) => ({
      r: x.reshape([6, 4]), t: x.transpose([2, 0, 1]), e: y.expand([3, 2, 5, 4]), s: x.slice([0, 1, 1], [2, 3, 3]), c: concat([x, y, x], 1), c0: concat([x], 0), eb: y.greater(0).expand([2, 3, 4]).cast(dt) })),
    inputs: (r) => ({ x: r.normals(24), y: r.normals(8) }) },
  { name: 'indexing', ops: ['gather', 'oneHot'],
    build: (dt) => trace({ x: f([4, 5], dt), i: spec([3], 'i32') }, ({ x, i }) => ({ g0: x.gather(i, 0), g1: x.gather(i, 1), oh: oneHot(i, 4, dt), ohNarrow: oneHot(i, 2, dt), ohInt: oneHot(i, 3, 'i32') })),
    inputs: () => ({ x: Float64Array.from({ length: 20 }, (_, k) => k * 0.25 - 2), i: Int32Array.of(3, 0, 2) }) },
  { name: 'matmul (batched, broadcast)', ops: ['matmul'],
    build: (dt) => trace({ a: f([2, 3, 4], dt), b: f([4, 5], dt), c: f([1, 5, 2], dt), e: f([2, 4, 3], dt), d: f([3, 2, 1, 4, 3], dt) }, ({ a, b, c, d, e }) => ({
      ab: a.matmul(b), abc: a.matmul(b).matmul(c), be: b.T.matmul(e), de: d.matmul(e.slice([0, 0, 0], [1, 3, 3]).reshape([3, 3])), dd: d.matmul(d.transpose([0, 1, 2, 4, 3])) })),
    inputs: (r) => ({ a: r.normals(24), b: r.normals(20), c: r.normals(10), e: r.normals(24), d: r.normals(72) }) },
  // Plain, grouped (split per group), depthwise, stride with dilation (filter dilated explicitly),
  // and transposes with groups and with dilation (tfjs's conv2dTranspose has none).
  { name: 'convolution and its transpose', ops: ['conv2d', 'conv2dTranspose'],
    build: (dt) => trace({ x: f([2, 4, 7, 6], dt), w: f([6, 2, 3, 3], dt), d: f([4, 1, 3, 3], dt), v: f([3, 4, 2, 2], dt), g: f([2, 6, 4, 3], dt), h: f([2, 3, 3, 2], dt) }, ({ x, w, d, v, g, h }) => ({
      grouped: x.conv2d(w, { strides: [2, 2], pads: [1, 1, 1, 0], groups: 2 }),
      depthwise: x.conv2d(d, { strides: [2, 1], pads: [1, 1, 1, 1], groups: 4 }),
      strideDil: x.conv2d(v, { strides: [2, 2], dilations: [2, 2] }),
      tGrouped: conv2dTranspose(g, w, [7, 6], { strides: [2, 2], pads: [1, 1, 1, 0], groups: 2 }),
      tDil: conv2dTranspose(h, v, [7, 6], { strides: [2, 2], dilations: [2, 2] }) })),
    inputs: (r) => ({ x: r.normals(336), w: r.normals(108), d: r.normals(36), v: r.normals(48), g: r.normals(144), h: r.normals(36) }) },
  { name: 'ordering', ops: ['sortDesc', 'cumsum', 'stopGradient'],
    build: (dt) => trace({ x: f([3, 5], dt) }, ({ x }) => ({
      s: x.sortDesc(), c: x.cumsum(-1), cr: x.cumsum(0, true), sg: x.stopGradient().mul(2),
      // Several axis lengths in one graph: tfjs-webgpu's own reverse scan reuses shaders across lengths.
      cr5: x.cumsum(-1, true), cr4: x.slice([0, 0], [3, 4]).cumsum(-1, true), cr2: x.slice([0, 0], [2, 2]).cumsum(0, true) })),
    inputs: (r) => ({ x: r.normals(15) }) },
  { name: 'i32 arithmetic', ops: [],
    build: () => trace({ a: spec([6], 'i32'), b: spec([6], 'i32') }, ({ a, b }) => ({ add: a.add(b), mul: a.mul(b), relu: a.relu(), neg: a.neg(), abs: a.abs(), cs: a.cumsum(0), csr: a.cumsum(0, true), max: a.maximum(b), min: a.minimum(b), s: a.sum(), m: a.max(), gt: a.greater(b), toF: a.cast('f32') })),
    inputs: () => ({ a: Int32Array.of(7, -7, 3, 0, 12, -5), b: Int32Array.of(2, 2, -4, 5, 5, -3) }) },
  { name: 'NaN and infinities (reference semantics)', ops: [],
    build: (dt) => trace({ x: f([6], dt), y: f([6], dt), m: f([3, 4], dt) }, ({ x, y, m }) => ({
      relu: x.relu(), mxy: x.maximum(y), myx: y.maximum(x), nxy: x.minimum(y), nyx: y.minimum(x), rmax: m.max(-1), sort: m.sortDesc(),
      toBool: x.cast('bool').cast('i32'), pow0: x.mul(0).pow(y.minimum(-1)), eq: x.equal(x) })),
    inputs: () => ({ x: [NaN, 1, -1, 0, Infinity, -Infinity], y: [0, NaN, 2, -3, NaN, 1], m: [NaN, 1, 2, 3, 1, NaN, Infinity, 2, -1, 4, 3, NaN] }) },
  { name: 'outputs that alias inputs, constants and each other', ops: ['const', 'input'],
    build: (dt) => trace({ x: f([3], dt) }, ({ x }) => { const y = x.exp(); return { x, y, y2: y, k: x.builder.constant([1, 2, 3], [3], dt) }; }),
    inputs: (r) => ({ x: r.normals(3) }) },
];

// float32 against the float64 oracle on O(1) values: a few ulps (6e-8) per op, over chains of at
// most ~10 ops and sums of ≤ 24 terms. erf and pow get more on wasm/webgpu (polynomial kernels).
const TOL = { rtol: 2e-5, atol: 2e-6 };

function close(got: TypedArray, want: TypedArray, tol: { rtol: number; atol: number }): string | undefined {
  if (got.length !== want.length) return `length ${got.length} vs ${want.length}`;
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (Number.isNaN(w) || Number.isNaN(g)) { if (Number.isNaN(w) && Number.isNaN(g)) continue; return `[${i}] got ${g}, want ${w}`; }
    if (g === w) continue;
    if (!(Math.abs(g - w) <= tol.atol + tol.rtol * Math.abs(w))) return `[${i}] got ${g}, want ${w}`;
  }
  return undefined;
}

function hostInputs(g: Graph, inputs: Record<string, ArrayLike<number>>) {
  return Object.fromEntries(g.inputs.map((id) => {
    const n = g.nodes[id]!, name = (n.attrs as { name: string }).name, v = inputs[name]!;
    const data = n.dtype === 'i32' ? Int32Array.from(v) : n.dtype === 'bool' ? Uint8Array.from(v) : n.dtype === 'f32' ? Float32Array.from(v) : Float64Array.from(v);
    return [name, { data, shape: n.shape, dtype: n.dtype }];
  }));
}

const platforms: { platform: TfjsPlatform; backend: TfjsBackend; reason?: string }[] = [];
for (const p of ['cpu', 'wasm', 'webgpu'] as const) {
  const backend = new TfjsBackend({ platform: p });
  const a = await backend.availability();
  platforms.push({ platform: p, backend, ...(a.available ? {} : { reason: a.reason }) });
}
afterAll(async () => { for (const p of platforms) await p.backend.dispose(); });

it('every IR op is covered by these cases', () => {
  const covered = new Set(cases.flatMap((c) => c.ops));
  expect(ALL_OPS.filter((op) => !covered.has(op))).toEqual([]);
});

for (const { platform, backend, reason } of platforms) {
  const title = reason ? `tfjs-${platform} lowering: SKIPPED, unavailable here: ${reason}` : `tfjs-${platform} lowering against interpret (f32 and f64-as-f32)`;
  if (reason) console.warn(title);
  describe.skipIf(!!reason)(title, () => {
    for (const dt of ['f32', 'f64'] as const) {
      for (const c of cases) {
        it(`${dt}: ${c.name}`, async () => {
          const g = c.build(dt);
          const feeds = hostInputs(g, c.inputs(new Rng(7)));
          // The oracle sees the float32-rounded values the backend computes on.
          const want = interpret(g, Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, dt === 'f64' && v.data instanceof Float64Array ? Float32Array.from(v.data) : v.data])));
          const exe = await backend.compile(g);
          expect(exe.warnings.some((w) => w.includes('float64')), 'f64 warning').toBe(dt === 'f64' && g.nodes.some((n) => n.dtype === 'f64'));
          const res = await exe.run(feeds);
          for (const o of g.outputs) {
            const t = res[o.name]!;
            expect(t.dtype, o.name).toBe(g.nodes[o.id]!.dtype);
            const got = await t.download();
            expect(got.length, o.name).toBe(size(g.nodes[o.id]!.shape));
            expect(close(got, want[o.name]!, TOL), `${c.name} / ${o.name}`).toBeUndefined();
            t.dispose();
          }
          exe.dispose();
        });
      }
    }
  });
}
