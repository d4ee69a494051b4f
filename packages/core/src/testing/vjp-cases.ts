import type { HostTensor } from '../backend/contract.js';
import { vjp } from '../ad/transforms.js';
import type { GraphBuilder } from '../ir/builder.js';
import { trace } from '../ir/builder.js';
import { size } from '../ir/graph.js';
import type { OpName } from '../ir/ops.js';
import { UNARY_OPS } from '../ir/ops.js';
import { concat, where, type Tensor } from '../ir/tensor.js';
import { Rng } from '../util/random.js';
import { conv2dTranspose } from '../ir/conv.js';
import { CONV_GEOMETRIES, convOutShape } from './forward-cases.js';
import { draw, host, inp, type ConformanceCase, type Domain, type InputSpec } from './case.js';

type F = 'f32' | 'f64';

/**
 * The reverse-mode graph of a one-op function: `vjp(trace(fn))`, with inputs `specs` plus a seeded
 * cotangent `ct_<out>` per output. What a backend runs here is the derivative graph core builds
 * (unbroadcast sums, where-masks, one-hot scatter products, zero padding by concat, ...), so the
 * case checks both that the rule's graph is computable on the backend and that it agrees with
 * the oracle.
 */
export function vjpCase(
  rng: Rng, name: string, op: OpName | undefined, kind: ConformanceCase['kind'],
  specs: Record<string, InputSpec>,
  fn: (xs: Record<string, Tensor>, b: GraphBuilder) => Record<string, Tensor>,
): ConformanceCase {
  const graph = vjp(trace(specs, fn));
  const inputs: Record<string, HostTensor> = {};
  for (const id of graph.inputs) {
    const n = graph.nodes[id]!, nm = (n.attrs as { name: string }).name, s = specs[nm];
    const dom: Domain = s?.domain ?? (n.dtype === 'bool' ? 'bool' : n.dtype === 'i32' ? 'int' : 'normal');
    inputs[nm] = host(n.shape, n.dtype, s?.values ? [...s.values] : draw(rng, dom, size(n.shape)));
  }
  return op === undefined ? { name, kind, graph, inputs } : { name, op, kind, graph, inputs };
}

const UNARY_DOMAIN: Record<(typeof UNARY_OPS)[number], Domain> = {
  neg: 'normal', exp: 'normal', log: 'positive', sqrt: 'positive', tanh: 'normal',
  sigmoid: 'normal', relu: 'away', abs: 'away', erf: 'normal',
};

