import type { Conv2dAttrs } from './ops.js';
import { ShapeError } from './shape.js';
import type { Tensor } from './tensor.js';

/**
 * Convolutions and pooling on NCHW tensors. Two primitives (`conv2d` and its adjoint
 * `conv2dTranspose`); the filter gradient and every pooling are composites of those and of
 * movement ops, so a backend lowers two ops and gets all of it with derivatives of any order.
 */

/** Options of `Tensor.conv2d`; every field defaults to the identity (stride 1, no padding, ...). */
export interface Conv2dOptions {
  /** [along H, along W], default [1, 1]. */
  strides?: readonly [number, number] | readonly number[];
  /** Zero padding [top, left, bottom, right] (ONNX order), default none. */
  pads?: readonly [number, number, number, number] | readonly number[];
  /** Kernel dilation [along H, along W], default [1, 1]. */
  dilations?: readonly [number, number] | readonly number[];
  /** Channel groups: input and output channels are split into `groups` independent convolutions. Default 1. */
  groups?: number;
}

/** Options of the poolings: strides default to the kernel (non-overlapping windows), pads to none. */
export interface Pool2dOptions {
  strides?: readonly [number, number] | readonly number[];
  /** [top, left, bottom, right]; each must be smaller than the kernel along its axis. */
  pads?: readonly [number, number, number, number] | readonly number[];
}

/** The explicit conv attributes of some {@link Conv2dOptions}, defaults filled in: strides [1, 1], pads [0, 0, 0, 0], dilations [1, 1], groups 1. */
export function convAttrs(o: Conv2dOptions = {}): Conv2dAttrs {
  return { strides: [...(o.strides ?? [1, 1])], pads: [...(o.pads ?? [0, 0, 0, 0])], dilations: [...(o.dilations ?? [1, 1])], groups: o.groups ?? 1 };
}

/** conv2d(x [N, C, H, W], w [O, C/groups, kh, kw]) → [N, O, Ho, Wo]; a primitive. */
export function conv2d(x: Tensor, w: Tensor, o: Conv2dOptions = {}): Tensor {
  return x.builder.emit('conv2d', [x, w], convAttrs(o));
}

/**
 * The adjoint of `conv2d(·, w)`: maps a cotangent g [N, O, Ho, Wo] of the conv's output to the
 * cotangent [N, C, H, W] of its input, `size` = [H, W] (needed because strides make H → Ho many
 * to one). A primitive (ONNX ConvTranspose, tf.conv2dTranspose).
 */
export function conv2dTranspose(g: Tensor, w: Tensor, size: readonly number[], o: Conv2dOptions = {}): Tensor {
  return g.builder.emit('conv2dTranspose', [g, w], { ...convAttrs(o), size: [...size] });
}

/**
 * The filter gradient of y = conv2d(x, w): dW = ∂⟨gy, y⟩/∂w, shape `wShape` [O, C/G, kh, kw].
 *   dW[g·Og + o, c, i, j] = Σ_{n, y, x} gy[n, g·Og + o, y, x] · x[n, g·Cg + c, y·s − p + i·d, …]
 * is itself a grouped conv2d with the roles of batch and channels swapped: input x laid out as
 * [Cg, G·N, H, W], filter gy as [G·Og, N, Ho, Wo], stride = the dilation, dilation = the stride,
 * same pads; its [Cg, O, kh', kw'] result (kh' ≥ kh when the stride leaves rows unread) is cut to
 * [kh, kw] and transposed. A composite, so its own derivatives come from the conv rules.
 */
export function conv2dFilterGrad(x: Tensor, gy: Tensor, a: Conv2dAttrs, wShape: readonly number[]): Tensor {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [, O, Ho, Wo] = gy.shape as [number, number, number, number];
  const G = a.groups, Cg = C / G, Og = O / G, [kh, kw] = [wShape[2]!, wShape[3]!];
  if (G === 1 && N * Ho * Wo > 0) return filterGradByTaps(x, gy, a, kh, kw);
  const xt = x.reshape([N, G, Cg, H, W]).transpose([2, 1, 0, 3, 4]).reshape([Cg, G * N, H, W]);
  const gt = gy.reshape([N, G, Og, Ho, Wo]).transpose([1, 2, 0, 3, 4]).reshape([O, N, Ho, Wo]);
  const r = x.builder.emit('conv2d', [xt, gt], { strides: [...a.dilations], dilations: [...a.strides], pads: [...a.pads], groups: G });
  return r.slice([0, 0, 0, 0], [Cg, O, kh, kw]).transpose([1, 0, 2, 3]);
}

