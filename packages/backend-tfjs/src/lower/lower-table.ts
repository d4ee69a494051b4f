import type { DType, Node, OpAttrs, OpName } from '@clt/core';
import * as tf from '@tensorflow/tfjs-core';
import { conv2d, conv2dTranspose } from './conv.js';

/** The tfjs backends this package can run on, by their tfjs registry names. */
export const TFJS_PLATFORMS = ['cpu', 'wasm', 'webgpu', 'tensorflow'] as const;
/** A tfjs backend name this package runs on: `cpu`, `wasm`, `webgpu` or `tensorflow` (native, via tfjs-node). */
export type TfjsPlatform = (typeof TFJS_PLATFORMS)[number];

/** The element types tfjs computes in: no float64 anywhere in tfjs. */
export type TfDType = 'float32' | 'int32' | 'bool';

/** tfjs dtype an IR dtype is computed in (f64 is computed in float32, with a warning at compile). */
export function tfDtype(d: DType): TfDType {
  return d === 'i32' ? 'int32' : d === 'bool' ? 'bool' : 'float32';
}

/** What a lowering rule may know besides its operands: the platform it runs on. */
export interface TfLowerContext {
  readonly platform: TfjsPlatform;
}

/**
 * Lower one IR node to tfjs ops, given the tfjs tensors of its inputs. Rules run inside `tf.tidy`
 * at every `run`, so temporaries they create are freed with it; a rule must return a tensor that
 * is none of its inputs (the plan frees each value after its last use).
 */
export type TfLowering<K extends OpName> = (cx: TfLowerContext, node: Node<K>, ins: readonly tf.Tensor[], inNodes: readonly Node[]) => tf.Tensor;

const isFloat = (t: tf.Tensor) => t.dtype === 'float32';
const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** Zeros of a node's shape and computed dtype. */
export const zerosOf = (n: Node) => tf.zeros([...n.shape], tfDtype(n.dtype));

const unary = (f: (x: tf.Tensor) => tf.Tensor): TfLowering<OpName> => (_cx, _n, [x]) => f(x!);

/**
 * Elementwise max/min with NaN propagation from either operand (`Math.max` semantics, as the
 * reference). tfjs-cpu and tfjs-webgpu propagate already; tfjs-wasm uses std::max/min and drops a
 * NaN second operand; TensorFlow's kernels are not specified on NaN. Those get the selects.
 */
const extremum = (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): TfLowering<'max' | 'min'> => (cx, _n, [a, b]) => {
  const m = f(a!, b!);
  if (!isFloat(m) || cx.platform === 'cpu' || cx.platform === 'webgpu') return m;
  return tf.where(tf.isNaN(b!), b!, tf.where(tf.isNaN(a!), a!, m));
};

/**
 * Sort descending along the last axis via top-k of the whole axis. tfjs's TopK orders NaN
 * arbitrarily; the reference (and numpy) puts NaN first when sorting descending. NaN is replaced by
 * +∞ for the sort, and the first `count(NaN)` slots of each row are set back to NaN: exact.
 */
const sortDesc: TfLowering<'sortDesc'> = (_cx, n, [x]) => {
  const k = n.shape[n.shape.length - 1]!;
  const nan = tf.isNaN(x!);
  const sorted = tf.topk(tf.where(nan, tf.fill(x!.shape, Infinity), x!), k, true).values;
  const nanCount = tf.sum(tf.cast(nan, 'int32'), -1, true);
  return tf.where(tf.less(tf.range(0, k, 1, 'int32'), nanCount), tf.fill(x!.shape, NaN), sorted);
};

/**
 * Batched matmul with numpy batch broadcasting. tfjs-webgpu's BatchMatMul mis-reshapes operands
 * whose batch dims broadcast, so every platform gets plain rank-3 products: a 2-D right operand
 * folds the batch into the rows (one GEMM, no copy), otherwise both sides are broadcast to the
 * full batch and flattened to [B, m, k] @ [B, k, n].
 */
