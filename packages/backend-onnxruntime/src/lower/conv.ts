import type { Node } from '@clt/core';
import type { LowerContext } from './lower-table.js';
import { OnnxType, type AttrValue } from './onnx-proto.js';

/**
 * conv2d and conv2dTranspose on ONNX Runtime. float32 (and f64 computed as f32) uses the native
 * `Conv` / `ConvTranspose`. ONNX Runtime's CPU provider registers both for float only, so a
 * float64 graph gets an exact decomposition into double-capable ops instead of a silent cast:
 *
 * - conv2d as im2col: zero `Pad`, one strided `Slice` per kernel tap, `Concat` into
 *   [N, G, Cg·kh·kw, Ho·Wo] and a batched `MatMul` with the filter as [G, Og, Cg·kh·kw];
 * - conv2dTranspose as the conv2d it is adjoint to written forwards: the cotangent with s − 1
 *   zeros inserted between elements (`Pad` on a split axis), padded by d·(k − 1) − pad_top on the
 *   leading side, convolved at stride 1 with the filter flipped in space and with its channel
 *   roles swapped per group.
 *
 * Both do the same multiply-adds as the reference loops up to summation order (≈1e−16 relative).
 * The im2col copy costs kh·kw times the input in memory: f64 graphs are for checking, not speed.
 */
type ConvNode = Node<'conv2d'> | Node<'conv2dTranspose'>;

/** Channels out from which a stride-1 conv2dTranspose runs as a Conv (see lowerConv2dTranspose). */
const TRANSPOSE_AS_CONV_CHANNELS = 32;

const int = (value: number): AttrValue => ({ kind: 'int', value });
const ints = (value: readonly number[]): AttrValue => ({ kind: 'ints', value });

/** Reshape that keeps zero-size dimensions (ONNX reads a 0 as "copy" unless allowzero = 1). */
function reshape(cx: LowerContext, t: string, shape: readonly number[], out?: string): string {
  return cx.emit('Reshape', [t, cx.i64(shape)], shape.includes(0) ? { allowzero: int(1) } : undefined, 1, out)[0]!;
}

/**
 * Zeros of the node's shape: the value when the contraction (channels) is empty, and for empty
 * results (ONNX Runtime's MatMul refuses to broadcast a [G, ·, ·] filter against a zero batch).
 */
function zeros(cx: LowerContext, n: ConvNode): string {
  return cx.emit('Expand', [cx.scalar(0, n.dtype), cx.i64(n.shape)], undefined, 1, cx.out(n))[0]!;
}

export function lowerConv2d(cx: LowerContext, n: Node<'conv2d'>, [x, w]: readonly string[], [xn, wn]: readonly Node[]): string {
  if (xn!.shape[1] === 0 || wn!.shape[1] === 0 || n.shape.includes(0)) return zeros(cx, n);
  const a = n.attrs;
  if (cx.type(n.dtype) !== OnnxType.DOUBLE)
    return cx.emit('Conv', [x!, w!], { strides: ints(a.strides), pads: ints(a.pads), dilations: ints(a.dilations), group: int(a.groups), kernel_shape: ints(wn!.shape.slice(2)) }, 1, cx.out(n))[0]!;
  return im2col(cx, x!, xn!.shape, w!, wn!.shape, a, n.shape, cx.out(n));
}

