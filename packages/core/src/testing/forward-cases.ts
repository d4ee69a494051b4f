import type { BinaryOp, UnaryOp } from '../ir/ops.js';
import { BINARY_OPS, COMPARE_OPS, UNARY_OPS } from '../ir/ops.js';
import { concat, oneHot, where } from '../ir/tensor.js';
import { conv2dTranspose, type Conv2dOptions } from '../ir/conv.js';
import { convOutSize } from '../ir/shape.js';
import { Rng } from '../util/random.js';
import { SPECIAL, inp, makeCase, type ConformanceCase, type Domain } from './case.js';

type F = 'f32' | 'f64';

/** Domain of each unary op's argument: inside where the function is smooth and well conditioned. */
const UNARY_DOMAIN: Record<UnaryOp, Domain> = {
  neg: 'normal', exp: 'normal', log: 'positive', sqrt: 'positive', tanh: 'normal',
  sigmoid: 'normal', relu: 'away', abs: 'away', erf: 'normal',
};
/** Domains of the two operands of each binary op. */
const BINARY_DOMAIN: Record<BinaryOp, [Domain, Domain]> = {
  add: ['normal', 'normal'], sub: ['normal', 'normal'], mul: ['normal', 'normal'],
  div: ['normal', 'away'], pow: ['positive', 'exponent'], max: ['normal', 'normal'], min: ['normal', 'normal'],
};

function unaryCases(rng: Rng, f: F): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const op of UNARY_OPS) {
    const un = (x: any) => ({ y: x[op]() });
    out.push(makeCase(rng, `forward/${op}`, 'forward', op, { x: inp([3, 4], f, UNARY_DOMAIN[op]) }, ({ x }) => un(x)));
    out.push(makeCase(rng, `forward/${op}/nan-inf`, 'forward', op, { x: inp([SPECIAL.length], f, undefined, SPECIAL) }, ({ x }) => un(x)));
  }
  out.push(makeCase(rng, 'forward/exp/zero-size', 'forward', 'exp', { x: inp([0, 3], f) }, ({ x }) => ({ y: x!.exp() })));
  for (const op of ['neg', 'abs', 'relu'] as const)
    out.push(makeCase(rng, `forward/${op}/i32`, 'forward', op, { x: inp([7], 'i32') }, ({ x }) => ({ y: x![op]() })));
  return out;
}

function binaryCases(rng: Rng, f: F): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const op of BINARY_OPS) {
    const [da, db] = BINARY_DOMAIN[op];
    const bin = (a: any, b: any) => ({ y: a[op === 'max' ? 'maximum' : op === 'min' ? 'minimum' : op](b) });
    const variants: [string, number[], number[]][] = [
      ['', [3, 4], [3, 4]],
      ['/broadcast-scalar', [3, 4], []],
      ['/broadcast-size1', [3, 1], [1, 4]],
      ['/rank-extension', [4], [2, 3, 4]],
    ];
    for (const [suffix, sa, sb] of variants)
      out.push(makeCase(rng, `forward/${op}${suffix}`, 'forward', op, { a: inp(sa, f, da), b: inp(sb, f, db) }, ({ a, b }) => bin(a, b)));
    // Every special value against every special value, by broadcasting a column against a row.
    const col = op === 'pow' ? [NaN, Infinity, 0, 2, 0.5] : [...SPECIAL];
    const row = op === 'pow' ? [NaN, Infinity, -Infinity, 2, 0, -1] : [...SPECIAL];
    out.push(makeCase(rng, `forward/${op}/nan-inf`, 'forward', op, { a: inp([col.length, 1], f, undefined, col), b: inp([row.length], f, undefined, row) }, ({ a, b }) => bin(a, b)));
  }
  out.push(makeCase(rng, 'forward/add/zero-size', 'forward', 'add', { a: inp([0, 3], f), b: inp([1, 3], f) }, ({ a, b }) => ({ y: a!.add(b!) })));
  for (const op of ['add', 'sub', 'mul', 'max', 'min'] as const)
    out.push(makeCase(rng, `forward/${op}/i32`, 'forward', op, { a: inp([2, 3], 'i32'), b: inp([3], 'i32') }, ({ a, b }) => ({ y: a!.builder.emit(op, [a!, b!], {}) })));
  return out;
}