/**
 * The ungrouped filter gradient as matrix products over the kernel taps. With x as [C, N, H, W]
 * zero-padded and gy as [O, N·Ho·Wo], tap (i, j) reads the strided window
 *   X_ij[c, (n, y, x)] = xpad[c, n, y·s + i·d, x·s + j·d],   and   dW[:, :, i, j] = gy · X_ijᵀ,
 * a product whose contraction runs over all N·Ho·Wo output positions. A conv2d with batch and
 * channels swapped computes the same sums, but as a convolution with an Ho×Wo kernel and a kh×kw
 * output, which CPU convolutions (im2col and a product only kh·kw columns wide) run at a fraction
 * of their speed: ResNet-18's filter gradients took about 1.6× its forward convolutions on ONNX
 * Runtime, and about what those take this way. Few output positions (small feature maps) or few
 * channels: the taps are stacked into one [C·kh·kw, N·Ho·Wo] matrix for a single product; else one
 * product per tap, which spares the stacked copy.
 */
function filterGradByTaps(x: Tensor, gy: Tensor, a: Conv2dAttrs, kh: number, kw: number): Tensor {
  const [N, C] = x.shape as [number, number, number, number];
  const [, O, Ho, Wo] = gy.shape as [number, number, number, number];
  const [sh, sw] = a.strides as [number, number], [dh, dw] = a.dilations as [number, number];
  const [pt, pl] = a.pads as [number, number, number, number], L = N * Ho * Wo, b = x.builder;
  // Rows/columns a strided slice spans (start + s·count at most): zeros beyond the input are read
  // only where the conv reads its padding, or skipped by the stride.
  const needH = (kh - 1) * dh + sh * Ho, needW = (kw - 1) * dw + sw * Wo;
  // Strided with several taps: split the rows and columns into their s phases once (a reshape and
  // one transpose to [sh, sw, C, N, R/sh, S/sw]); each tap is then a plain window of one phase,
  // instead of two strided copies per axis (the last of which moves single elements).
  const phases = (sh > 1 || sw > 1) && kh * kw > 1;
  const R = phases ? Math.ceil(needH / sh) * sh : needH, S = phases ? Math.ceil(needW / sw) * sw : needW;
  // Zero-pad to R rows (never fewer than pad + H: a conv's last window ends within s of the end).
  const pad = (t: Tensor, axis: number, before: number, total: number): Tensor => {
    const after = total - before - t.shape[axis]!;
    if (after < 0) throw new Error(`conv2dFilterGrad: ${total} padded rows cannot hold ${before} + ${t.shape[axis]}`);
    const zeros = (n: number) => b.fill(0, t.shape.map((d, i) => (i === axis ? n : d)), t.dtype);
    const parts = [...(before > 0 ? [zeros(before)] : []), t, ...(after > 0 ? [zeros(after)] : [])];
    return parts.length === 1 ? t : b.emit('concat', parts, { axis });
  };
  const xp = pad(pad(x.transpose([1, 0, 2, 3]), 2, pt, R), 3, pl, S);
  const g = gy.transpose([1, 0, 2, 3]).reshape([O, L]);
  const taps: Tensor[] = [];
  // (The phases merged into one axis: ONNX Runtime's transpose optimizer would otherwise push the
  // Transpose into each tap's Slice, back to strided copies.)
  const split = phases ? xp.reshape([C, N, R / sh, sh, S / sw, sw]).transpose([3, 5, 0, 1, 2, 4]).reshape([sh * sw, C, N, R / sh, S / sw]) : undefined;
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++) {
      if (!split) { taps.push(strided(strided(xp, 2, i * dh, sh, Ho), 3, j * dw, sw, Wo).reshape([C, L])); continue; }
      const [pi, oi, pj, oj] = [(i * dh) % sh, Math.floor((i * dh) / sh), (j * dw) % sw, Math.floor((j * dw) / sw)];
      const ph = pi * sw + pj;
      taps.push(split.slice([ph, 0, 0, oi, oj], [ph + 1, C, N, oi + Ho, oj + Wo]).reshape([C, L]));
    }
  if (taps.length === 1) return g.matmul(taps[0]!.transpose([1, 0])).reshape([O, C, kh, kw]);
  if (L < FILTER_GRAD_PER_TAP_ROWS || C < FILTER_GRAD_PER_TAP_CHANNELS) {
    const cols = b.emit('concat', taps.map((t) => t.reshape([C, 1, L])), { axis: 1 }).reshape([C * kh * kw, L]);
    return g.matmul(cols.transpose([1, 0])).reshape([O, C, kh, kw]);
  }
  return b.emit('concat', taps.map((t) => g.matmul(t.transpose([1, 0])).reshape([O, C, 1])), { axis: 2 }).reshape([O, C, kh, kw]);
}

