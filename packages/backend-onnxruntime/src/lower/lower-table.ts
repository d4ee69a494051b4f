import type { DType, Node, OpAttrs, OpName } from '@clt/core';
import { lowerConv2d, lowerConv2dTranspose } from './conv.js';
import { lowerErfF64 } from './erf-f64.js';
import { OnnxType, type AttrValue, type OnnxTypeCode } from './onnx-proto.js';

/**
 * What a lowering rule may do: emit ONNX nodes and constant initializers. Implemented by
 * `lowerGraph` (model.ts); rules never see protobuf.
 */
export interface LowerContext {
  /** ONNX element type that an IR dtype is computed in (f64 → f32 where the target lacks doubles). */
  type(d: DType): OnnxTypeCode;
  /** Emit one ONNX node; returns its output names (`outputs` of them, default 1). */
  emit(opType: string, inputs: readonly string[], attrs?: Record<string, AttrValue>, outputs?: number, name?: string): string[];
  /** An int64 initializer (shapes, axes, starts/ends): deduplicated by value. */
  i64(values: readonly number[], scalar?: boolean): string;
  /** A scalar initializer of an IR dtype (computed type). */
  scalar(value: number, d: DType): string;
  /** A data initializer for a `const` node. */
  constant(node: Node<'const'>): string;
  /** The ONNX value name the IR node's result must carry (graph outputs are named directly). */
  out(node: Node): string;
}

/** Lower one IR node given the ONNX value names of its inputs; returns the name of its result. */
export type Lowering<K extends OpName> = (cx: LowerContext, node: Node<K>, ins: readonly string[], inNodes: readonly Node[]) => string;

const int = (value: number): AttrValue => ({ kind: 'int', value });
const ints = (value: readonly number[]): AttrValue => ({ kind: 'ints', value });

/** One ONNX op with the same operands, named like the IR node. */
const direct = (opType: string): Lowering<OpName> => (cx, n, ins) => cx.emit(opType, ins, undefined, 1, cx.out(n))[0]!;
const identity: Lowering<OpName> = (cx, n, ins) => cx.emit('Identity', ins, undefined, 1, cx.out(n))[0]!;

/**
 * Elementwise max/min as a select. ONNX `Max`/`Min` have no WebGPU kernel in recent ONNX Runtime
 * releases, and a node without a kernel runs on the CPU with copies around it; `Where(Greater)`
 * lands on every provider. NaN propagates like `Math.max` (the reference): an outer select keeps a
 * NaN first operand (`Equal(a, a)` is false only for NaN), and a NaN second operand fails the
 * comparison and is selected. Ties pick the second operand (same value).
 */
const select = (cmp: 'Greater' | 'Less'): Lowering<OpName> => (cx, n, [a, b]) => {
  const [c] = cx.emit(cmp, [a!, b!]);
  const [picked] = cx.emit('Where', [c!, a!, b!]);
  const [notNaN] = cx.emit('Equal', [a!, a!]);
  return cx.emit('Where', [notNaN!, picked!, a!], undefined, 1, cx.out(n))[0]!;
};

const reduce = (opType: 'ReduceSum' | 'ReduceMax'): Lowering<'sum' | 'reduceMax'> => (cx, n, ins, [x]) => {
  const a = n.attrs as OpAttrs['sum'];
  // No axes: nothing reduced. ONNX would read empty axes as "all axes", so never emit them.
  if (a.axes.length === 0) return identity(cx, n, ins, [x!]);
  const r = x!.shape.length, axes = a.axes.map((v) => (v < 0 ? v + r : v));
  // Column sums of a float matrix (bias gradients) as 1ᵀX: a GEMV reads X once at full speed,
  // where ReduceSum over the leading axis walks it with a stride (several times slower on CPU).
  if (opType === 'ReduceSum' && r === 2 && axes.length === 1 && axes[0] === 0 && (x!.dtype === 'f32' || x!.dtype === 'f64') && x!.shape[0]! > 1) {
    const ones = cx.constant({ id: -1, op: 'const', inputs: [], attrs: { value: new Float64Array(x!.shape[0]!).fill(1) }, shape: [1, x!.shape[0]!], dtype: x!.dtype });
    if (a.keepDims) return cx.emit('MatMul', [ones, ins[0]!], undefined, 1, cx.out(n))[0]!;
    const [row] = cx.emit('MatMul', [ones, ins[0]!]);
    return cx.emit('Reshape', [row!, cx.i64([x!.shape[1]!])], undefined, 1, cx.out(n))[0]!;
  }
  return cx.emit(opType, [ins[0]!, cx.i64(axes)], { keepdims: int(a.keepDims ? 1 : 0) }, 1, cx.out(n))[0]!;
};

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Innermost run below which a broadcast operand is expanded first (see `broadcastBinary`).
 * Measured on ONNX Runtime 1.30 CPU: Mul/Equal of [5376, 2, 14, 2] by [5376, 1, 14, 1] (LeNet's
 * first max-pool gradient) took about 3× as long as Expand + the same-shape op.
 */
