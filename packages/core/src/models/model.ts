import type { GraphBuilder } from '../ir/builder.js';
import type { DType } from '../ir/dtype.js';
import type { Tensor } from '../ir/tensor.js';
import type { Rng } from '../util/random.js';

/** A trainable parameter: its name in graphs, its shape, and how it is initialised. */
export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  /** Fill a fresh float64 array of size(shape) values. */
  readonly init: (rng: Rng) => Float64Array;
}

/**
 * What a dense layer exposes to probes while tracing: its input activations a (n × in), its
 * pre-activation z = a Wᵀ + b (n × out) and the parameter names. The layer-wise Gram algorithm
 * uses a and ∂f/∂z; nothing else needs to know the layer exists.
 */
export interface DenseTap {
  readonly input: Tensor;
  readonly preactivation: Tensor;
  readonly weight: string;
  readonly bias?: string;
  /** Constant 0/1 mask multiplying the weight, if the layer is sparse. */
  readonly mask?: Float64Array;
  /** Absent or 'dense' (a `ConvTap` says 'conv'). */
  readonly kind?: 'dense';
}

/**
 * What a convolution z = conv2d(x, W) + b exposes to probes while tracing: its input x
 * [n, C, H, W], its pre-activation z [n, O, Ho, Wo], the parameter names (weight [O, C/groups,
 * kh, kw], bias [O]) and the geometry. The layer-wise Gram algorithm forms the layer's per-sample
 * Jacobians from x's patches and ∂f/∂z: ∂f_{ik}/∂W = Σ_p ∂f_{ik}/∂z[i, :, p] ⊗ patch_i[p, :].
 */
export interface ConvTap {
  readonly kind: 'conv';
  readonly input: Tensor;
  readonly preactivation: Tensor;
  readonly weight: string;
  readonly bias?: string;
  /** [kh, kw]. */
  readonly kernel: readonly [number, number];
  /** [along H, along W]. */
  readonly strides: readonly [number, number];
  /** [top, left, bottom, right]. */
  readonly pads: readonly [number, number, number, number];
  /** [along H, along W]. */
  readonly dilations: readonly [number, number];
  readonly groups: number;
}

/** A layer a model exposes to probes while tracing (`Model.apply`'s `taps`). */
export type LayerTap = DenseTap | ConvTap;

/** True when a layer tap is a convolution's ({@link ConvTap}), false for a dense layer's ({@link DenseTap}). */
export function isConvTap(t: LayerTap): t is ConvTap {
  return t.kind === 'conv';
}

/**
 * A model maps inputs x (n × inputDim) to outputs (n × outputDim) given parameters. Batch
 * independence is part of the contract: output row i depends only on input row i (no BatchNorm),
 * so per-sample Jacobians and structure matrices are well defined.
 */
export interface Model {
  readonly kind: string;
  readonly inputDim: number;
  readonly outputDim: number;
  readonly params: readonly ParamSpec[];
  /**
   * Trace the forward pass. Dense layers (rank-2 inputs) and convolutions push their taps onto
   * `taps` when given; a consumer that handles only dense layers filters with `isConvTap`.
   */
  apply(params: Record<string, Tensor>, x: Tensor, taps?: LayerTap[]): Tensor;
  /** A JSON-able description (for checkpoints and reports). */
  describe(): Record<string, unknown>;
  /** Parameter entries a fixed mask holds at zero (sparse layers); none when absent. */
  maskedCount?(): number;
}

/** Every parameter entry, masked or not (the size of the parameter vector the probes differentiate). */
export function parameterCount(model: Model): number {
  return model.params.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * Total and effective parameter counts: `effective` leaves out the entries a sparsity mask fixes
 * at zero (they never change and contribute nothing to the Jacobian), `total` counts them.
 */
export function parameterCounts(model: Model): { total: number; effective: number; masked: number } {
  const total = parameterCount(model), masked = model.maskedCount?.() ?? 0;
  return { total, effective: total - masked, masked };
}

/** "269,322 parameters" or "29,130 effective of 269,322 parameters (240,192 masked)". */
export function describeParameterCount(model: Model): string {
  const c = parameterCounts(model), f = (n: number) => n.toLocaleString('en-US');
  return c.masked === 0 ? `${f(c.total)} parameters` : `${f(c.effective)} effective of ${f(c.total)} parameters (${f(c.masked)} masked to zero)`;
}

/** Seeded initial values for every parameter, in `model.params` order. */
export function initParams(model: Model, rng: Rng): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const p of model.params) out[p.name] = p.init(rng);
  return out;
}

/** Every parameter of `model` as a graph input named after it: what probes and evaluations trace over. */
export function paramInputs(b: GraphBuilder, model: Model, dtype: DType): Record<string, Tensor> {
  const params: Record<string, Tensor> = {};
  for (const p of model.params) params[p.name] = b.input(p.name, p.shape, dtype);
  return params;
}