function compareCases(rng: Rng, f: F): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const op of COMPARE_OPS) {
    const cmp = (a: any, b: any) => ({ y: a[op](b) });
    // Small integers make ties, so equal and greaterEqual see both outcomes.
    out.push(makeCase(rng, `forward/${op}`, 'forward', op, { a: inp([3, 4], f, 'small-int'), b: inp([3, 4], f, 'small-int') }, ({ a, b }) => cmp(a, b)));
    out.push(makeCase(rng, `forward/${op}/broadcast-size1`, 'forward', op, { a: inp([3, 1], f, 'small-int'), b: inp([4], f, 'small-int') }, ({ a, b }) => cmp(a, b)));
    out.push(makeCase(rng, `forward/${op}/nan-inf`, 'forward', op, { a: inp([SPECIAL.length, 1], f, undefined, SPECIAL), b: inp([SPECIAL.length], f, undefined, SPECIAL) }, ({ a, b }) => cmp(a, b)));
    out.push(makeCase(rng, `forward/${op}/i32`, 'forward', op, { a: inp([2, 4], 'i32', 'small-int'), b: inp([4], 'i32', 'small-int') }, ({ a, b }) => cmp(a, b)));
  }
  return out;
}

function reduceCases(rng: Rng, f: F): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const op of ['sum', 'reduceMax'] as const) {
    const m = op === 'sum' ? 'sum' : 'max';
    const r = (x: any, axes?: number | number[], keep = false) => ({ y: x[m](axes, keep) });
    out.push(makeCase(rng, `forward/${op}/last-axis`, 'forward', op, { x: inp([3, 5], f) }, ({ x }) => r(x, -1)));
    out.push(makeCase(rng, `forward/${op}/axes-keepdims`, 'forward', op, { x: inp([2, 3, 4], f) }, ({ x }) => r(x, [0, 2], true)));
    out.push(makeCase(rng, `forward/${op}/all`, 'forward', op, { x: inp([2, 3, 4], f) }, ({ x }) => r(x)));
    out.push(makeCase(rng, `forward/${op}/middle-axis`, 'forward', op, { x: inp([2, 3, 4], f) }, ({ x }) => r(x, 1)));
    out.push(makeCase(rng, `forward/${op}/nan-inf`, 'forward', op, {
      x: inp([4, 3], f, undefined, [NaN, 1, 2, Infinity, 1, 2, -Infinity, -1, -2, -Infinity, -Infinity, 3]),
    }, ({ x }) => r(x, -1)));
    out.push(makeCase(rng, `forward/${op}/i32`, 'forward', op, { x: inp([3, 4], 'i32') }, ({ x }) => r(x, 1)));
  }
  // A sum over a zero-size axis is zero; a max over one is a trace-time error, so only sum.
  out.push(makeCase(rng, 'forward/sum/zero-size-axis', 'forward', 'sum', { x: inp([2, 0, 3], f) }, ({ x }) => ({ y: x!.sum(1) })));
  out.push(makeCase(rng, 'forward/sum/zero-size-all', 'forward', 'sum', { x: inp([0, 3], f) }, ({ x }) => ({ y: x!.sum() })));
  // Reducing the non-empty axis of an empty batch: an empty result, for max as well.
  out.push(makeCase(rng, 'forward/reduceMax/zero-size-batch', 'forward', 'reduceMax', { x: inp([0, 3], f) }, ({ x }) => ({ y: x!.max(-1) })));
  out.push(makeCase(rng, 'forward/sum/zero-size-batch', 'forward', 'sum', { x: inp([0, 3], f) }, ({ x }) => ({ y: x!.sum(-1) })));
  return out;
}