const matmul: TfLowering<'matmul'> = (_cx, n, [a, b]) => {
  // An empty inner dimension gives zeros (wasm and webgpu read uninitialized memory there).
  if (a!.size === 0 || b!.size === 0) return zerosOf(n);
  if (a!.rank === 2 && b!.rank === 2) return tf.matMul(a!, b!);
  const m = a!.shape[a!.rank - 2]!, k = a!.shape[a!.rank - 1]!, nn = b!.shape[b!.rank - 1]!;
  const batch = n.shape.slice(0, -2), bsz = batch.reduce((p, d) => p * d, 1);
  if (b!.rank === 2 && a!.rank === n.shape.length) return tf.reshape(tf.matMul(tf.reshape(a!, [bsz * m, k]), b!), [...n.shape]);
  const a3 = tf.reshape(tf.broadcastTo(a!, [...batch, m, k]), [bsz, m, k]);
  const b3 = tf.reshape(tf.broadcastTo(b!, [...batch, k, nn]), [bsz, k, nn]);
  return tf.reshape(tf.matMul(a3, b3), [...n.shape]);
};

/**
 * The lowering of every primitive to tfjs ops. `satisfies` a total record: a primitive added to
 * the IR without a rule here fails `tsc`. Where a tfjs kernel departs from the reference
 * interpreter's semantics, the rule says how it is corrected (or, in docs/backend-tfjs.md, why not).
 */