/**
 * When the filter gradient takes one product per kernel tap: from this many output positions
 * (N·Ho·Wo) and input channels (each product is C wide; fewer make the stacked product the faster).
 */
const FILTER_GRAD_PER_TAP_ROWS = 8192, FILTER_GRAD_PER_TAP_CHANNELS = 32;

function poolGeometry(op: string, x: Tensor, kernel: readonly number[], o: Pool2dOptions) {
  if (x.rank !== 4) throw new ShapeError(op, `input must be NCHW (rank 4), got [${x.shape.join(',')}]`);
  if (kernel.length !== 2 || kernel.some((k) => !Number.isInteger(k) || k < 1)) throw new ShapeError(op, `kernel must be two integers >= 1, got ${JSON.stringify(kernel)}`);
  const strides = [...(o.strides ?? kernel)], pads = [...(o.pads ?? [0, 0, 0, 0])];
  if (strides.length !== 2 || strides.some((s) => !Number.isInteger(s) || s < 1)) throw new ShapeError(op, `strides must be two integers >= 1, got ${JSON.stringify(o.strides)}`);
  if (pads.length !== 4 || pads.some((p, i) => !Number.isInteger(p) || p < 0 || p >= kernel[i % 2]!))
    throw new ShapeError(op, `pads must be four integers [top, left, bottom, right], each >= 0 and smaller than the kernel ${JSON.stringify(kernel)}, got ${JSON.stringify(o.pads)}`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const out = [0, 1].map((i) => {
    const padded = [H, W][i]! + pads[i]! + pads[i + 2]!;
    if (kernel[i]! > padded) throw new ShapeError(op, `kernel ${JSON.stringify(kernel)} larger than the padded input [${H},${W}]`);
    return Math.floor((padded - kernel[i]!) / strides[i]!) + 1;
  }) as [number, number];
  return { N, C, H, W, strides, pads, out };
}

/**
 * Average pooling over kh×kw windows. Padding counts as zeros in the average: every window is
 * divided by kh·kw (PyTorch's `count_include_pad=True`, ONNX AveragePool's `count_include_pad=1`).
 * Non-overlapping unpadded windows are a reshape and a mean; otherwise it is a conv2d of the
 * channels folded into the batch with a constant 1/(kh·kw) filter (groups = 1, so every backend
 * runs it with its plain convolution).
 */
export function avgPool2d(x: Tensor, kernel: readonly number[], o: Pool2dOptions = {}): Tensor {
  const { N, C, H, W, strides, pads, out } = poolGeometry('avgPool2d', x, kernel, o);
  const [kh, kw] = kernel as [number, number];
  if (tiles(kernel, strides, pads)) return tileView(x, kh, kw, out).mean([1, 3]).reshape([N, C, out[0], out[1]]);
  const w = x.builder.constant(1 / (kh * kw), [1, 1, kh, kw], x.dtype);
  return conv2d(x.reshape([N * C, 1, H, W]), w, { strides, pads }).reshape([N, C, out[0], out[1]]);
}

/**
 * Max pooling over kh×kw windows; padding is −∞ (never selected). Non-overlapping unpadded windows
 * are a reshape, transposes and a max over a leading window axis (`windowsFirst`); otherwise the
 * kh·kw strided views are stacked on a new axis and reduced with max. The derivative follows reduceMax: ties within a window share the cotangent equally.
 */
export function maxPool2d(x: Tensor, kernel: readonly number[], o: Pool2dOptions = {}): Tensor {
  const { N, C, H, W, strides, pads, out } = poolGeometry('maxPool2d', x, kernel, o);
  const [kh, kw] = kernel as [number, number];
  if (tiles(kernel, strides, pads)) return windowsFirst(x, kh, kw, out).max(0).reshape([N, C, out[0], out[1]]);
  const [Ho, Wo] = out, [sh, sw] = strides as [number, number];
  // Pad to cover every strided view's [start, start + s·count) range: the tail beyond the last
  // window is never selected, so −∞ there is as good as anything.
  const needH = Math.max(H + pads[0]! + pads[2]!, kh - 1 + sh * Ho), needW = Math.max(W + pads[1]! + pads[3]!, kw - 1 + sw * Wo);
  const b = x.builder, ninf = (shape: number[]) => b.fill(-Infinity, shape, x.dtype);
  let p = x;
  const padAxis = (t: Tensor, axis: number, before: number, after: number) => {
    const parts: Tensor[] = [];
    const side = (n: number) => ninf(t.shape.map((d, i) => (i === axis ? n : d)));
    if (before > 0) parts.push(side(before));
    parts.push(t);
    if (after > 0) parts.push(side(after));
    return parts.length === 1 ? t : b.emit('concat', parts, { axis });
  };
  p = padAxis(p, 2, pads[0]!, needH - H - pads[0]!);
  p = padAxis(p, 3, pads[1]!, needW - W - pads[1]!);
  const views: Tensor[] = [];
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++) views.push(strided(strided(p, 2, i, sh, Ho), 3, j, sw, Wo).reshape([N * C, 1, Ho * Wo]));
  return (views.length === 1 ? views[0]! : b.emit('concat', views, { axis: 1 })).max(1).reshape([N, C, Ho, Wo]);
}

