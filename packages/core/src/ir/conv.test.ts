import { describe, expect, it } from 'vitest';
import { spec, trace } from './builder.js';
import { conv2dFilterGrad, conv2dTranspose, convAttrs } from './conv.js';
import { ShapeError } from './shape.js';
import { interpret } from '../reference/interpret.js';
import { Rng } from '../util/random.js';
import { CONV_GEOMETRIES, convOutShape } from '../testing/forward-cases.js';
import { dot, relErr } from '../testing/finite-differences.js';

/**
 * conv2d, conv2dTranspose and the poolings against oracles written independently of the
 * reference kernel: an explicitly zero-padded copy of the input and a direct sum per output
 * (conv), the adjoint identity ⟨conv(x, w), g⟩ = ⟨x, convᵀ(g, w)⟩ (transpose), and plain loops
 * over windows (pools, padding counted as zero for the average).
 */
const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function oracleConv(x: Float64Array, xs: number[], w: Float64Array, ws: number[], o: { strides?: readonly number[]; pads?: readonly number[]; dilations?: readonly number[]; groups?: number }): { y: number[]; shape: number[] } {
  const [N, C, H, W] = xs as [number, number, number, number], [O, Cg, kh, kw] = ws as [number, number, number, number];
  const [s0, s1] = o.strides ?? [1, 1], [pt, pl, pb, pr] = o.pads ?? [0, 0, 0, 0], [d0, d1] = o.dilations ?? [1, 1], G = o.groups ?? 1;
  const Hp = H + pt! + pb!, Wp = W + pl! + pr!;
  const pad = new Float64Array(N * C * Hp * Wp);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let v = 0; v < W; v++)
    pad[((n * C + c) * Hp + h + pt!) * Wp + v + pl!] = x[((n * C + c) * H + h) * W + v]!;
  const Ho = Math.floor((Hp - d0! * (kh - 1) - 1) / s0!) + 1, Wo = Math.floor((Wp - d1! * (kw - 1) - 1) / s1!) + 1;
  const y: number[] = [];
  for (let n = 0; n < N; n++) for (let oc = 0; oc < O; oc++) {
    const g = Math.floor(oc / (O / G));
    for (let a = 0; a < Ho; a++) for (let b = 0; b < Wo; b++) {
      let s = 0;
      for (let c = 0; c < Cg; c++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++)
        s += pad[((n * C + g * Cg + c) * Hp + a * s0! + i * d0!) * Wp + b * s1! + j * d1!]! * w[((oc * Cg + c) * kh + i) * kw + j]!;
      y.push(s);
    }
  }
  return { y, shape: [N, O, Ho, Wo] };
}