export function lowerConv2dTranspose(cx: LowerContext, n: Node<'conv2dTranspose'>, [g, w]: readonly string[], [gn, wn]: readonly Node[]): string {
  if (gn!.shape[1] === 0 || wn!.shape[1] === 0 || n.shape.includes(0)) return zeros(cx, n);
  const a = n.attrs, [, , kh, kw] = wn!.shape as [number, number, number, number], [Ho, Wo] = gn!.shape.slice(2) as [number, number];
  const k = [kh, kw], hw = [Ho, Wo];
  if (cx.type(n.dtype) !== OnnxType.DOUBLE) {
    // Stride 1, one group, padding within the kernel's reach: the adjoint is the forward Conv of g
    // with the filter's channel roles swapped and its taps reversed, padded by d·(k − 1) − pad.
    // With many channels out (ResNet's 64–512), ONNX Runtime's Conv runs it 1.1–1.5× faster than
    // its ConvTranspose (which forms columns by a product and scatters them back); with few (LeNet's
    // 6) the Conv's product is too thin and ConvTranspose is faster. The filter shuffle is one Slice
    // and one Transpose of the (small) filter.
    const [O, C] = wn!.shape as [number, number];
    const lead = [0, 1, 0, 1].map((i, j) => a.dilations[i]! * (k[i]! - 1) - a.pads[j]!);
    if (a.strides.every((v) => v === 1) && a.groups === 1 && lead.every((v) => v >= 0) && C >= TRANSPOSE_AS_CONV_CHANNELS) {
      const [rev] = cx.emit('Slice', [reshape(cx, w!, [O, C, kh * kw]), cx.i64([-1]), cx.i64([-(kh * kw) - 1]), cx.i64([2]), cx.i64([-1])]);
      const [t] = cx.emit('Transpose', [rev!], { perm: ints([1, 0, 2]) });
      return cx.emit('Conv', [g!, reshape(cx, t!, [C, O, kh, kw])], { strides: ints([1, 1]), pads: ints(lead), dilations: ints(a.dilations), group: int(1), kernel_shape: ints(k) }, 1, cx.out(n))[0]!;
    }
    // The rows a strided conv2d left unread come back as output_padding (always < stride).
    const outPad = [0, 1].map((i) => a.size[i]! - (a.strides[i]! * (hw[i]! - 1) + a.dilations[i]! * (k[i]! - 1) + 1 - a.pads[i]! - a.pads[i + 2]!));
    return cx.emit('ConvTranspose', [g!, w!], { strides: ints(a.strides), pads: ints(a.pads), dilations: ints(a.dilations), group: int(a.groups), output_padding: ints(outPad), kernel_shape: ints(k) }, 1, cx.out(n))[0]!;
  }
  const [N, O] = gn!.shape as [number, number], [, Cg] = wn!.shape as [number, number], G = a.groups, Og = O / G, C = Cg * G;
  // Zero insertion: [N, O, Ho, 1, Wo, 1] padded to [N, O, Ho, sh, Wo, sw] → [N, O, Ho·sh, Wo·sw].
  const [sh, sw] = a.strides as [number, number];
  let z = g!;
  if (sh > 1 || sw > 1) {
    const [p6] = cx.emit('Pad', [reshape(cx, g!, [N, O, Ho, 1, Wo, 1]), cx.i64([0, 0, 0, 0, 0, 0, 0, 0, 0, sh - 1, 0, sw - 1])]);
    z = reshape(cx, p6!, [N, O, Ho * sh, Wo * sw]);
  }
  // Leading pad d·(k − 1) − pad_top, trailing pad so the stride-1 conv gives exactly `size`;
  // negative amounts crop (Slice) instead of padding.
  const lead = [0, 1].map((i) => a.dilations[i]! * (k[i]! - 1) - a.pads[i]!);
  const zLen = [Ho * sh, Wo * sw];
  const trail = [0, 1].map((i) => a.size[i]! + a.dilations[i]! * (k[i]! - 1) - lead[i]! - zLen[i]!);
  const crop = [0, 1].map((i) => [Math.max(0, -lead[i]!), zLen[i]! - Math.max(0, -trail[i]!)] as const);
  if (crop.some(([s, e], i) => s > 0 || e < zLen[i]!))
    z = cx.emit('Slice', [z, cx.i64(crop.map((c) => c[0])), cx.i64(crop.map((c) => c[1])), cx.i64([2, 3])])[0]!;
  const padBefore = lead.map((v) => Math.max(0, v)), padAfter = trail.map((v) => Math.max(0, v));
  // Filter [O, Cg, kh, kw] → per group swap channel roles → [C, Og, kh, kw], flipped in space.
  const [t5] = cx.emit('Transpose', [reshape(cx, w!, [G, Og, Cg, kh, kw])], { perm: ints([0, 2, 1, 3, 4]) });
  const w4 = reshape(cx, t5!, [C, Og, kh, kw]);
  const rev = (len: number) => cx.constant({ id: -1, op: 'const', inputs: [], attrs: { value: Float64Array.from({ length: len }, (_, i) => len - 1 - i) }, shape: [len], dtype: 'i32' });
  const [fh] = cx.emit('Gather', [w4, rev(kh)], { axis: int(2) });
  const [flipped] = cx.emit('Gather', [fh!, rev(kw)], { axis: int(3) });
  const attrs = { strides: [1, 1], pads: [padBefore[0]!, padBefore[1]!, padAfter[0]!, padAfter[1]!], dilations: [...a.dilations], groups: G };
  return im2col(cx, z, [N, O], flipped!, [C, Og, kh, kw], attrs, n.shape, cx.out(n));
}

/** conv2d from Pad, strided Slices, Concat and MatMul (any element type those ops take); `nc` = [N, C] of x. */
function im2col(cx: LowerContext, x: string, nc: readonly number[], w: string, ws: readonly number[], a: { strides: number[]; pads: number[]; dilations: number[]; groups: number }, ys: readonly number[], out: string): string {
  const [N, C] = nc as [number, number], [O, Cg, kh, kw] = ws as [number, number, number, number];
  const [, , Ho, Wo] = ys as [number, number, number, number], G = a.groups, K = Cg * kh * kw, L = Ho * Wo;
  const [pt, pl, pb, pr] = a.pads as [number, number, number, number];
  const xp = pt || pl || pb || pr ? cx.emit('Pad', [x, cx.i64([0, 0, pt, pl, 0, 0, pb, pr])])[0]! : x;
  const [sh, sw] = a.strides as [number, number], [dh, dw] = a.dilations as [number, number];
  const taps: string[] = [];
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++) {
      const [s] = cx.emit('Slice', [xp, cx.i64([i * dh, j * dw]), cx.i64([i * dh + sh * (Ho - 1) + 1, j * dw + sw * (Wo - 1) + 1]), cx.i64([2, 3]), cx.i64([sh, sw])]);
      taps.push(reshape(cx, s!, [N, C, 1, L]));
    }
  const [cols] = taps.length === 1 ? taps : cx.emit('Concat', taps, { axis: int(2) });
  const [y] = cx.emit('MatMul', [reshape(cx, w, [G, O / G, K]), reshape(cx, cols!, [N, G, K, L])]);
  return reshape(cx, y!, [N, O, Ho, Wo], out);
}
