import type { Tensor } from '../ir/tensor.js';
import { activate, checkActivation, conv, checkImage, checkPositiveInt, dense, layerNorm, normalParam, onesParam, requireParam, toImages, zeroParam, type Activation } from './layers.js';
import type { LayerTap, Model, ParamSpec } from './model.js';

/** Architecture of a small vision transformer ({@link Vit}): input image shape, classes, patch size, token width, depth, heads, MLP ratio and activation (default gelu). */
export interface VitOptions {
  /** Image shape [channels, height, width]; height and width must be multiples of `patch`. */
  readonly input: readonly [number, number, number];
  readonly classes: number;
  /** Side of the square patches. Default 4 (64 tokens on 32×32, 49 on 28×28). */
  readonly patch?: number;
  /** Token width D. Default 64. */
  readonly width?: number;
  /** Transformer blocks. Default 4. */
  readonly depth?: number;
  /** Attention heads; must divide width. Default 4. */
  readonly heads?: number;
  /** Hidden width of each MLP as a multiple of width. Default 2. */
  readonly mlpRatio?: number;
  /** MLP activation. Default gelu. */
  readonly activation?: Activation;
}

/**
 * A small Vision Transformer: non-overlapping p×p patches embedded by a p×p convolution at stride p,
 * a learned position embedding, `depth`
 * pre-norm blocks h ← h + MHSA(LN(h)), h ← h + MLP(LN(h)), a final LayerNorm, MEAN POOLING over
 * the tokens (no class token) and a dense head. LayerNorm is per token with affine γ, β; there
 * is no dropout, so each sample's output depends on that sample alone.
 *
 * Parameters and initialisation (seeded, in order): `patch_w` [D, C, p, p] std √(1 / (C·p²)),
 * `patch_b` 0; `pos` [T, D] std 0.02; per block l: `l{l}_ln1_g` 1, `_ln1_b` 0, `_qkv_w` [3D, D]
 * std √(1 / D), `_qkv_b` 0, `_o_w` [D, D] std √(1 / D), `_o_b` 0, `_ln2_g` 1, `_ln2_b` 0,
 * `_fc1_w` [r·D, D] He-normal √(2 / D) (into gelu/relu; √(1 / D) for tanh/identity), `_fc1_b` 0,
 * `_fc2_w` [D, r·D] √(1 / (r·D)), `_fc2_b` 0; `ln_g` 1, `ln_b` 0; head `head_w` [classes, D]
 * √(1 / D), `head_b` 0. The head is a dense tap and the patch embedding a conv tap; the token-wise
 * layers, norms and position embedding are in no tap, so probes use Jacobian contraction or
 * NTK–vector products.
 */
export class Vit implements Model {
  readonly kind = 'vit';
  readonly params: ParamSpec[] = [];
  readonly inputDim: number;
  readonly outputDim: number;
  readonly patch: number;
  readonly width: number;
  readonly depth: number;
  readonly heads: number;
  readonly mlpRatio: number;
  readonly activation: Activation;
  /** Tokens per image. */
  readonly tokens: number;
  private readonly image: readonly [number, number, number];

