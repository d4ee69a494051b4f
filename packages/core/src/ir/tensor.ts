import type { DType } from './dtype.js';
import type { GraphBuilder } from './builder.js';
import { normAxis } from './shape.js';
import { avgPool2d, conv2d, globalAvgPool, maxPool2d, type Conv2dOptions, type Pool2dOptions } from './conv.js';

type Operand = Tensor | number;

/**
 * A symbolic tensor inside a trace. Methods record primitive ops in the builder; nothing is
 * computed. Numbers given as operands become scalar constants of this tensor's dtype.
 */
export class Tensor {
  constructor(readonly builder: GraphBuilder, readonly id: number) {}

  get shape(): readonly number[] { return this.builder.nodes[this.id]!.shape; }
  get dtype(): DType { return this.builder.nodes[this.id]!.dtype; }
  get rank(): number { return this.shape.length; }
  get size(): number { return this.shape.reduce((a, b) => a * b, 1); }

  private lift(o: Operand): Tensor {
    return typeof o === 'number' ? this.builder.constant(o, [], this.dtype) : o;
  }
  private un(op: 'neg' | 'exp' | 'log' | 'sqrt' | 'tanh' | 'sigmoid' | 'relu' | 'abs' | 'erf' | 'stopGradient' | 'sortDesc'): Tensor {
    return this.builder.emit(op, [this], {});
  }
  private bin(op: 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'max' | 'min' | 'greater' | 'greaterEqual' | 'equal', o: Operand): Tensor {
    return this.builder.emit(op, [this, this.lift(o)], {});
  }

  neg() { return this.un('neg'); }
  exp() { return this.un('exp'); }
  log() { return this.un('log'); }
  sqrt() { return this.un('sqrt'); }
  tanh() { return this.un('tanh'); }
  sigmoid() { return this.un('sigmoid'); }
  relu() { return this.un('relu'); }
  abs() { return this.un('abs'); }
  erf() { return this.un('erf'); }
  /** Identity whose derivative is zero. */
  stopGradient() { return this.un('stopGradient'); }
  /** Sorted descending along the last axis. Not differentiable: use on stopGradient'ed values. */
  sortDesc() { return this.un('sortDesc'); }

  add(o: Operand) { return this.bin('add', o); }
  sub(o: Operand) { return this.bin('sub', o); }
  mul(o: Operand) { return this.bin('mul', o); }
  div(o: Operand) { return this.bin('div', o); }
  pow(o: Operand) { return this.bin('pow', o); }
  /** Elementwise maximum (broadcasting). */
  maximum(o: Operand) { return this.bin('max', o); }
  minimum(o: Operand) { return this.bin('min', o); }
  greater(o: Operand) { return this.bin('greater', o); }
  greaterEqual(o: Operand) { return this.bin('greaterEqual', o); }
  less(o: Operand) { return this.lift(o).greater(this); }
  lessEqual(o: Operand) { return this.lift(o).greaterEqual(this); }
  equal(o: Operand) { return this.bin('equal', o); }
  square() { return this.mul(this); }
  /** Rows of `this` times matrix `o` (batched, batch dims broadcast). */
  matmul(o: Tensor) { return this.builder.emit('matmul', [this, o], {}); }

  cast(to: DType) { return this.builder.emit('cast', [this], { to }); }

  /**
   * 2-D convolution (cross-correlation, as in every DL library) of this NCHW tensor [N, C, H, W]
   * with filter `w` [O, C/groups, kh, kw] → [N, O, Ho, Wo], Ho = ⌊(H + pad_t + pad_b − d·(kh − 1) − 1)/s⌋ + 1.
   * Defaults: stride 1, no padding, dilation 1, groups 1. No bias: add one shaped [1, O, 1, 1].
   */
  conv2d(w: Tensor, opts?: Conv2dOptions) { return conv2d(this, w, opts); }
  /**
   * Average pooling of NCHW over `kernel` = [kh, kw] windows (strides default to the kernel).
   * Padding counts as zeros: every window divides by kh·kw (count_include_pad = true).
   */
  avgPool2d(kernel: readonly [number, number] | readonly number[], opts?: Pool2dOptions) { return avgPool2d(this, kernel, opts); }
  /** Max pooling of NCHW over `kernel` windows (strides default to the kernel); padding is −∞. */
  maxPool2d(kernel: readonly [number, number] | readonly number[], opts?: Pool2dOptions) { return maxPool2d(this, kernel, opts); }
  /** Mean over the spatial axes: [N, C, H, W] → [N, C]. */
  globalAvgPool() { return globalAvgPool(this); }

