import type { Tensor } from '../ir/tensor.js';
import type { Rng } from '../util/random.js';
import type { LayerTap, ParamSpec } from './model.js';

/** Layer pieces shared by the models (Mlp, LeNet, ResNet, Vit). */

export type Activation = 'relu' | 'tanh' | 'gelu' | 'identity';
/** Every hidden activation the models accept: relu, tanh, gelu (exact, erf form) and identity. */
export const ACTIVATIONS: readonly Activation[] = ['relu', 'tanh', 'gelu', 'identity'];

const SQRT1_2 = Math.SQRT1_2;

/** Apply a hidden activation elementwise: relu, tanh, gelu as x·½(1 + erf(x/√2)) (exact, not the tanh approximation), or identity. */
export function activate(h: Tensor, a: Activation): Tensor {
  switch (a) {
    case 'relu': return h.relu();
    case 'tanh': return h.tanh();
    case 'gelu': return h.mul(h.mul(SQRT1_2).erf().add(1)).mul(0.5);
    case 'identity': return h;
  }
}

/** LayerNorm over the feature axis, eps = 1e-5, no affine part. */
export function layerNorm(h: Tensor, eps = 1e-5): Tensor {
  const c = h.sub(h.mean(-1, true));
  return c.div(c.square().mean(-1, true).add(eps).sqrt());
}

/**
 * Per-sample normalisation of a feature map [n, C, H, W] over all of (C, H, W), no affine part:
 * GroupNorm with one group, i.e. LayerNorm over the whole sample. It stands in for BatchNorm
 * because each sample's output then depends on that sample alone (the Model contract).
 */
export function sampleNorm(h: Tensor, eps = 1e-5): Tensor {
  const [n, ...rest] = h.shape;
  return layerNorm(h.reshape([n!, -1]), eps).reshape([n!, ...rest]);
}

/** Variance gain of an activation for He/Glorot-style initialisation: 2 for relu/gelu, 1 otherwise. */
export function gainOf(a: Activation): number {
  return a === 'tanh' || a === 'identity' ? 1 : 2;
}

/** A normal(0, std²) parameter of `shape`. */
export function normalParam(name: string, shape: readonly number[], std: number): ParamSpec {
  const size = shape.reduce((a, b) => a * b, 1);
  return { name, shape, init: (rng: Rng) => rng.normals(size, std) };
}

/** A parameter of ones (normalisation gains). */
export function onesParam(name: string, shape: readonly number[]): ParamSpec {
  const size = shape.reduce((a, b) => a * b, 1);
  return { name, shape, init: () => new Float64Array(size).fill(1) };
}

/** A zero-initialised parameter (biases). */
export function zeroParam(name: string, shape: readonly number[]): ParamSpec {
  const size = shape.reduce((a, b) => a * b, 1);
  return { name, shape, init: () => new Float64Array(size) };
}

export function requireParam(model: string, params: Record<string, Tensor>, name: string): Tensor {
  const p = params[name];
  if (!p) throw new Error(`${model}: missing parameter ${name}`);
  return p;
}

/**
 * A dense layer z = a Wᵀ + b on rows a [n, in] (W stored out × in). On a rank-2 input it pushes a
 * DenseTap (the layer-wise Gram algorithm's view of it); on [n, T, in] (a token-wise layer, as in
 * a transformer) it is applied per token and pushes none, because the layer-wise Gram formula
 * Σ_l (A Aᵀ)⊙(B Bᵀ) needs one input row per sample.
 */
export function dense(a: Tensor, params: Record<string, Tensor>, weight: string, bias: string | undefined, taps: LayerTap[] | undefined, model: string): Tensor {
  const w = requireParam(model, params, weight), b = bias !== undefined ? requireParam(model, params, bias) : undefined;
  if (a.rank === 2) {
    let z = a.matmul(w.T);
    if (b) z = z.add(b);
    taps?.push({ input: a, preactivation: z, weight, ...(b ? { bias } : {}) });
    return z;
  }
  const lead = a.shape.slice(0, -1), fanIn = a.shape[a.rank - 1]!;
  let z = a.reshape([-1, fanIn]).matmul(w.T);
  if (b) z = z.add(b);
  return z.reshape([...lead, w.shape[0]!]);
}

/**
 * Convolution of x [n, C, H, W] by w [O, C, k, k] plus a per-channel bias b [O] (when given). With
 * `tap` (the parameter names and the model's tap list) it pushes a ConvTap: the layer-wise Gram
 * algorithm's view of the layer.
 */
export function conv(x: Tensor, w: Tensor, b: Tensor | undefined, stride: number, pad: number, tap?: { readonly taps: LayerTap[] | undefined; readonly weight: string; readonly bias?: string }): Tensor {
  let z = x.conv2d(w, { strides: [stride, stride], pads: [pad, pad, pad, pad] });
  if (b) z = z.add(b.reshape([1, -1, 1, 1]));
  tap?.taps?.push({
    kind: 'conv', input: x, preactivation: z, weight: tap.weight, ...(b && tap.bias !== undefined ? { bias: tap.bias } : {}),
    kernel: [w.shape[2]!, w.shape[3]!], strides: [stride, stride], pads: [pad, pad, pad, pad], dilations: [1, 1], groups: 1,
  });
  return z;
}

export function maxPool(x: Tensor, k: number): Tensor {
  return x.maxPool2d([k, k], { strides: [k, k] });
}

export function avgPool(x: Tensor, k: number): Tensor {
  return x.avgPool2d([k, k], { strides: [k, k] });
}

/** [n, C, H, W] → [n, C]. */
export function globalAvgPool(x: Tensor): Tensor {
  return x.globalAvgPool();
}

/** Output side of a convolution or pooling window: ⌊(size + 2·pad − k) / stride⌋ + 1. */
export function convOut(size: number, k: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - k) / stride) + 1;
}

/** Image shape [C, H, W] from options: positive integers, or an error naming the model. */
export function checkImage(model: string, input: unknown): [number, number, number] {
  if (!Array.isArray(input) || input.length !== 3 || input.some((v) => !Number.isInteger(v) || v < 1))
    throw new Error(`${model}: input must be the image shape [channels, height, width] as positive integers, got ${JSON.stringify(input)}`);
  return input as [number, number, number];
}

export function checkPositiveInt(model: string, name: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 1) throw new Error(`${model}: ${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return v as number;
}

export function checkActivation(model: string, a: unknown): Activation {
  if (a !== undefined && !ACTIVATIONS.includes(a as Activation)) throw new Error(`${model}: unknown activation ${JSON.stringify(a)}; use one of ${ACTIVATIONS.join(', ')}`);
  return (a as Activation | undefined) ?? 'relu';
}

/** Reshape flattened inputs [n, C·H·W] to images [n, C, H, W], checking the width. */
export function toImages(model: string, x: Tensor, [c, h, w]: readonly [number, number, number]): Tensor {
  if (x.rank !== 2 || x.shape[1] !== c * h * w) throw new Error(`${model}: input must be [n, ${c * h * w}] (images ${c}×${h}×${w}, flattened), got [${x.shape.join(', ')}]`);
  return x.reshape([x.shape[0]!, c, h, w]);
}