export const SHORT_BROADCAST_RUN = 16;

/**
 * Whether an operand of shape `s` broadcast to `out` walks ONNX Runtime's slow path: its
 * broadcast and non-broadcast axes interleave (neither a scalar nor the full shape) and the
 * innermost run of axes of one kind holds fewer than SHORT_BROADCAST_RUN elements, so the CPU
 * kernel's broadcaster calls its inner loop once per handful of elements.
 */
export function shortBroadcastRun(s: readonly number[], out: readonly number[]): boolean {
  const r = out.length, aligned = [...new Array<number>(r - s.length).fill(1), ...s];
  const kinds: boolean[] = [], sizes: number[] = [];
  for (let i = r - 1; i >= 0; i--) {
    const o = out[i]!;
    if (o === 1) continue; // size-1 axes merge with anything
    const b = aligned[i] === 1;
    if (kinds.length && kinds[kinds.length - 1] === b) sizes[sizes.length - 1]! *= o;
    else { kinds.push(b); sizes.push(o); }
  }
  return kinds.length >= 2 && sizes[0]! < SHORT_BROADCAST_RUN;
}

/**
 * A broadcasting binary op. Operands whose broadcast would take ONNX Runtime's slow path
 * (`shortBroadcastRun`) are expanded to the output shape first: the same values, computed by a
 * same-shape kernel after one Expand.
 */
const broadcastBinary = (opType: string): Lowering<OpName> => (cx, n, ins, inNodes) => {
  const outShape = inNodes.length === 2 ? broadcastShape(inNodes[0]!.shape, inNodes[1]!.shape) : undefined;
  const full = (t: string, x: Node) => (outShape && !outShape.includes(0) && shortBroadcastRun(x.shape, outShape) ? cx.emit('Expand', [t, cx.i64(outShape)], undefined, 1)[0]! : t);
  return cx.emit(opType, ins.map((t, i) => full(t, inNodes[i]!)), undefined, 1, cx.out(n))[0]!;
};

/** NumPy broadcast of two shapes (the IR has checked they broadcast). */
function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  return Array.from({ length: r }, (_, i) => {
    const x = a[a.length - r + i] ?? 1, y = b[b.length - r + i] ?? 1;
    return x === 1 ? y : x;
  });
}

/**
 * The lowering of every primitive to standard ONNX ops (ai.onnx opset 18). A missing entry fails
 * `tsc`. Choices keep the hot graphs on every provider: no `Max`/`Min`/`OneHot`/`Gemm`
 * (ONNX Runtime fuses MatMul+Add itself), and `Transpose` at an opset WebGPU registers (≤ 20).
 */