export const TF_LOWERINGS = {
  neg: unary(tf.neg), exp: unary(tf.exp), log: unary(tf.log), sqrt: unary(tf.sqrt), tanh: unary(tf.tanh),
  sigmoid: unary(tf.sigmoid), abs: unary(tf.abs), erf: unary(tf.erf),
  // relu(NaN) is NaN in the reference; tfjs-webgpu's Relu returns 0 there, its Maximum propagates.
  relu: (cx, _n, [x]) => (cx.platform === 'webgpu' && isFloat(x!) ? tf.maximum(x!, tf.scalar(0, 'float32')) : tf.relu(x!)),
  add: (_cx, _n, [a, b]) => tf.add(a!, b!), sub: (_cx, _n, [a, b]) => tf.sub(a!, b!), mul: (_cx, _n, [a, b]) => tf.mul(a!, b!),
  // The IR allows div on floats only (tf.div would floor-divide int32).
  div: (_cx, _n, [a, b]) => tf.div(a!, b!),
  pow: (cx, _n, [a, b]) => {
    const p = tf.pow(a!, b!);
    // WGSL pow(0, y < 0) is 0 on tfjs-webgpu; the reference (Math.pow) gives +∞.
    if (cx.platform !== 'webgpu') return p;
    return tf.where(tf.logicalAnd(tf.equal(a!, 0), tf.less(b!, 0)), tf.fill(p.shape, Infinity), p);
  },
  max: extremum(tf.maximum), min: extremum(tf.minimum),
  greater: (_cx, _n, [a, b]) => tf.greater(a!, b!), greaterEqual: (_cx, _n, [a, b]) => tf.greaterEqual(a!, b!), equal: (_cx, _n, [a, b]) => tf.equal(a!, b!),
  // A sum over a zero-size axis is 0; tfjs-wasm returns garbage and tfjs-webgpu cannot make the buffer.
  sum: (_cx, n, [x]) => (x!.size === 0 ? zerosOf(n) : n.attrs.axes.length === 0 ? tf.clone(x!) : tf.sum(x!, n.attrs.axes.map((a) => norm(a, x!.rank)), n.attrs.keepDims)),
  reduceMax: (_cx, n, [x]) => (n.attrs.axes.length === 0 ? tf.clone(x!) : tf.max(x!, n.attrs.axes.map((a) => norm(a, x!.rank)), n.attrs.keepDims)),
  reshape: (_cx, n, [x]) => tf.reshape(x!, n.attrs.shape),
  transpose: (_cx, n, [x]) => tf.transpose(x!, n.attrs.perm),
  expand: (_cx, n, [x]) => (x!.shape.length === n.shape.length && x!.shape.every((d, i) => d === n.shape[i]) ? tf.clone(x!) : tf.broadcastTo(x!, n.attrs.shape)),
  slice: (_cx, n, [x]) => tf.slice(x!, n.attrs.starts, n.attrs.ends.map((e, i) => e - n.attrs.starts[i]!)),
  concat: (_cx, n, ins) => (ins.length === 1 ? tf.clone(ins[0]!) : tf.concat(ins as tf.Tensor[], norm(n.attrs.axis, n.shape.length))),
  // tfjs-wasm's Select reads bool branches with the wrong element size: wrong values, and writes past
  // the output that corrupt later kernels ("memory access out of bounds" in the next matmul). Bool
  // branches are selected as int32 on every platform; the comparison with 0 turns them back into bool.
  where: (_cx, _n, [c, a, b]) => (a!.dtype === 'bool' ? tf.notEqual(tf.where(c!, tf.cast(a!, 'int32'), tf.cast(b!, 'int32')), tf.scalar(0, 'int32')) : tf.where(c!, a!, b!)),
  cast: (cx, n, [x]) => {
    const to = tfDtype(n.attrs.to);
    if (to === x!.dtype) return tf.clone(x!);
    // Nonzero test, not tf.cast: tfjs-wasm's Cast to bool truncates floats first (0.1 → false).
    if (to === 'bool') return tf.notEqual(x!, tf.scalar(0, x!.dtype));
    // tfjs-webgpu casts bool/int32 to float32 by relabelling the int32 buffer; kernels that copy
    // their input without converting it (Transpose) then fail to compile ("expected 'f32', got
    // 'i32'") and the whole submit returns zeros (reduceMax's gradient over a non-last axis, seen
    // on Mesa llvmpipe). An elementwise op writes a real float32 buffer.
    if (cx.platform === 'webgpu' && to === 'float32') return tf.add(tf.cast(x!, to), tf.scalar(0, 'float32'));
    return tf.cast(x!, to);
  },
  gather: (_cx, n, [x, i]) => tf.gather(x!, i!, norm(n.attrs.axis, x!.rank)),
  // tf.oneHot gives int32 and a zero row for out-of-range indices, as the IR specifies.
  oneHot: (_cx, n, [i]) => {
    const oh = tf.oneHot(i!, n.attrs.depth);
    const to = tfDtype(n.attrs.dtype);
    return to === 'int32' ? oh : to === 'bool' ? tf.notEqual(oh, tf.scalar(0, 'int32')) : tf.cast(oh, to);
  },
  matmul,
  sortDesc,
  cumsum: (cx, n, [x]) => {
    const ax = norm(n.attrs.axis, x!.rank);
    if (cx.platform !== 'webgpu' || !n.attrs.reverse) return tf.cumsum(x!, ax, false, n.attrs.reverse);
    // tfjs-webgpu's reverse cumsum reuses a shader compiled for another axis length (its cache
    // key misses the length): [1,1,1,1] gave [4,4,4,2]. Flip, scan forward, flip back instead.
    return tf.reverse(tf.cumsum(tf.reverse(x!, ax), ax), ax);
  },

  stopGradient: (_cx, _n, [x]) => tf.clone(x!),
  // NCHW around tfjs's NHWC kernels; groups, dilation with stride, and dilated transposes bridged in conv.ts.
  conv2d,
  conv2dTranspose,
  // Leaves are bound by the plan (inputs per run, constants once at compile); see plan.ts.
  input: () => { throw new Error('tfjs lowering: input nodes are bound by the plan'); },
  const: (_cx, n) => constTensor(n),
} satisfies { [K in OpName]: TfLowering<K> };

/** A `const` node's data as a tfjs tensor of its computed dtype. */
export function constTensor(n: Node<'const'>): tf.Tensor {
  const v = (n.attrs as OpAttrs['const']).value, dt = tfDtype(n.dtype);
  const data = dt === 'float32' ? Float32Array.from(v) : dt === 'int32' ? Int32Array.from(v) : Uint8Array.from(v, (x) => (x !== 0 ? 1 : 0));
  return tf.tensor(data, [...n.shape], dt);
}

/** Ops this lowering covers: all of them (the table is total). */
export const TF_LOWERED_OPS: ReadonlySet<OpName> = new Set(Object.keys(TF_LOWERINGS) as OpName[]);