function movementCases(rng: Rng, f: F): ConformanceCase[] {
  const c = (name: string, op: any, specs: any, fn: any) => makeCase(rng, name, 'forward', op, specs, fn);
  return [
    c('forward/reshape', 'reshape', { x: inp([2, 3, 4], f) }, ({ x }: any) => ({ y: x.reshape([6, 4]) })),
    c('forward/reshape/to-scalar', 'reshape', { x: inp([1, 1], f) }, ({ x }: any) => ({ y: x.reshape([]) })),
    c('forward/reshape/zero-size', 'reshape', { x: inp([2, 0, 3], f) }, ({ x }: any) => ({ y: x.reshape([0, 6]) })),
    c('forward/transpose', 'transpose', { x: inp([3, 4], f) }, ({ x }: any) => ({ y: x.T })),
    c('forward/transpose/zero-size', 'transpose', { x: inp([0, 3], f) }, ({ x }: any) => ({ y: x.T })),
    c('forward/expand/zero-size', 'expand', { x: inp([0, 1], f) }, ({ x }: any) => ({ y: x.expand([0, 4]) })),
    c('forward/slice/zero-size-input', 'slice', { x: inp([0, 5], f) }, ({ x }: any) => ({ y: x.slice([0, 1], [0, 4]) })),
    c('forward/transpose/rank3', 'transpose', { x: inp([2, 3, 4], f) }, ({ x }: any) => ({ y: x.transpose([2, 0, 1]) })),
    c('forward/expand', 'expand', { x: inp([3, 1], f) }, ({ x }: any) => ({ y: x.expand([2, 3, 4]) })),
    c('forward/expand/scalar', 'expand', { x: inp([], f) }, ({ x }: any) => ({ y: x.expand([2, 3]) })),
    c('forward/expand/i32', 'expand', { x: inp([1, 3], 'i32') }, ({ x }: any) => ({ y: x.expand([2, 3]) })),
    c('forward/slice', 'slice', { x: inp([4, 5], f) }, ({ x }: any) => ({ y: x.slice([1, 2], [3, 5]) })),
    c('forward/slice/rank3', 'slice', { x: inp([3, 4, 5], f) }, ({ x }: any) => ({ y: x.slice([0, 1, 1], [2, 4, 3]) })),
    c('forward/slice/empty', 'slice', { x: inp([4, 5], f) }, ({ x }: any) => ({ y: x.slice([2, 0], [2, 5]) })),
    c('forward/concat', 'concat', { a: inp([2, 3], f), b: inp([2, 1], f), d: inp([2, 2], f) }, ({ a, b, d }: any) => ({ y: concat([a, b, d], 1) })),
    c('forward/concat/axis0', 'concat', { a: inp([1, 3], f), b: inp([2, 3], f) }, ({ a, b }: any) => ({ y: concat([a, b], 0) })),
    c('forward/concat/zero-size-part', 'concat', { a: inp([2, 0], f), b: inp([2, 3], f) }, ({ a, b }: any) => ({ y: concat([a, b], 1) })),
  ];
}