  constructor(readonly options: VitOptions) {
    if (!options || typeof options !== 'object') throw new Error('vit: options must be an object such as { input: [3, 32, 32], classes: 10 }');
    this.image = checkImage('vit', options.input);
    const [c, h, w] = this.image;
    const classes = checkPositiveInt('vit', 'classes', options.classes);
    this.patch = checkPositiveInt('vit', 'patch', options.patch ?? 4);
    this.width = checkPositiveInt('vit', 'width', options.width ?? 64);
    this.depth = checkPositiveInt('vit', 'depth', options.depth ?? 4);
    this.heads = checkPositiveInt('vit', 'heads', options.heads ?? 4);
    this.mlpRatio = checkPositiveInt('vit', 'mlpRatio', options.mlpRatio ?? 2);
    this.activation = options.activation === undefined ? 'gelu' : checkActivation('vit', options.activation);
    if (h % this.patch || w % this.patch) throw new Error(`vit: image ${h}×${w} is not a whole number of ${this.patch}×${this.patch} patches; choose a patch size dividing ${h} and ${w}`);
    if (this.width % this.heads) throw new Error(`vit: width ${this.width} is not divisible by heads ${this.heads}`);
    this.tokens = (h / this.patch) * (w / this.patch);
    this.inputDim = c * h * w;
    this.outputDim = classes;
    const D = this.width, P = c * this.patch ** 2, H = this.mlpRatio * D, gFc1 = this.activation === 'tanh' || this.activation === 'identity' ? 1 : 2;
    this.params.push(normalParam('patch_w', [D, c, this.patch, this.patch], Math.sqrt(1 / P)), zeroParam('patch_b', [D]), normalParam('pos', [this.tokens, D], 0.02));
    for (let l = 0; l < this.depth; l++) {
      const b = `l${l}`;
      this.params.push(
        onesParam(`${b}_ln1_g`, [D]), zeroParam(`${b}_ln1_b`, [D]),
        normalParam(`${b}_qkv_w`, [3 * D, D], Math.sqrt(1 / D)), zeroParam(`${b}_qkv_b`, [3 * D]),
        normalParam(`${b}_o_w`, [D, D], Math.sqrt(1 / D)), zeroParam(`${b}_o_b`, [D]),
        onesParam(`${b}_ln2_g`, [D]), zeroParam(`${b}_ln2_b`, [D]),
        normalParam(`${b}_fc1_w`, [H, D], Math.sqrt(gFc1 / D)), zeroParam(`${b}_fc1_b`, [H]),
        normalParam(`${b}_fc2_w`, [D, H], Math.sqrt(1 / H)), zeroParam(`${b}_fc2_b`, [D]),
      );
    }
    this.params.push(onesParam('ln_g', [D]), zeroParam('ln_b', [D]), normalParam('head_w', [classes, D], Math.sqrt(1 / D)), zeroParam('head_b', [classes]));
  }

  apply(params: Record<string, Tensor>, x: Tensor, taps?: LayerTap[]): Tensor {
    const p = (name: string) => requireParam('vit', params, name);
    const q = this.patch, n = x.shape[0]!, T = this.tokens, D = this.width, nh = this.heads, dh = D / nh;
    const ln = (t: Tensor, name: string) => layerNorm(t).mul(p(`${name}_g`)).add(p(`${name}_b`));
    const lin = (t: Tensor, name: string) => dense(t, params, `${name}_w`, `${name}_b`, undefined, 'vit');
    // Patch embedding: a q×q convolution at stride q, [n, D, H/q, W/q] → tokens [n, T, D] (row-major patch order).
    let t = conv(toImages('vit', x, this.image), p('patch_w'), p('patch_b'), q, 0, { taps, weight: 'patch_w', bias: 'patch_b' }).reshape([n, D, T]).transpose([0, 2, 1]).add(p('pos'));
    for (let l = 0; l < this.depth; l++) {
      const b = `l${l}`;
      // [n, T, 3D] → [n, T, 3, heads, dh] → [3, n, heads, T, dh]
      const qkv = lin(ln(t, `${b}_ln1`), `${b}_qkv`).reshape([n, T, 3, nh, dh]).transpose([2, 0, 3, 1, 4]);
      const part = (i: number) => qkv.slice([i, 0, 0, 0, 0], [i + 1]).reshape([n, nh, T, dh]);
      const att = part(0).matmul(part(1).T).mul(1 / Math.sqrt(dh)).softmax(-1);
      const o = att.matmul(part(2)).transpose([0, 2, 1, 3]).reshape([n, T, D]);
      t = t.add(lin(o, `${b}_o`));
      t = t.add(lin(activate(lin(ln(t, `${b}_ln2`), `${b}_fc1`), this.activation), `${b}_fc2`));
    }
    const pooled = ln(t, 'ln').mean(1);
    return dense(pooled, params, 'head_w', 'head_b', taps, 'vit');
  }

  describe(): Record<string, unknown> {
    return { kind: this.kind, input: [...this.image], classes: this.outputDim, patch: this.patch, width: this.width, depth: this.depth, heads: this.heads, mlpRatio: this.mlpRatio, activation: this.activation };
  }
}
