import type { Node } from '@clt/core';
import * as tf from '@tensorflow/tfjs-core';
import type { TfLowering } from './lower-table.js';

/**
 * conv2d and conv2dTranspose on tfjs. The IR is NCHW; tfjs's cpu, wasm and webgpu kernels take
 * NHWC only, so the activations are transposed around each call (the filter, [O, C/G, kh, kw], is
 * transposed to tfjs's [kh, kw, in, out]). Gaps in what tfjs accepts are bridged exactly:
 *
 * - groups: depthwise (one input channel per group) uses `depthwiseConv2d`; other group counts
 *   run one conv per group on channel slices and concatenate;
 * - tfjs refuses a stride and a dilation both above 1, and `conv2dTranspose` takes no dilation:
 *   there the filter is dilated explicitly (zeros between taps) and run at dilation 1, which is
 *   the same sum (filters are small, so the zeros cost little);
 * - explicit [top, bottom] × [left, right] padding is passed as tfjs's ExplicitPadding, except to
 *   tfjs-node's transpose (TensorFlow takes 'valid'/'same' only), which pads by slicing.
 */
type Pads = [[number, number], [number, number], [number, number], [number, number]];

const explicit = (p: readonly number[]): Pads => [[0, 0], [p[0]!, p[2]!], [p[1]!, p[3]!], [0, 0]];
const toNHWC = (t: tf.Tensor) => tf.transpose(t, [0, 2, 3, 1]) as tf.Tensor4D;
const toNCHW = (t: tf.Tensor) => tf.transpose(t, [0, 3, 1, 2]) as tf.Tensor4D;

/** Filter [kh, kw, I, O] with d − 1 zero rows/columns between taps: [(kh − 1)·dh + 1, (kw − 1)·dw + 1, I, O]. */
function dilateFilter(f: tf.Tensor4D, [dh, dw]: readonly number[]): tf.Tensor4D {
  const [kh, kw, I, O] = f.shape;
  let t: tf.Tensor = f;
  if (dh! > 1) {
    const p = tf.pad(tf.reshape(t, [kh, 1, kw * I * O]), [[0, 0], [0, dh! - 1], [0, 0]]);
    t = tf.slice(tf.reshape(p, [kh * dh!, kw * I * O]), [0, 0], [(kh - 1) * dh! + 1, kw * I * O]);
  }
  const kh2 = (kh - 1) * dh! + 1;
  if (dw! > 1) {
    const p = tf.pad(tf.reshape(t, [kh2 * kw, 1, I * O]), [[0, 0], [0, dw! - 1], [0, 0]]);
    t = tf.slice(tf.reshape(p, [kh2, kw * dw!, I * O]), [0, 0, 0], [kh2, (kw - 1) * dw! + 1, I * O]);
  }
  return tf.reshape(t, [kh2, (kw - 1) * dw! + 1, I, O]) as tf.Tensor4D;
}

/** Zeros of a conv node's shape (convolutions are float-only, computed in float32 on tfjs). */
const zerosOf = (n: Node) => tf.zeros([...n.shape], 'float32');

const anyAbove1 = (v: readonly number[]) => v.some((d) => d > 1);

/** One group of conv2d in NHWC with an HWIO filter. */
function convNHWC(x: tf.Tensor4D, f: tf.Tensor4D, a: Node<'conv2d'>['attrs']): tf.Tensor4D {
  let dil = a.dilations as [number, number];
  if (anyAbove1(a.strides) && anyAbove1(dil)) { f = dilateFilter(f, dil); dil = [1, 1]; }
  return tf.conv2d(x, f, a.strides as [number, number], explicit(a.pads), 'NHWC', dil);
}

export const conv2d: TfLowering<'conv2d'> = (_cx, n, [x, w]) => {
  const a = n.attrs, [O, Cg, kh, kw] = w!.shape as [number, number, number, number], G = a.groups;
  // No input channels: the sum is empty (tfjs kernels read out of bounds there).
  if (Cg === 0 || x!.shape[1] === 0) return zerosOf(n);
  const xh = toNHWC(x!);
  if (G === 1) return toNCHW(convNHWC(xh, tf.transpose(w!, [2, 3, 1, 0]) as tf.Tensor4D, a));
  if (Cg === 1) {
    // Depthwise: output channel c·m + k reads input channel c, as tfjs's [kh, kw, C, m] filter.
    const f = tf.transpose(tf.reshape(w!, [G, O / G, kh, kw]), [2, 3, 0, 1]) as tf.Tensor4D;
    let dil = a.dilations as [number, number], ff = f;
    if (anyAbove1(a.strides) && anyAbove1(dil)) { ff = dilateFilter(f, dil); dil = [1, 1]; }
    return toNCHW(tf.depthwiseConv2d(xh, ff, a.strides as [number, number], explicit(a.pads), 'NHWC', dil));
  }
  const xs = tf.split(xh, G, 3), ws = tf.split(w!, G, 0);
  return toNCHW(tf.concat(xs.map((xg, g) => convNHWC(xg as tf.Tensor4D, tf.transpose(ws[g]!, [2, 3, 1, 0]) as tf.Tensor4D, a)), 3));
};