function otherCases(rng: Rng, f: F): ConformanceCase[] {
  const c = (name: string, op: any, specs: any, fn: any) => makeCase(rng, name, 'forward', op, specs, fn);
  const other: F = f === 'f32' ? 'f64' : 'f32';
  return [
    c('forward/where', 'where', { c: inp([3, 4], 'bool'), a: inp([3, 4], f), b: inp([3, 4], f) }, ({ c, a, b }: any) => ({ y: where(c, a, b) })),
    c('forward/where/broadcast', 'where', { c: inp([3, 1], 'bool'), a: inp([4], f), b: inp([], f) }, ({ c, a, b }: any) => ({ y: where(c, a, b) })),
    // NaN and Inf in the branch not taken must not leak into the result.
    c('forward/where/nan-inf', 'where', { c: inp([4], 'bool', undefined, [1, 0, 1, 0]), a: inp([4], f, undefined, [1, NaN, Infinity, 2]), b: inp([4], f, undefined, [NaN, 3, -4, -Infinity]) }, ({ c, a, b }: any) => ({ y: where(c, a, b) })),
    // bool branches (label masks): ONNX Runtime's CPU Where has no bool kernel.
    c('forward/where/bool-branches', 'where', { c: inp([2, 3], 'bool'), a: inp([2, 3], 'bool'), b: inp([3], 'bool') }, ({ c, a, b }: any) => ({ y: where(c, a, b) })),
    c('forward/where/i32-branches', 'where', { c: inp([2, 3], 'bool'), a: inp([2, 3], 'i32'), b: inp([], 'i32') }, ({ c, a, b }: any) => ({ y: where(c, a, b) })),
    c('forward/cast/float-to-i32', 'cast', { x: inp([8], f, 'frac') }, ({ x }: any) => ({ y: x.cast('i32') })),
    c('forward/cast/i32-to-float', 'cast', { x: inp([6], 'i32') }, ({ x }: any) => ({ y: x.cast(f) })),
    c('forward/cast/float-to-bool', 'cast', { x: inp([6], f, undefined, [0, 1, -2, 0.5, 0, 3]) }, ({ x }: any) => ({ y: x.cast('bool') })),
    c('forward/cast/bool-to-float', 'cast', { x: inp([5], 'bool') }, ({ x }: any) => ({ y: x.cast(f) })),
    c('forward/cast/float-to-other-float', 'cast', { x: inp([5], f) }, ({ x }: any) => ({ y: x.cast(other) })),
    c('forward/gather', 'gather', { x: inp([5, 3], f), i: inp([4], 'i32', 'index:5') }, ({ x, i }: any) => ({ y: x.gather(i, 0) })),
    c('forward/gather/axis1-2d-indices', 'gather', { x: inp([2, 5, 3], f), i: inp([2, 2], 'i32', undefined, [4, 0, 4, 2]) }, ({ x, i }: any) => ({ y: x.gather(i, 1) })),
    c('forward/gather/empty-indices', 'gather', { x: inp([5, 3], f), i: inp([0], 'i32') }, ({ x, i }: any) => ({ y: x.gather(i, 0) })),
    c('forward/gather/zero-size-rows', 'gather', { x: inp([0, 4], f), i: inp([2], 'i32', undefined, [3, 0]) }, ({ x, i }: any) => ({ y: x.gather(i, 1) })),
    c('forward/oneHot/zero-size', 'oneHot', { i: inp([0], 'i32') }, ({ i }: any) => ({ y: oneHot(i, 4, f) })),
    c('forward/where/zero-size', 'where', { c: inp([0, 3], 'bool'), a: inp([0, 3], f), b: inp([3], f) }, ({ c, a, b }: any) => ({ y: where(c, a, b) })),
    c('forward/cast/zero-size', 'cast', { x: inp([0, 2], f) }, ({ x }: any) => ({ y: x.cast('i32') })),
    c('forward/oneHot', 'oneHot', { i: inp([4], 'i32', 'index:5') }, ({ i }: any) => ({ y: oneHot(i, 5, f) })),
    c('forward/oneHot/2d', 'oneHot', { i: inp([2, 3], 'i32', 'index:4') }, ({ i }: any) => ({ y: oneHot(i, 4, f) })),
    // Out-of-range indices give an all-zero row (the reference semantics).
    c('forward/oneHot/out-of-range', 'oneHot', { i: inp([3], 'i32', undefined, [-1, 3, 1]) }, ({ i }: any) => ({ y: oneHot(i, 3, f) })),
    c('forward/matmul', 'matmul', { a: inp([3, 4], f), b: inp([4, 5], f) }, ({ a, b }: any) => ({ y: a.matmul(b) })),
    c('forward/matmul/batched', 'matmul', { a: inp([2, 3, 4], f), b: inp([2, 4, 2], f) }, ({ a, b }: any) => ({ y: a.matmul(b) })),
    c('forward/matmul/broadcast-batch', 'matmul', { a: inp([2, 1, 3, 4], f), b: inp([3, 4, 2], f) }, ({ a, b }: any) => ({ y: a.matmul(b) })),
    c('forward/matmul/matrix-times-batch', 'matmul', { a: inp([3, 4], f), b: inp([2, 4, 2], f) }, ({ a, b }: any) => ({ y: a.matmul(b) })),
    c('forward/matmul/zero-inner', 'matmul', { a: inp([2, 0], f), b: inp([0, 3], f) }, ({ a, b }: any) => ({ y: a.matmul(b) })),
    c('forward/matmul/zero-rows', 'matmul', { a: inp([0, 3], f), b: inp([3, 2], f) }, ({ a, b }: any) => ({ y: a.matmul(b) })),
    c('forward/matmul/nan-inf', 'matmul', { a: inp([2, 2], f, undefined, [NaN, 1, Infinity, 0]), b: inp([2, 2], f, undefined, [1, 2, 3, 4]) }, ({ a, b }: any) => ({ y: a.matmul(b) })),
    c('forward/sortDesc', 'sortDesc', { x: inp([3, 6], f) }, ({ x }: any) => ({ y: x.sortDesc() })),
    c('forward/sortDesc/ties-inf', 'sortDesc', { x: inp([2, 5], f, undefined, [1, -Infinity, 1, 0, Infinity, 2, 2, -1, 2, -1]) }, ({ x }: any) => ({ y: x.sortDesc() })),
    // Zero-size tensors (an empty batch): ONNX Runtime's CPU TopK raised SIGFPE on [0, d].
    c('forward/sortDesc/zero-size-batch', 'sortDesc', { x: inp([0, 4], f) }, ({ x }: any) => ({ y: x.sortDesc() })),
    c('forward/sortDesc/zero-size-axis', 'sortDesc', { x: inp([3, 0], f) }, ({ x }: any) => ({ y: x.sortDesc() })),
    // A non-empty result computed from an empty sort, so the sort itself must run.
    c('forward/sortDesc/zero-size-then-sum', 'sortDesc', { x: inp([0, 4], f) }, ({ x }: any) => ({ y: x.sortDesc().sum(0) })),
    c('forward/cumsum/zero-size', 'cumsum', { x: inp([0, 3], f) }, ({ x }: any) => ({ y: x.cumsum(-1) })),
    c('forward/cumsum/zero-size-then-sum', 'cumsum', { x: inp([0, 3], f) }, ({ x }: any) => ({ y: x.cumsum(-1, true).sum(0) })),
    c('forward/cumsum', 'cumsum', { x: inp([3, 5], f) }, ({ x }: any) => ({ y: x.cumsum(-1) })),
    c('forward/cumsum/reverse', 'cumsum', { x: inp([3, 5], f) }, ({ x }: any) => ({ y: x.cumsum(-1, true) })),
    c('forward/cumsum/axis0-rank3', 'cumsum', { x: inp([3, 2, 4], f) }, ({ x }: any) => ({ y: x.cumsum(0) })),
    c('forward/stopGradient', 'stopGradient', { x: inp([3, 4], f) }, ({ x }: any) => ({ y: x.stopGradient() })),
    // Leaves: an output that is an input, a constant operand, and an output that is a constant.
    c('forward/input/passthrough', 'input', { x: inp([2, 3], f) }, ({ x }: any) => ({ y: x })),
    c('forward/const/operand', 'const', { x: inp([2, 3], f) }, ({ x }: any, b: any) => ({ y: x.mul(b.constant([1, -2, 0.5, 3, -1, 0.25], [2, 3], f)) })),
    c('forward/const/output', 'const', { x: inp([2], f) }, ({ x }: any, b: any) => ({ y: x.neg(), k: b.constant([1.5, -2.5, 4], [3], f) })),
    c('forward/multi-output/shared', undefined, { x: inp([3], f, 'positive') }, ({ x }: any) => ({ a: x.log(), b: x.log().mul(x), c: x })),
  ];
}

