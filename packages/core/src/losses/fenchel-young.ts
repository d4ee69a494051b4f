import type { Tensor } from '../ir/tensor.js';

/**
 * A Fenchel–Young loss L_Ω(η; y) = Ω(y) + Ω*(η) − ⟨η, y⟩ (spec/theory.md §2), given twice: as IR
 * composites (run and differentiate on any backend) and as float64 host functions (the oracle,
 * and what the bounds use). Rows are samples; the last axis is the d outputs.
 */
export interface FYLoss {
  /** Identifier used on the CLI and in reports: 'softmax', 'sparsemax', 'entmax-1.5', 'squared', ... */
  readonly name: string;
  /** Target domain: 'simplex' (probability vectors), 'binary' ([0,1]^d), 'real', 'nonnegative'. */
  readonly domain: 'simplex' | 'binary' | 'real' | 'nonnegative';
  /** IR composites over a batch: eta, y are [n, d]; per-sample results are [n]. */
  readonly ir: {
    /** Prediction map ŷ = ∇Ω*(η), [n, d]. */
    predict(eta: Tensor): Tensor;
    /** Per-sample loss, [n]. Its gradient in η is ŷ − y. */
    loss(eta: Tensor, y: Tensor): Tensor;
    /** Ω*(η), [n]. */
    conjugate(eta: Tensor): Tensor;
    /** Ω(μ), [n]. */
    regularizer(mu: Tensor): Tensor;
  };
  /** float64 host functions on one sample (length-d arrays). */
  readonly host: {
    predict(eta: Float64Array): Float64Array;
    loss(eta: Float64Array, y: Float64Array): number;
    conjugate(eta: Float64Array): number;
    regularizer(mu: Float64Array): number;
    /** Generalized entropy H_Ω(p) = −Ω(p) (+ the constant that makes one-hots 0 where defined). */
    entropy(p: Float64Array): number;
  };
}