describe('conv2d and conv2dTranspose (float64 reference)', () => {
  const rng = new Rng(31);

  it('a hand-computed 3×3 ⋆ 2×2 example', () => {
    const g = trace({ x: spec([1, 1, 3, 3], 'f64'), w: spec([1, 1, 2, 2], 'f64') }, ({ x, w }) => ({ y: x!.conv2d(w!) }));
    const r = interpret(g, { x: [1, 2, 3, 4, 5, 6, 7, 8, 9], w: [1, 0, 0, -1] });
    expect(Array.from(r.y!)).toEqual([1 - 5, 2 - 6, 4 - 8, 5 - 9]);
  });

  it.each(CONV_GEOMETRIES.map((c) => [c.name || '/plain', c] as const))('conv2d%s equals a padded direct sum; conv2dTranspose is its adjoint', (_, { x: xs, w: ws, o }) => {
    const x = rng.normals(prod(xs)), w = rng.normals(prod(ws));
    const ys = convOutShape(xs, ws, o), gv = rng.normals(prod(ys));
    const g = trace({ x: spec(xs, 'f64'), w: spec(ws, 'f64'), g: spec(ys, 'f64') }, ({ x, w, g }) => ({ y: x!.conv2d(w!, o), dx: conv2dTranspose(g!, w!, xs.slice(2), o) }));
    const r = interpret(g, { x, w, g: gv });
    const want = oracleConv(x, [...xs], w, [...ws], o);
    expect(want.shape).toEqual(ys);
    expect(relErr(r.y!, want.y, 1)).toBeLessThan(1e-13);
    // ⟨conv(x, w), g⟩ = ⟨x, convᵀ(g, w)⟩ for every x, g: convᵀ is exactly the adjoint.
    expect(Math.abs(dot(r.y!, gv) - dot(x, r.dx!))).toBeLessThan(1e-12 * (1 + Math.abs(dot(x, r.dx!))));
  });

  // The filter gradient is a composite (one product per kernel tap, or one over the stacked taps
  // when there are few output positions; a swapped-role conv for groups > 1): each against the
  // direct sum dW[o, c, i, j] = Σ_{n, a, b} g[n, o, a, b] · xpad[n, c', a·s + i·d, b·s + j·d].
  const wide: (typeof CONV_GEOMETRIES)[number] = { name: '/many-positions', x: [2, 2, 66, 66], w: [3, 2, 3, 3], o: { pads: [1, 0, 1, 2] } }; // 2·66·66 > 8192 positions: per tap
  const wideStrided: (typeof CONV_GEOMETRIES)[number] = { name: '/many-positions-strided', x: [2, 3, 181, 181], w: [2, 3, 3, 2], o: { strides: [2, 3], pads: [0, 1, 1, 0], dilations: [1, 2] } };
  it.each([...CONV_GEOMETRIES, wide, wideStrided].map((c) => [c.name || '/plain', c] as const))('conv2dFilterGrad%s equals the direct sum', (_, { x: xs, w: ws, o }) => {
    const x = rng.normals(prod(xs)), ys = convOutShape(xs, ws, o), gv = rng.normals(prod(ys));
    const g = trace({ x: spec(xs, 'f64'), g: spec(ys, 'f64') }, ({ x, g }) => ({ dw: conv2dFilterGrad(x!, g!, convAttrs(o), ws) }));
    const r = interpret(g, { x, g: gv });
    const [N, C, H, W] = xs as [number, number, number, number], [O, Cg, kh, kw] = ws as [number, number, number, number], [, , Ho, Wo] = ys as [number, number, number, number];
    const [s0, s1] = o.strides ?? [1, 1], [pt, pl] = o.pads ?? [0, 0, 0, 0], [d0, d1] = o.dilations ?? [1, 1], G = o.groups ?? 1;
    const want: number[] = [];
    for (let oc = 0; oc < O; oc++) for (let c = 0; c < Cg; c++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
      const ch = Math.floor(oc / (O / G)) * Cg + c;
      let sum = 0;
      for (let n = 0; n < N; n++) for (let a = 0; a < Ho; a++) for (let b = 0; b < Wo; b++) {
        const h = a * s0! + i * d0! - pt!, v = b * s1! + j * d1! - pl!;
        if (h >= 0 && h < H && v >= 0 && v < W) sum += gv[((n * O + oc) * Ho + a) * Wo + b]! * x[((n * C + ch) * H + h) * W + v]!;
      }
      want.push(sum);
    }
    expect(relErr(r.dw!, want, 1)).toBeLessThan(1e-13);
  });

  it('refuses mismatched channels, groups that do not divide, kernels that do not fit, and a transpose of the wrong size', () => {
    const f = (xs: number[], ws: number[], o = {}) => () => trace({ x: spec(xs, 'f64'), w: spec(ws, 'f64') }, ({ x, w }) => ({ y: x!.conv2d(w!, o) }));
    expect(f([1, 3, 5, 5], [2, 2, 3, 3])).toThrow(/input has 3 channels but filter \[2,2,3,3\] with groups = 1 expects 2/);
    expect(f([1, 4, 5, 5], [3, 2, 3, 3], { groups: 2 })).toThrow(/3 output channels, not divisible by groups = 2/);
    expect(f([1, 1, 2, 5], [1, 1, 3, 3])).toThrow(ShapeError);
    expect(f([1, 1, 2, 5], [1, 1, 3, 3], { pads: [1, 1, 0, 1] })).not.toThrow();
    expect(f([1, 1, 5, 5], [1, 1, 3, 3], { strides: [0, 1] })).toThrow(/strides must be two integers >= 1/);
    expect(f([1, 1, 5, 5], [1, 1, 3, 3], { pads: [1, 1] })).toThrow(/pads must be four integers/);
    expect(f([1, 1, 5], [1, 1, 3, 3])).toThrow(/rank 4/);
    expect(() => trace({ g: spec([1, 1, 3, 3], 'f64'), w: spec([1, 1, 3, 3], 'f64') }, ({ g, w }) => ({ y: conv2dTranspose(g!, w!, [6, 6]) }))).toThrow(/a conv2d of size \[6,6\] gives \[4,4\], not the input's \[3,3\]/);
  });
});

describe('pooling composites', () => {
  const rng = new Rng(37);
  const loops = (x: Float64Array, [N, C, H, W]: number[], [kh, kw]: number[], [sh, sw]: number[], [pt, pl, pb, pr]: number[], kind: 'avg' | 'max') => {
    const Ho = Math.floor((H! + pt! + pb! - kh!) / sh!) + 1, Wo = Math.floor((W! + pl! + pr! - kw!) / sw!) + 1, out: number[] = [];
    for (let p = 0; p < N! * C!; p++) for (let a = 0; a < Ho; a++) for (let b = 0; b < Wo; b++) {
      let acc = kind === 'avg' ? 0 : -Infinity;
      for (let i = 0; i < kh!; i++) for (let j = 0; j < kw!; j++) {
        const h = a * sh! - pt! + i, v = b * sw! - pl! + j;
        if (h < 0 || h >= H! || v < 0 || v >= W!) continue;
        const e = x[(p * H! + h) * W! + v]!;
        acc = kind === 'avg' ? acc + e : Math.max(acc, e);
      }
      out.push(kind === 'avg' ? acc / (kh! * kw!) : acc);
    }
    return out;
  };
  const shapes: [number[], number[], number[] | undefined, number[] | undefined][] = [
    [[2, 3, 6, 6], [2, 2], undefined, undefined],
    [[1, 2, 7, 5], [2, 2], undefined, undefined], // odd sizes: the last row/column is dropped
    [[2, 2, 7, 7], [3, 3], [2, 2], [1, 1, 1, 1]], // ResNet's stem pool
    [[1, 2, 5, 6], [2, 3], [1, 2], [0, 1, 1, 0]],
    [[1, 1, 4, 4], [3, 3], [1, 1], [0, 0, 0, 0]],
  ];
  it.each(shapes.map((s) => [JSON.stringify(s), s] as const))('avgPool2d and maxPool2d %s equal plain loops', (_, [xs, k, s, p]) => {
    const x = rng.normals(prod(xs));
    const g = trace({ x: spec(xs, 'f64') }, ({ x }) => ({ a: x!.avgPool2d(k, { ...(s ? { strides: s } : {}), ...(p ? { pads: p } : {}) }), m: x!.maxPool2d(k, { ...(s ? { strides: s } : {}), ...(p ? { pads: p } : {}) }) }));
    const r = interpret(g, { x });
    const st = s ?? k, pd = p ?? [0, 0, 0, 0];
    expect(relErr(r.a!, loops(x, xs, k, st, pd, 'avg'), 1)).toBeLessThan(1e-14);
    expect(Array.from(r.m!)).toEqual(loops(x, xs, k, st, pd, 'max'));
  });

  it('globalAvgPool is the spatial mean; pools refuse pads as large as the kernel', () => {
    const x = rng.normals(2 * 3 * 4 * 5);
    const r = interpret(trace({ x: spec([2, 3, 4, 5], 'f64') }, ({ x }) => ({ y: x!.globalAvgPool() })), { x });
    const want = Array.from({ length: 6 }, (_, p) => x.slice(p * 20, p * 20 + 20).reduce((a, b) => a + b, 0) / 20);
    expect(relErr(r.y!, want, 1)).toBeLessThan(1e-14);
    expect(() => trace({ x: spec([1, 1, 4, 4], 'f64') }, ({ x }) => ({ y: x!.maxPool2d([2, 2], { pads: [2, 0, 0, 0] }) }))).toThrow(/smaller than the kernel/);
  });
});