export const conv2dTranspose: TfLowering<'conv2dTranspose'> = (cx, n, [g, w]) => {
  const a = n.attrs, [, Cg] = w!.shape as [number, number], G = a.groups, [N, C, H, W] = n.shape as [number, number, number, number];
  if (Cg === 0 || g!.shape[1] === 0) return zerosOf(n);
  const gh = toNHWC(g!);
  // tfjs's conv2dTranspose filter is [kh, kw, out = C/G, in = O/G]: the conv2d filter's HWIO.
  const one = (gg: tf.Tensor4D, wg: tf.Tensor): tf.Tensor4D => {
    let f = tf.transpose(wg, [2, 3, 1, 0]) as tf.Tensor4D;
    if (anyAbove1(a.dilations)) f = dilateFilter(f, a.dilations);
    if (cx.platform !== 'tensorflow') return tf.conv2dTranspose(gg, f, [N, H, W, C / G], a.strides as [number, number], explicit(a.pads));
    return transposeAsConv(gg, f, [H, W], a);
  };
  if (G === 1) return toNCHW(one(gh, w!));
  const gs = tf.split(gh, G, 3), ws = tf.split(w!, G, 0);
  return toNCHW(tf.concat(gs.map((gg, i) => one(gg as tf.Tensor4D, ws[i]!)), 3));
};

/**
 * conv2dTranspose as the forward conv it equals, for tfjs-node: TensorFlow 2.9's
 * Conv2DBackpropInput (its only kernel for tf.conv2dTranspose) takes no explicit padding and
 * returned wrong values for some samples of a batch, differently from run to run (N = 6, one
 * channel, stride 1 or 2; seen on x86-64 with oneDNN). The cotangent gets s − 1 zeros between
 * elements and d·(k − 1) − pad_top rows before it (negative: cropped), then a stride-1 'valid'
 * conv with the filter flipped in space and its in/out channels swapped gives exactly [H, W].
 */
function transposeAsConv(g: tf.Tensor4D, f: tf.Tensor4D, size: readonly number[], a: Node<'conv2dTranspose'>['attrs']): tf.Tensor4D {
  const [N, Ho, Wo, O] = g.shape, [kh, kw] = f.shape, [sh, sw] = a.strides as [number, number];
  let z: tf.Tensor = g;
  if (sh > 1) z = tf.reshape(tf.pad(tf.reshape(z, [N * Ho, 1, Wo * O]), [[0, 0], [0, sh - 1], [0, 0]]), [N, Ho * sh, Wo, O]);
  if (sw > 1) z = tf.reshape(tf.pad(tf.reshape(z, [N * Ho * sh * Wo, 1, O]), [[0, 0], [0, sw - 1], [0, 0]]), [N, Ho * sh, Wo * sw, O]);
  // f is already dilated here (d folded into the taps), so the kernel extent is kh, kw.
  const zLen = [Ho * sh, Wo * sw], k = [kh, kw];
  const lead = [0, 1].map((i) => k[i]! - 1 - a.pads[i]!);
  const trail = [0, 1].map((i) => size[i]! + k[i]! - 1 - lead[i]! - zLen[i]!);
  const c0 = [0, 1].map((i) => Math.max(0, -lead[i]!)), c1 = [0, 1].map((i) => zLen[i]! - Math.max(0, -trail[i]!));
  if (c0.some((v) => v > 0) || c1.some((v, i) => v < zLen[i]!)) z = tf.slice(z, [0, c0[0]!, c0[1]!, 0], [N, c1[0]! - c0[0]!, c1[1]! - c0[1]!, O]);
  z = tf.pad(z, [[0, 0], [Math.max(0, lead[0]!), Math.max(0, trail[0]!)], [Math.max(0, lead[1]!), Math.max(0, trail[1]!)], [0, 0]]);
  // [kh, kw, C, O] (transposed conv's layout) → flipped [kh, kw, O, C] (a forward conv from O to C channels).
  const ff = tf.reverse(tf.transpose(f, [0, 1, 3, 2]), [0, 1]) as tf.Tensor4D;
  return tf.conv2d(z as tf.Tensor4D, ff, 1, 'valid', 'NHWC');
}