/**
 * The convolution geometries of the suite: plain, strided and padded (ResNet), asymmetric pads
 * with dilation, stride that leaves trailing rows unread, grouped and depthwise, a ViT patch
 * embedding, 1×1, and an empty batch. Shared by the forward and VJP cases.
 */
export const CONV_GEOMETRIES: readonly { name: string; x: readonly number[]; w: readonly number[]; o: Conv2dOptions }[] = [
  { name: '', x: [2, 3, 5, 6], w: [4, 3, 3, 2], o: {} },
  { name: '/stride-pad', x: [2, 3, 7, 6], w: [4, 3, 3, 3], o: { strides: [2, 2], pads: [1, 1, 1, 1] } },
  { name: '/asym-pad-dilation', x: [1, 2, 7, 8], w: [3, 2, 2, 3], o: { strides: [1, 2], pads: [0, 2, 1, 1], dilations: [2, 1] } },
  { name: '/stride-leaves-rows', x: [1, 2, 6, 7], w: [2, 2, 3, 3], o: { strides: [2, 2] } },
  { name: '/stride-and-dilation', x: [1, 2, 9, 9], w: [2, 2, 2, 2], o: { strides: [2, 3], dilations: [2, 3], pads: [1, 0, 0, 1] } },
  { name: '/groups', x: [2, 4, 5, 5], w: [6, 2, 3, 3], o: { groups: 2, pads: [1, 1, 1, 1] } },
  { name: '/depthwise', x: [1, 3, 6, 6], w: [6, 1, 3, 3], o: { groups: 3, strides: [2, 2], pads: [1, 1, 1, 1] } },
  { name: '/patch-embed', x: [2, 3, 8, 8], w: [5, 3, 4, 4], o: { strides: [4, 4] } },
  { name: '/1x1', x: [2, 4, 3, 3], w: [2, 4, 1, 1], o: {} },
  { name: '/zero-size-batch', x: [0, 3, 5, 5], w: [2, 3, 3, 3], o: { pads: [1, 1, 1, 1] } },
];