/** Mean over the spatial axes: [N, C, H, W] → [N, C]. */
export function globalAvgPool(x: Tensor): Tensor {
  if (x.rank !== 4) throw new ShapeError('globalAvgPool', `input must be NCHW (rank 4), got [${x.shape.join(',')}]`);
  return x.mean([2, 3]);
}

/** Windows tile the input exactly (stride = kernel, no padding): pooling is a reshape + reduce. */
function tiles(kernel: readonly number[], strides: readonly number[], pads: readonly number[]): boolean {
  return strides[0] === kernel[0] && strides[1] === kernel[1] && pads.every((p) => p === 0);
}

/**
 * [N, C, H, W] → [N·C·Ho, kh, Wo, kw] by a reshape, dropping rows and columns no window covers:
 * each window is axes 1 and 3 of one [·, ·, wo, ·] slab.
 * Rank ≤ 4 throughout: tfjs-webgpu's rank-6 transpose shader fails to compile (Mesa llvmpipe).
 */
function tileView(x: Tensor, kh: number, kw: number, [Ho, Wo]: readonly number[]): Tensor {
  const [N, C] = x.shape as [number, number];
  return x.slice([0, 0, 0, 0], [N, C, Ho! * kh, Wo! * kw]).reshape([N * C * Ho!, kh, Wo!, kw]);
}

/**
 * [N, C, H, W] → [kh·kw, N·C·Ho·Wo]: window element first, one column per window, so max pooling
 * is a leading-axis reduction and its gradient's mask and share broadcast a [1, N·C·Ho·Wo] row
 * (long runs, ONNX Runtime's fast path). The [N·C·Ho, kh, Wo, kw] view reduced over axes 1 and 3
 * broadcast [.., 1, Wo, 1] against it: runs of kh or kw elements, which ONNX Runtime's CPU
 * Equal/Mul/Expand walk element by element (LeNet's step spent 7 of 17 ms there). The transpose
 * is taken in two steps, a 2-D one and a one-axis move of Wo-element runs, which ONNX Runtime runs
 * about 3× as fast as the single [1, 3, 0, 2] permutation; rank ≤ 4 throughout (see `tileView`).
 */
function windowsFirst(x: Tensor, kh: number, kw: number, [Ho, Wo]: readonly number[]): Tensor {
  const [N, C] = x.shape as [number, number], M = N * C * Ho!;
  const t = tileView(x, kh, kw, [Ho!, Wo!]).reshape([M * kh * Wo!, kw]).transpose([1, 0]);
  return t.reshape([kw * M, kh, Wo!]).transpose([1, 0, 2]).reshape([kh * kw, M * Wo!]);
}

/** Elements start, start + step, …, start + step·(count − 1) along `axis` (needs start + step·count ≤ size). */
function strided(t: Tensor, axis: number, start: number, step: number, count: number): Tensor {
  const starts = t.shape.map((_, i) => (i === axis ? start : 0));
  const ends = t.shape.map((d, i) => (i === axis ? start + step * count : d));
  const s = t.slice(starts, ends);
  if (step === 1) return s;
  // [outer, count, step, inner] (rank 4 whatever t's rank): keep index 0 of each step.
  const outer = t.shape.slice(0, axis).reduce((p, d) => p * d, 1), inner = t.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const first = s.reshape([outer, count, step, inner]).slice([0, 0, 0, 0], [outer, count, 1, inner]);
  return first.reshape(t.shape.map((d, i) => (i === axis ? count : d)));
}