  /** Sum over `axes` (all by default). */
  sum(axes?: number | number[], keepDims = false) {
    return this.builder.emit('sum', [this], { axes: this.axes(axes), keepDims });
  }
  max(axes?: number | number[], keepDims = false) {
    return this.builder.emit('reduceMax', [this], { axes: this.axes(axes), keepDims });
  }
  mean(axes?: number | number[], keepDims = false) {
    const ax = this.axes(axes);
    const n = ax.reduce((p, a) => p * this.shape[a]!, 1);
    return this.sum(ax, keepDims).div(n);
  }
  private axes(axes?: number | number[]): number[] {
    const list = axes === undefined ? this.shape.map((_, i) => i) : typeof axes === 'number' ? [axes] : axes;
    return list.map((a) => normAxis('reduce', a, this.rank));
  }

  reshape(shape: readonly number[]) {
    const s = [...shape];
    const hole = s.indexOf(-1);
    if (hole >= 0) {
      const known = s.reduce((p, d, i) => (i === hole ? p : p * d), 1);
      s[hole] = known === 0 ? 0 : this.size / known;
    }
    return this.builder.emit('reshape', [this], { shape: s });
  }
  /** Permute axes; reverses them by default. */
  transpose(perm?: readonly number[]) {
    return this.builder.emit('transpose', [this], { perm: perm ? [...perm] : this.shape.map((_, i) => this.rank - 1 - i) });
  }
  /** Matrix transpose of the last two axes. */
  get T() {
    const p = this.shape.map((_, i) => i);
    [p[this.rank - 1], p[this.rank - 2]] = [p[this.rank - 2]!, p[this.rank - 1]!];
    return this.transpose(p);
  }
  expand(shape: readonly number[]) { return this.builder.emit('expand', [this], { shape: [...shape] }); }
  /** Half-open ranges per axis; omitted trailing axes are taken whole; negative ends count from the back. */
  slice(starts: readonly number[], ends?: readonly number[]) {
    const s = this.shape.map((_, i) => starts[i] ?? 0);
    const e = this.shape.map((d, i) => {
      const v = ends?.[i];
      return v === undefined ? d : v < 0 ? d + v : Math.min(v, d);
    });
    return this.builder.emit('slice', [this], { starts: s, ends: e });
  }
  /** Take entries along `axis` at integer `indices` (numpy.take). */
  gather(indices: Tensor, axis = 0) { return this.builder.emit('gather', [this, indices], { axis }); }
  cumsum(axis = -1, reverse = false) {
    return this.builder.emit('cumsum', [this], { axis: normAxis('cumsum', axis, this.rank), reverse });
  }

  // Composites used everywhere: kept here so that models and losses read like math.
  /** log Σ exp along `axis`, max-shifted so large logits neither overflow nor underflow. */
  logsumexp(axis = -1, keepDims = false): Tensor {
    const top = this.max(axis, true).stopGradient();
    // An infinite max (a row of −∞, or a +∞ entry) would make x − m NaN; shift by 0 there instead,
    // so the result is −∞ or +∞ as the math says.
    const m = where(top.abs().less(Infinity), top, 0);
    const s = this.sub(m).exp().sum(axis, true).log().add(m);
    return keepDims ? s : s.reshape(s.shape.filter((_, i) => i !== normAxis('logsumexp', axis, this.rank)));
  }
  /** x − max(x) along `axis`, the max held constant: exact for every derivative, keeps exp(·) in (0, 1]. */
  private shifted(axis: number): Tensor {
    return this.sub(this.max(axis, true).stopGradient());
  }
  softmax(axis = -1): Tensor {
    const e = this.shifted(axis).exp();
    return e.div(e.sum(axis, true));
  }
  logSoftmax(axis = -1): Tensor {
    const s = this.shifted(axis);
    return s.sub(s.exp().sum(axis, true).log());
  }
}

/** Elementwise select: `cond ? a : b` (broadcasting). */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  const bl = cond.builder;
  const ref = typeof a === 'number' ? (typeof b === 'number' ? undefined : b) : a;
  const dt = ref?.dtype ?? 'f32';
  const ta = typeof a === 'number' ? bl.constant(a, [], dt) : a;
  const tb = typeof b === 'number' ? bl.constant(b, [], dt) : b;
  return bl.emit('where', [cond, ta, tb], {});
}

/**
 * Concatenate tensors along `axis` (default 0; negative counts from the end). They must share the
 * dtype and every other dimension (else a ShapeError).
 * @throws Error when `ts` is empty.
 */
export function concat(ts: Tensor[], axis = 0): Tensor {
  if (ts.length === 0) throw new Error('concat: no tensors');
  return ts[0]!.builder.emit('concat', ts, { axis: normAxis('concat', axis, ts[0]!.rank) });
}

/** One-hot encode i32 `indices` along a new last axis of length `depth`, in `dtype` (default f32); an index outside [0, depth) gives an all-zero row. */
export function oneHot(indices: Tensor, depth: number, dtype: DType = 'f32'): Tensor {
  return indices.builder.emit('oneHot', [indices], { depth, dtype });
}