/** Shape of conv2d's output for a geometry (the input of its transpose). */
export function convOutShape(x: readonly number[], w: readonly number[], o: Conv2dOptions): number[] {
  const [Ho, Wo] = convOutSize('conv2d', x.slice(2), w.slice(2), { strides: [...(o.strides ?? [1, 1])], pads: [...(o.pads ?? [0, 0, 0, 0])], dilations: [...(o.dilations ?? [1, 1])] });
  return [x[0]!, w[0]!, Ho, Wo];
}

function convCases(rng: Rng, f: F): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const { name, x, w, o } of CONV_GEOMETRIES) {
    out.push(makeCase(rng, `forward/conv2d${name}`, 'forward', 'conv2d', { x: inp(x, f), w: inp(w, f) }, ({ x, w }) => ({ y: x!.conv2d(w!, o) })));
    out.push(makeCase(rng, `forward/conv2dTranspose${name}`, 'forward', 'conv2dTranspose', { g: inp(convOutShape(x, w, o), f), w: inp(w, f) }, ({ g, w }) => ({ y: conv2dTranspose(g!, w!, x.slice(2), o) })));
  }
  // NaN and ±Inf reach exactly the outputs whose windows read them (padding never does).
  const special = [NaN, 1, 2, Infinity, 0, -1, 3, 2, -Infinity, 1, 1, 0.5, 2, 1, -2, 1];
  out.push(makeCase(rng, 'forward/conv2d/nan-inf', 'forward', 'conv2d', { x: inp([1, 1, 4, 4], f, undefined, special), w: inp([1, 1, 2, 2], f, undefined, [1, 0.5, -1, 2]) }, ({ x, w }) => ({ y: x!.conv2d(w!, { strides: [2, 2], pads: [0, 0, 0, 0] }) })));
  return out;
}

/** Every primitive forward, with broadcasting, zero-size axes, NaN/Inf and integer variants. */
export function forwardCases(dtype: F): ConformanceCase[] {
  const rng = new Rng(dtype === 'f32' ? 1 : 2);
  return [...unaryCases(rng, dtype), ...binaryCases(rng, dtype), ...compareCases(rng, dtype), ...reduceCases(rng, dtype), ...movementCases(rng, dtype), ...otherCases(rng, dtype), ...convCases(rng, dtype)];
}
