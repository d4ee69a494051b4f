import type { Tensor } from '../ir/tensor.js';
import { activate, avgPool, checkActivation, checkImage, checkPositiveInt, conv, convOut, dense, gainOf, maxPool, normalParam, requireParam, toImages, zeroParam, type Activation } from './layers.js';
import type { LayerTap, Model, ParamSpec } from './model.js';

/** Architecture of a LeNet-5 ({@link LeNet}): input image shape, classes, activation, pooling, and the channels of its two convolutions and widths of its two hidden dense layers. */
export interface LeNetOptions {
  /** Image shape [channels, height, width], e.g. [1, 28, 28] (MNIST) or [3, 32, 32] (CIFAR). */
  readonly input: readonly [number, number, number];
  readonly classes: number;
  /** Hidden activation (after each conv and hidden dense layer). Default relu. */
  readonly activation?: Activation;
  /** 2×2 stride-2 pooling after each conv: 'max' (default) or 'avg' (the 1998 original's subsampling). */
  readonly pool?: 'max' | 'avg';
  /** Channels of the two 5×5 convolutions. Default [6, 16]. */
  readonly channels?: readonly [number, number];
  /** Widths of the two hidden dense layers. Default [120, 84]. */
  readonly hidden?: readonly [number, number];
}

/**
 * LeNet-5: conv 5×5 (6) → pool 2 → conv 5×5 (16) → pool 2 → dense 120 → dense 84 → classes, the
 * activation after every layer but the last. Inputs smaller than 32×32 (MNIST's 28×28) get a
 * 2-pixel zero padding in the first convolution, as LeNet-5 padded MNIST to 32×32, so both
 * 28×28×1 and 32×32×3 reach the 16×5×5 = 400 features of the original.
 *
 * Parameters and initialisation (seeded by the caller's Rng, in this order):
 * `conv0_w` [6, C, 5, 5], `conv1_w` `[16, 6, 5, 5]`: He-normal, std √(g / (in_channels·25));
 * `conv0_b`, `conv1_b`: zero; `fc0_w` [120, 400], `fc1_w` `[84, 120]`: He-normal √(g / fan_in);
 * `fc2_w` [classes, 84]: √(1 / 84) (linear output); dense biases zero. g = 2 for relu/gelu, 1 for
 * tanh/identity. The three dense layers are dense taps and the two convolutions conv taps, so the
 * layer-wise Gram algorithm covers every parameter (the probes' default for LeNet).
 */
export class LeNet implements Model {
  readonly kind = 'lenet';
  readonly params: ParamSpec[] = [];
  readonly inputDim: number;
  readonly outputDim: number;
  readonly activation: Activation;
  readonly pool: 'max' | 'avg';
  readonly channels: readonly [number, number];
  readonly hidden: readonly [number, number];
  /** Padding of the first convolution (2 below 32×32, else 0). */
  readonly pad0: number;
  /** Features entering the first dense layer (channels[1] · side²). */
  readonly flat: number;
  private readonly image: readonly [number, number, number];

  constructor(readonly options: LeNetOptions) {
    if (!options || typeof options !== 'object') throw new Error('lenet: options must be an object such as { input: [1, 28, 28], classes: 10 }');
    this.image = checkImage('lenet', options.input);
    const [c, h, w] = this.image;
    const classes = checkPositiveInt('lenet', 'classes', options.classes);
    this.activation = checkActivation('lenet', options.activation);
    if (options.pool !== undefined && options.pool !== 'max' && options.pool !== 'avg') throw new Error(`lenet: pool must be 'max' or 'avg', got ${JSON.stringify(options.pool)}`);
    this.pool = options.pool ?? 'max';
    this.channels = pair('channels', options.channels, [6, 16]);
    this.hidden = pair('hidden', options.hidden, [120, 84]);
    this.pad0 = Math.min(h, w) < 32 ? 2 : 0;
    const side = (s: number) => Math.floor(convOut(Math.floor(convOut(s, 5, 1, this.pad0) / 2), 5, 1, 0) / 2);
    const sh = side(h), sw = side(w);
    if (sh < 1 || sw < 1) throw new Error(`lenet: images of ${h}×${w} are too small for two 5×5 convolutions and two 2×2 poolings; use at least 12×12`);
    this.inputDim = c * h * w;
    this.outputDim = classes;
    this.flat = this.channels[1] * sh * sw;
    const g = gainOf(this.activation), [c0, c1] = this.channels, [f0, f1] = this.hidden;
    this.params.push(
      normalParam('conv0_w', [c0, c, 5, 5], Math.sqrt(g / (c * 25))), zeroParam('conv0_b', [c0]),
      normalParam('conv1_w', [c1, c0, 5, 5], Math.sqrt(g / (c0 * 25))), zeroParam('conv1_b', [c1]),
      normalParam('fc0_w', [f0, this.flat], Math.sqrt(g / this.flat)), zeroParam('fc0_b', [f0]),
      normalParam('fc1_w', [f1, f0], Math.sqrt(g / f0)), zeroParam('fc1_b', [f1]),
      normalParam('fc2_w', [classes, f1], Math.sqrt(1 / f1)), zeroParam('fc2_b', [classes]),
    );
  }

  apply(params: Record<string, Tensor>, x: Tensor, taps?: LayerTap[]): Tensor {
    const p = (name: string) => requireParam('lenet', params, name);
    const pool = (t: Tensor) => (this.pool === 'max' ? maxPool(t, 2) : avgPool(t, 2));
    let h = toImages('lenet', x, this.image);
    h = pool(activate(conv(h, p('conv0_w'), p('conv0_b'), 1, this.pad0, { taps, weight: 'conv0_w', bias: 'conv0_b' }), this.activation));
    h = pool(activate(conv(h, p('conv1_w'), p('conv1_b'), 1, 0, { taps, weight: 'conv1_w', bias: 'conv1_b' }), this.activation));
    h = h.reshape([h.shape[0]!, this.flat]);
    h = activate(dense(h, params, 'fc0_w', 'fc0_b', taps, 'lenet'), this.activation);
    h = activate(dense(h, params, 'fc1_w', 'fc1_b', taps, 'lenet'), this.activation);
    return dense(h, params, 'fc2_w', 'fc2_b', taps, 'lenet');
  }

  describe(): Record<string, unknown> {
    return { kind: this.kind, input: [...this.image], classes: this.outputDim, activation: this.activation, pool: this.pool, channels: [...this.channels], hidden: [...this.hidden] };
  }
}

function pair(name: string, v: readonly number[] | undefined, fallback: readonly [number, number]): readonly [number, number] {
  if (v === undefined) return fallback;
  if (!Array.isArray(v) || v.length !== 2 || v.some((x) => !Number.isInteger(x) || x < 1)) throw new Error(`lenet: ${name} must be two positive integers, got ${JSON.stringify(v)}`);
  return [v[0]!, v[1]!];
}