export const LOWERINGS = {
  neg: direct('Neg'), exp: direct('Exp'), log: direct('Log'), sqrt: direct('Sqrt'), tanh: direct('Tanh'),
  sigmoid: direct('Sigmoid'), relu: direct('Relu'), abs: direct('Abs'),
  // ONNX Runtime's CPU Erf has no double kernel: f64 gets a composite of double-capable ops.
  erf: (cx, n, ins) => (cx.type(n.dtype) === OnnxType.DOUBLE ? lowerErfF64(cx, ins[0]!, cx.out(n)) : cx.emit('Erf', ins, undefined, 1, cx.out(n))[0]!),
  add: broadcastBinary('Add'), sub: broadcastBinary('Sub'), mul: broadcastBinary('Mul'), div: broadcastBinary('Div'),
  // ONNX Runtime's WebGPU Pow kernel fails on broadcast operands (seen on an H100, ORT 1.30):
  // expand both to the output shape first; the CPU provider folds the Expand away.
  pow: (cx, n, ins, [a, b]) => {
    const full = (t: string, s: readonly number[]) => (same(s, n.shape) ? t : cx.emit('Expand', [t, cx.i64(n.shape)], undefined, 1)[0]!);
    return cx.emit('Pow', [full(ins[0]!, a!.shape), full(ins[1]!, b!.shape)], undefined, 1, cx.out(n))[0]!;
  },
  max: select('Greater'), min: select('Less'),
  greater: broadcastBinary('Greater'), greaterEqual: broadcastBinary('GreaterOrEqual'), equal: broadcastBinary('Equal'),
  sum: reduce('ReduceSum'),
  reduceMax: reduce('ReduceMax'),
  reshape: (cx, n, ins) => {
    const s = n.attrs.shape;
    // ONNX reads a 0 in the target shape as "copy that dimension" unless allowzero = 1.
    return cx.emit('Reshape', [ins[0]!, cx.i64(s)], s.includes(0) ? { allowzero: int(1) } : undefined, 1, cx.out(n))[0]!;
  },
  transpose: (cx, n, ins) => cx.emit('Transpose', ins, { perm: ints(n.attrs.perm) }, 1, cx.out(n))[0]!,
  expand: (cx, n, ins, [x]) => (same(x!.shape, n.shape) ? identity(cx, n, ins, [x!]) : cx.emit('Expand', [ins[0]!, cx.i64(n.shape)], undefined, 1, cx.out(n))[0]!),
  slice: (cx, n, ins, [x]) => {
    const { starts, ends } = n.attrs;
    const axes = x!.shape.map((_, i) => i).filter((i) => starts[i] !== 0 || ends[i] !== x!.shape[i]);
    if (axes.length === 0) return identity(cx, n, ins, [x!]);
    const sel = (v: readonly number[]) => axes.map((i) => v[i]!);
    return cx.emit('Slice', [ins[0]!, cx.i64(sel(starts)), cx.i64(sel(ends)), cx.i64(axes)], undefined, 1, cx.out(n))[0]!;
  },
  concat: (cx, n, ins, inNodes) => {
    const ax = n.attrs.axis < 0 ? n.attrs.axis + n.shape.length : n.attrs.axis;
    return ins.length === 1 ? identity(cx, n, ins, inNodes) : cx.emit('Concat', ins, { axis: int(ax) }, 1, cx.out(n))[0]!;
  },
  // ONNX Runtime's CPU Where has no bool kernel ("Could not find an implementation for Where(16)"):
  // bool branches are selected as int32 and cast back.
  where: (cx, n, ins) => {
    if (n.dtype !== 'bool') return cx.emit('Where', ins, undefined, 1, cx.out(n))[0]!;
    const asInt = (t: string) => cx.emit('Cast', [t], { to: int(OnnxType.INT32) })[0]!;
    const [sel] = cx.emit('Where', [ins[0]!, asInt(ins[1]!), asInt(ins[2]!)]);
    return cx.emit('Cast', [sel!], { to: int(OnnxType.BOOL) }, 1, cx.out(n))[0]!;
  },
  cast: (cx, n, ins, [x]) => (cx.type(x!.dtype) === cx.type(n.dtype) ? identity(cx, n, ins, [x!]) : cx.emit('Cast', ins, { to: int(cx.type(n.dtype)) }, 1, cx.out(n))[0]!),
  gather: (cx, n, ins, [x]) => {
    const ax = n.attrs.axis < 0 ? n.attrs.axis + x!.shape.length : n.attrs.axis;
    return cx.emit('Gather', ins, { axis: int(ax) }, 1, cx.out(n))[0]!;
  },
  // Equal against 0..depth-1, not ONNX OneHot: out-of-range indices give a zero row (the IR's
  // semantics; OneHot would wrap negatives), and Equal/Cast have WebGPU kernels, OneHot has none.
  oneHot: (cx, n, ins, [ix]) => {
    const depth = n.attrs.depth;
    const [col] = cx.emit('Reshape', [ins[0]!, cx.i64([...ix!.shape, 1])]);
    const range = cx.constant({ id: -1, op: 'const', inputs: [], attrs: { value: Float64Array.from({ length: depth }, (_, i) => i) }, shape: [depth], dtype: 'i32' });
    const [eq] = cx.emit('Equal', [col!, range]);
    return cx.emit('Cast', [eq!], { to: int(cx.type(n.attrs.dtype)) }, 1, cx.out(n))[0]!;
  },
  matmul: direct('MatMul'),
  sortDesc: (cx, n, ins, [x]) => {
    // Sorting no values is the identity; ONNX Runtime's CPU TopK divides by the row count and dies
    // with SIGFPE on a zero-size batch axis ([0, d], seen with ORT 1.30), so it never sees one.
    if (x!.shape.includes(0)) return identity(cx, n, ins, [x!]);
    const k = n.shape[n.shape.length - 1]!;
    return cx.emit('TopK', [ins[0]!, cx.i64([k])], { axis: int(-1), largest: int(1), sorted: int(1) }, 2, cx.out(n))[0]!;
  },
  cumsum: (cx, n, ins) => {
    const ax = n.attrs.axis < 0 ? n.attrs.axis + n.shape.length : n.attrs.axis;
    return cx.emit('CumSum', [ins[0]!, cx.i64([ax], true)], n.attrs.reverse ? { reverse: int(1) } : undefined, 1, cx.out(n))[0]!;
  },
  stopGradient: identity,
  // Native Conv/ConvTranspose in float32; an exact decomposition in float64 (conv.ts).
  conv2d: lowerConv2d,
  conv2dTranspose: lowerConv2dTranspose,
  // Leaves are turned into graph inputs and initializers by lowerGraph before the rules run.
  input: (cx, n) => cx.out(n),
  const: (cx, n) => cx.constant(n),
} satisfies { [K in OpName]: Lowering<K> };

/** Ops this lowering covers: all of them (the table is total). */
export const LOWERED_OPS: ReadonlySet<OpName> = new Set(Object.keys(LOWERINGS) as OpName[]);