/** The VJP of every differentiable primitive (comparisons, oneHot and sortDesc have none). */
export function vjpCases(dtype: F): ConformanceCase[] {
  const rng = new Rng(dtype === 'f32' ? 3 : 4), f = dtype;
  const c = (name: string, op: OpName, specs: Record<string, InputSpec>, fn: (xs: any, b: GraphBuilder) => Record<string, Tensor>) => vjpCase(rng, name, op, 'vjp', specs, fn);
  const out: ConformanceCase[] = [];
  for (const op of UNARY_OPS) out.push(c(`vjp/${op}`, op, { x: inp([3, 4], f, UNARY_DOMAIN[op]) }, ({ x }) => ({ y: x[op]() })));
  // Binary ops with a broadcast operand, so the rule's unbroadcast (sum over expanded axes) runs.
  const bin: [OpName, Domain, Domain, (a: Tensor, b: Tensor) => Tensor][] = [
    ['add', 'normal', 'normal', (a, b) => a.add(b)],
    ['sub', 'normal', 'normal', (a, b) => a.sub(b)],
    ['mul', 'normal', 'normal', (a, b) => a.mul(b)],
    ['div', 'normal', 'away', (a, b) => a.div(b)],
    ['pow', 'positive', 'exponent', (a, b) => a.pow(b)],
    ['max', 'normal', 'normal', (a, b) => a.maximum(b)],
    ['min', 'normal', 'normal', (a, b) => a.minimum(b)],
  ];
  for (const [op, da, db, fn] of bin) {
    out.push(c(`vjp/${op}`, op, { a: inp([3, 4], f, da), b: inp([3, 4], f, db) }, ({ a, b }) => ({ y: fn(a, b) })));
    out.push(c(`vjp/${op}/broadcast`, op, { a: inp([3, 1], f, da), b: inp([4], f, db) }, ({ a, b }) => ({ y: fn(a, b) })));
  }
  // Ties of max/min send the whole cotangent to the first argument.
  out.push(c('vjp/max/ties', 'max', { a: inp([6], f, 'small-int'), b: inp([6], f, 'small-int') }, ({ a, b }) => ({ y: a.maximum(b) })));
  out.push(c('vjp/sum', 'sum', { x: inp([2, 3, 4], f) }, ({ x }) => ({ y: x.sum([0, 2]) })));
  out.push(c('vjp/sum/keepdims', 'sum', { x: inp([3, 4], f) }, ({ x }) => ({ y: x.sum(-1, true) })));
  out.push(c('vjp/reduceMax', 'reduceMax', { x: inp([3, 5], f) }, ({ x }) => ({ y: x.max(-1) })));
  // Ties share the cotangent equally.
  out.push(c('vjp/reduceMax/ties', 'reduceMax', { x: inp([2, 4], f, undefined, [1, 3, 3, 0, -1, -1, -1, -1]) }, ({ x }) => ({ y: x.max(-1) })));
  out.push(c('vjp/reshape', 'reshape', { x: inp([2, 6], f) }, ({ x }) => ({ y: x.reshape([3, 4]) })));
  out.push(c('vjp/transpose', 'transpose', { x: inp([2, 3, 4], f) }, ({ x }) => ({ y: x.transpose([1, 2, 0]) })));
  out.push(c('vjp/expand', 'expand', { x: inp([3, 1], f) }, ({ x }) => ({ y: x.expand([2, 3, 4]) })));
  out.push(c('vjp/slice', 'slice', { x: inp([4, 5], f) }, ({ x }) => ({ y: x.slice([1, 1], [3, 4]) })));
  out.push(c('vjp/concat', 'concat', { a: inp([2, 3], f), b: inp([2, 2], f) }, ({ a, b }) => ({ y: concat([a, b], 1) })));
  out.push(c('vjp/where', 'where', { k: inp([3, 4], 'bool'), a: inp([3, 4], f), b: inp([4], f) }, ({ k, a, b }) => ({ y: where(k, a, b) })));
  out.push(c('vjp/cast', 'cast', { x: inp([5], f) }, ({ x }) => ({ y: x.cast(f === 'f32' ? 'f64' : 'f32') })));
  out.push(c('vjp/gather', 'gather', { x: inp([5, 3], f), i: inp([6], 'i32', undefined, [4, 0, 4, 2, 1, 4]) }, ({ x, i }) => ({ y: x.gather(i, 0) })));
  out.push(c('vjp/gather/axis1', 'gather', { x: inp([2, 4, 3], f), i: inp([3], 'i32', 'index:4') }, ({ x, i }) => ({ y: x.gather(i, 1) })));
  out.push(c('vjp/matmul', 'matmul', { a: inp([3, 4], f), b: inp([4, 2], f) }, ({ a, b }) => ({ y: a.matmul(b) })));
  out.push(c('vjp/matmul/broadcast-batch', 'matmul', { a: inp([2, 3, 4], f), b: inp([4, 2], f) }, ({ a, b }) => ({ y: a.matmul(b) })));
  out.push(c('vjp/cumsum', 'cumsum', { x: inp([3, 5], f) }, ({ x }) => ({ y: x.cumsum(-1) })));
  out.push(c('vjp/cumsum/reverse', 'cumsum', { x: inp([4, 3], f) }, ({ x }) => ({ y: x.cumsum(0, true) })));
  // Empty batches: every rule's graph must run on zero-size tensors (gradients of [0, d] are empty,
  // gradients of weights shared by no sample are zero).
  out.push(c('vjp/matmul/zero-size-batch', 'matmul', { a: inp([0, 3], f), b: inp([3, 2], f) }, ({ a, b }) => ({ y: a.matmul(b) })));
  out.push(c('vjp/sum/zero-size-batch', 'sum', { x: inp([0, 3], f) }, ({ x }) => ({ y: x.sum(-1) })));
  out.push(c('vjp/cumsum/zero-size', 'cumsum', { x: inp([0, 4], f) }, ({ x }) => ({ y: x.cumsum(-1) })));
  out.push(c('vjp/gather/zero-size', 'gather', { x: inp([5, 3], f), i: inp([0], 'i32') }, ({ x, i }) => ({ y: x.gather(i, 0) })));
  out.push(c('vjp/stopGradient', 'stopGradient', { x: inp([3], f) }, ({ x }) => ({ y: x.stopGradient().mul(x) })));
  // reduceMax over an inner axis: its rule casts a bool mask to float and reduces it off the last
  // axis (tfjs-webgpu's relabelled-int32 cast broke the transpose there; max pooling depends on it).
  out.push(c('vjp/reduceMax/inner-axes', 'reduceMax', { x: inp([3, 2, 4, 2], f) }, ({ x }) => ({ y: x.max([1, 3]) })));
  // Convolutions: both operands' cotangents (conv2dTranspose and the filter-gradient conv).
  for (const { name, x, w, o } of CONV_GEOMETRIES) {
    if (!['', '/stride-pad', '/asym-pad-dilation', '/stride-leaves-rows', '/groups', '/zero-size-batch'].includes(name)) continue;
    out.push(c(`vjp/conv2d${name}`, 'conv2d', { x: inp(x, f), w: inp(w, f) }, ({ x, w }) => ({ y: x.conv2d(w, o) })));
  }
  for (const { name, x, w, o } of CONV_GEOMETRIES) {
    if (!['/stride-pad', '/stride-and-dilation', '/depthwise'].includes(name)) continue;
    out.push(c(`vjp/conv2dTranspose${name}`, 'conv2dTranspose', { g: inp(convOutShape(x, w, o), f), w: inp(w, f) }, ({ g, w }) => ({ y: conv2dTranspose(g, w, x.slice(2), o) })));
  }
  return out;
}
