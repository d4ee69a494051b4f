/**
 * The closed set of primitive ops of the clt graph IR. A backend lowers exactly these; every
 * composite (softmax, logsumexp, layers, losses) is built from them in core.
 */
export const UNARY_OPS = ['neg', 'exp', 'log', 'sqrt', 'tanh', 'sigmoid', 'relu', 'abs', 'erf'] as const;
/** Broadcasting binary arithmetic, numpy rules. */
export const BINARY_OPS = ['add', 'sub', 'mul', 'div', 'pow', 'max', 'min'] as const;
/** Broadcasting comparisons, producing bool. */
export const COMPARE_OPS = ['greater', 'greaterEqual', 'equal'] as const;
/** Reductions over given axes, keeping them as size 1 or dropping them: sum and reduceMax. */
export const REDUCE_OPS = ['sum', 'reduceMax'] as const;
/** Data movement, changing layout but not values: reshape, transpose, expand (broadcast to a shape), slice and concat. */
export const MOVEMENT_OPS = ['reshape', 'transpose', 'expand', 'slice', 'concat'] as const;
/** The remaining primitives: where (broadcasting select), cast, gather, oneHot, batched matmul, sortDesc (not differentiable), cumsum, stopGradient, and conv2d with its adjoint conv2dTranspose. */
export const OTHER_OPS = [
  'where', // select(cond: bool, a, b), broadcasting
  'cast', // change dtype
  'gather', // take along an axis with i32 indices (like numpy.take)
  'oneHot', // i32 indices -> float one-hot along a new last axis
  'matmul', // batched matrix product, batch dims broadcast
  'sortDesc', // sort descending along the last axis (values only); not differentiable
  'cumsum', // inclusive prefix sum along an axis, optionally reversed
  'stopGradient', // identity whose derivative is zero
  'conv2d', // NCHW 2-D cross-correlation with strides, pads, dilations and groups (no bias)
  'conv2dTranspose', // the adjoint of conv2d in its input (the data gradient; ONNX ConvTranspose)
] as const;
/** Leaves: graph inputs and constants. */
export const LEAF_OPS = ['input', 'const'] as const;

/** An elementwise unary primitive: one of {@link UNARY_OPS}. */
export type UnaryOp = (typeof UNARY_OPS)[number];
/** An elementwise binary primitive with numpy broadcasting: one of {@link BINARY_OPS}. */
export type BinaryOp = (typeof BINARY_OPS)[number];
/** A broadcasting comparison that produces bool: one of {@link COMPARE_OPS}. */
export type CompareOp = (typeof COMPARE_OPS)[number];
/** A reduction over given axes: one of {@link REDUCE_OPS}. */
export type ReduceOp = (typeof REDUCE_OPS)[number];
/** A data-movement primitive: one of {@link MOVEMENT_OPS}. */
export type MovementOp = (typeof MOVEMENT_OPS)[number];
/** The name of any IR primitive, the leaves input and const included: the `op` of a graph {@link Node}, and what a backend lists as the ops it lowers. */
export type OpName = UnaryOp | BinaryOp | CompareOp | ReduceOp | MovementOp | (typeof OTHER_OPS)[number] | (typeof LEAF_OPS)[number];

/** Every primitive of the IR, the leaves input and const included: unary, binary, comparison, reduction, movement, other, then leaf ops. */
export const ALL_OPS: readonly OpName[] = [
  ...UNARY_OPS, ...BINARY_OPS, ...COMPARE_OPS, ...REDUCE_OPS, ...MOVEMENT_OPS, ...OTHER_OPS, ...LEAF_OPS,
];

import type { DType } from './dtype.js';

/**
 * Attributes of the convolutions, all explicit (Tensor.conv2d fills the defaults): `strides` and
 * `dilations` are [along H, along W], `pads` [top, left, bottom, right] (ONNX order), `groups`
 * divides both channel counts.
 */
export interface Conv2dAttrs { strides: number[]; pads: number[]; dilations: number[]; groups: number }

/** Static attributes of each op. Shapes are static: a graph is compiled once per shape. */
export interface OpAttrs {
  neg: {}; exp: {}; log: {}; sqrt: {}; tanh: {}; sigmoid: {}; relu: {}; abs: {}; erf: {};
  add: {}; sub: {}; mul: {}; div: {}; pow: {}; max: {}; min: {};
  greater: {}; greaterEqual: {}; equal: {};
  sum: { axes: number[]; keepDims: boolean };
  reduceMax: { axes: number[]; keepDims: boolean };
  reshape: { shape: number[] };
  transpose: { perm: number[] };
  expand: { shape: number[] };
  /** One [start, end) per axis, non-negative, clamped to the axis. */
  slice: { starts: number[]; ends: number[] };
  concat: { axis: number };
  where: {};
  cast: { to: DType };
  gather: { axis: number };
  oneHot: { depth: number; dtype: DType };
  matmul: {};
  sortDesc: {};
  cumsum: { axis: number; reverse: boolean };
  stopGradient: {};
  conv2d: Conv2dAttrs;
  /** `size`: the [H, W] of the result, i.e. of the conv2d input this is the adjoint for. */
  conv2dTranspose: Conv2dAttrs & { size: number[] };
  input: { name: string };
  /** Constant data, stored in float64 (or exact ints/bools) whatever the node's dtype. */
  const: { value: Float64Array };
}

/** True when `op` is an elementwise unary primitive (narrows it to {@link UnaryOp}). */
export function isUnary(op: OpName): op is UnaryOp { return (UNARY_OPS as readonly string[]).includes(op); }
/** True when `op` is an elementwise binary primitive (narrows it to {@link BinaryOp}). */
export function isBinary(op: OpName): op is BinaryOp { return (BINARY_OPS as readonly string[]).includes(op); }
/** True when `op` is a comparison producing bool (narrows it to {@link CompareOp}). */
export function isCompare(op: OpName): op is CompareOp { return (COMPARE_OPS as readonly string[]).includes(op); }
/** True when `op` is a reduction (narrows it to {@link ReduceOp}). */
export function isReduce(op: OpName): op is ReduceOp { return (REDUCE_OPS as readonly string[]).includes(op); }
