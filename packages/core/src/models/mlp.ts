import type { Tensor } from '../ir/tensor.js';
import type { Rng } from '../util/random.js';
import { activate, ACTIVATIONS, layerNorm, type Activation } from './layers.js';
import type { LayerTap, Model, ParamSpec } from './model.js';

export { ACTIVATIONS, activate, layerNorm, type Activation } from './layers.js';

/** Architecture of an {@link Mlp}: layer widths, activation (default relu), residual skips, LayerNorm, hidden-weight sparsity with its mask seed, and biases (default on). */
export interface MlpOptions {
  /** Input width, hidden widths..., output width: e.g. [784, 256, 256, 10]. */
  readonly sizes: readonly number[];
  readonly activation?: Activation;
  /** Residual connections h ← h + σ(W h + b) between hidden layers of equal width. */
  readonly skip?: boolean;
  /** LayerNorm (no affine parameters) before each hidden activation. Per-sample, unlike BatchNorm. */
  readonly layerNorm?: boolean;
  /** Fraction of each hidden weight matrix fixed to zero by a seeded mask (0 = dense). */
  readonly sparsity?: number;
  /** Seed for the sparsity masks (initial weights are seeded separately by the caller's Rng). */
  readonly maskSeed?: number;
  readonly bias?: boolean;
}

/**
 * A multilayer perceptron. Weights are stored out × in (`W{l}`, `b{l}`), initialised He-normal for
 * relu/gelu and Glorot-normal for tanh; the output layer is linear.
 */
export class Mlp implements Model {
  readonly kind = 'mlp';
  readonly params: ParamSpec[] = [];
  readonly inputDim: number;
  readonly outputDim: number;
  readonly activation: Activation;
  private readonly masks: (Float64Array | undefined)[] = [];

  constructor(readonly options: MlpOptions) {
    if (!options || typeof options !== 'object') throw new Error('mlp: options must be an object such as { sizes: [784, 256, 10] }');
    const s = options.sizes;
    if (!Array.isArray(s) || s.length < 2 || s.some((d) => !Number.isInteger(d) || d < 1))
      throw new Error(`mlp: sizes must be an array of >= 2 positive integers (input, hidden..., output), got ${Array.isArray(s) ? `[${s.join(', ')}]` : JSON.stringify(s)}`);
    // Untyped callers (JSON configs, the CLI) could pass any string; it would only fail at trace time.
    if (options.activation !== undefined && !ACTIVATIONS.includes(options.activation))
      throw new Error(`mlp: unknown activation ${JSON.stringify(options.activation)}; use one of ${ACTIVATIONS.join(', ')}`);
    const sp = options.sparsity ?? 0;
    if (!(sp >= 0 && sp < 1)) throw new Error(`mlp: sparsity must be in [0, 1), got ${sp}`);
    this.inputDim = s[0]!;
    this.outputDim = s[s.length - 1]!;
    this.activation = options.activation ?? 'relu';
    const gain = this.activation === 'tanh' || this.activation === 'identity' ? 1 : 2;
    let maskState = (options.maskSeed ?? 12345) >>> 0;
    for (let l = 0; l + 1 < s.length; l++) {
      const fanIn = s[l]!, fanOut = s[l + 1]!, last = l + 2 === s.length;
      let mask: Float64Array | undefined;
      if (sp > 0 && !last) {
        mask = new Float64Array(fanIn * fanOut);
        for (let i = 0; i < mask.length; i++) {
          maskState = (Math.imul(maskState, 1664525) + 1013904223) >>> 0;
          mask[i] = maskState / 4294967296 < sp ? 0 : 1;
        }
      }
      this.masks.push(mask);
      const std = Math.sqrt((last ? 1 : gain) / (fanIn * (mask ? 1 - sp : 1)));
      this.params.push({
        name: `W${l}`,
        shape: [fanOut, fanIn],
        init: (rng: Rng) => {
          const w = rng.normals(fanIn * fanOut, std);
          if (mask) for (let i = 0; i < w.length; i++) w[i]! *= mask[i]!;
          return w;
        },
      });
      if (options.bias ?? true) this.params.push({ name: `b${l}`, shape: [fanOut], init: () => new Float64Array(fanOut) });
    }
  }

  get depth(): number {
    return this.options.sizes.length - 1;
  }

  apply(params: Record<string, Tensor>, x: Tensor, taps?: LayerTap[]): Tensor {
    const s = this.options.sizes;
    if (x.rank !== 2 || x.shape[1] !== this.inputDim) throw new Error(`mlp: input must be [n, ${this.inputDim}], got [${x.shape.join(', ')}]`);
    let h = x;
    for (let l = 0; l + 1 < s.length; l++) {
      const mask = this.masks[l];
      let w = params[`W${l}`]!;
      if (!w) throw new Error(`mlp: missing parameter W${l}`);
      if (mask) w = w.mul(w.builder.constant(mask, w.shape, w.dtype));
      let z = h.matmul(w.T);
      const b = params[`b${l}`];
      if (b) z = z.add(b);
      taps?.push({ input: h, preactivation: z, weight: `W${l}`, ...(b ? { bias: `b${l}` } : {}), ...(mask ? { mask } : {}) });
      if (l + 2 === s.length) return z;
      const a = activate(this.options.layerNorm ? layerNorm(z) : z, this.activation);
      h = this.options.skip && s[l] === s[l + 1] && l > 0 ? h.add(a) : a;
    }
    return h;
  }

  maskedCount(): number {
    let zeros = 0;
    for (const m of this.masks) if (m) for (let i = 0; i < m.length; i++) if (m[i] === 0) zeros++;
    return zeros;
  }

  describe(): Record<string, unknown> {
    return { kind: this.kind, ...this.options, activation: this.activation };
  }
}
