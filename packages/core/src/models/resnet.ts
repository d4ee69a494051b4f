import type { Tensor } from '../ir/tensor.js';
import { activate, checkActivation, checkImage, checkPositiveInt, conv, dense, gainOf, globalAvgPool, normalParam, onesParam, requireParam, sampleNorm, toImages, zeroParam, type Activation } from './layers.js';
import type { LayerTap, Model, ParamSpec } from './model.js';

/** Architecture of a {@link ResNet} (ResNet-18 by default): input image shape, classes, stem width, basic blocks per stage, whether shortcuts are on, and the activation (default relu). */
export interface ResNetOptions {
  /** Image shape [channels, height, width], e.g. [3, 32, 32]. */
  readonly input: readonly [number, number, number];
  readonly classes: number;
  /** Channels of the stem and first stage; stage s has width·2^s. Default 64 (ResNet-18). */
  readonly width?: number;
  /**
   * Basic blocks per stage. Default [2, 2, 2, 2] (ResNet-18). The precursor's depth sweep varies the
   * first stage: [k, 2, 2, 2] for k = 1…8 (`clt train --blocks k`).
   */
  readonly blocks?: readonly number[];
  /** Skip connections (h + F(h)); false removes every shortcut, downsampling ones included. Default true. */
  readonly residual?: boolean;
  readonly activation?: Activation;
}

/**
 * ResNet-18 laid out for 32×32 inputs (the CIFAR variant: a 3×3 stride-1 stem, no max-pool), with
 * BatchNorm replaced by a per-sample normalisation: GroupNorm with ONE group, i.e. LayerNorm over
 * (C, H, W) of each sample with a per-channel affine γ, β (torch's `nn.GroupNorm(1, C)`). Each
 * sample's output then depends on that sample alone, as the probes require.
 *
 * Layout: stem conv3×3 (C → w) → norm → act; stages s = 0…S−1 of `blocks[s]` basic blocks with
 * w·2^s channels, the first block of stages s ≥ 1 at stride 2; a basic block is
 * conv3×3 → norm → act → conv3×3 → norm, plus the shortcut (identity, or conv1×1 stride 2 → norm
 * where the shape changes), then act; global average pool → dense → classes.
 *
 * Parameters and initialisation (seeded, in order): every conv weight `*_w` [out, in, k, k]
 * He-normal std √(g / (in·k²)) with g = 2 for relu/gelu, 1 for tanh/identity (no conv biases, as
 * in ResNet); every norm `*_g` = 1 and `*_b` = 0 ([C]); head `fc_w` [classes, channels] std
 * √(1 / channels), `fc_b` = 0. The head is a dense tap and every convolution a conv tap, but the
 * norms' γ, β are in no tap, so the probes use Jacobian contraction or NTK–vector products. With width 64 and [2, 2, 2, 2] on CIFAR-10
 * this has 11,173,962 parameters, the count of the BatchNorm ResNet-18 (γ, β per channel either way).
 */
export class ResNet implements Model {
  readonly kind = 'resnet';
  readonly params: ParamSpec[] = [];
  readonly inputDim: number;
  readonly outputDim: number;
  readonly width: number;
  readonly blocks: readonly number[];
  readonly residual: boolean;
  readonly activation: Activation;
  private readonly image: readonly [number, number, number];
  /** The block list: input/output channels, stride and whether its shortcut is a projection. */
  private readonly plan: { readonly name: string; readonly cin: number; readonly cout: number; readonly stride: number; readonly project: boolean }[] = [];

  constructor(readonly options: ResNetOptions) {
    if (!options || typeof options !== 'object') throw new Error('resnet: options must be an object such as { input: [3, 32, 32], classes: 10 }');
    this.image = checkImage('resnet', options.input);
    const classes = checkPositiveInt('resnet', 'classes', options.classes);
    this.width = checkPositiveInt('resnet', 'width', options.width ?? 64);
    const blocks = options.blocks ?? [2, 2, 2, 2];
    if (!Array.isArray(blocks) || blocks.length < 1 || blocks.some((b) => !Number.isInteger(b) || b < 0) || blocks.every((b) => b === 0))
      throw new Error(`resnet: blocks must list the basic blocks per stage as integers >= 0 (at least one block), e.g. [2, 2, 2, 2]; got ${JSON.stringify(blocks)}`);
    this.blocks = [...blocks];
    this.residual = options.residual ?? true;
    this.activation = checkActivation('resnet', options.activation);
    const [c] = this.image, g = gainOf(this.activation);
    this.inputDim = this.image[0] * this.image[1] * this.image[2];
    this.outputDim = classes;
    const convParam = (name: string, cout: number, cin: number, k: number) => this.params.push(normalParam(`${name}_w`, [cout, cin, k, k], Math.sqrt(g / (cin * k * k))));
    const normParams = (name: string, ch: number) => this.params.push(onesParam(`${name}_g`, [ch]), zeroParam(`${name}_b`, [ch]));
    convParam('stem', this.width, c, 3);
    normParams('stem_n', this.width);
    let cin = this.width;
    this.blocks.forEach((count, s) => {
      const cout = this.width * 2 ** s;
      for (let k = 0; k < count; k++) {
        const name = `s${s}b${k}`, stride = s > 0 && k === 0 ? 2 : 1;
        const project = this.residual && (stride !== 1 || cin !== cout);
        this.plan.push({ name, cin, cout, stride, project });
        convParam(`${name}_c1`, cout, cin, 3); normParams(`${name}_n1`, cout);
        convParam(`${name}_c2`, cout, cout, 3); normParams(`${name}_n2`, cout);
        if (project) { convParam(`${name}_sc`, cout, cin, 1); normParams(`${name}_sn`, cout); }
        cin = cout;
      }
    });
    this.params.push(normalParam('fc_w', [classes, cin], Math.sqrt(1 / cin)), zeroParam('fc_b', [classes]));
  }

  apply(params: Record<string, Tensor>, x: Tensor, taps?: LayerTap[]): Tensor {
    const p = (name: string) => requireParam('resnet', params, name);
    const norm = (h: Tensor, name: string) => sampleNorm(h).mul(p(`${name}_g`).reshape([1, -1, 1, 1])).add(p(`${name}_b`).reshape([1, -1, 1, 1]));
    const act = (h: Tensor) => activate(h, this.activation);
    let h = act(norm(conv(toImages('resnet', x, this.image), p('stem_w'), undefined, 1, 1, { taps, weight: 'stem_w' }), 'stem_n'));
    for (const b of this.plan) {
      let f = act(norm(conv(h, p(`${b.name}_c1_w`), undefined, b.stride, 1, { taps, weight: `${b.name}_c1_w` }), `${b.name}_n1`));
      f = norm(conv(f, p(`${b.name}_c2_w`), undefined, 1, 1, { taps, weight: `${b.name}_c2_w` }), `${b.name}_n2`);
      if (this.residual) f = f.add(b.project ? norm(conv(h, p(`${b.name}_sc_w`), undefined, b.stride, 0, { taps, weight: `${b.name}_sc_w` }), `${b.name}_sn`) : h);
      h = act(f);
    }
    return dense(globalAvgPool(h), params, 'fc_w', 'fc_b', taps, 'resnet');
  }

  describe(): Record<string, unknown> {
    return { kind: this.kind, input: [...this.image], classes: this.outputDim, width: this.width, blocks: [...this.blocks], residual: this.residual, activation: this.activation };
  }
}
