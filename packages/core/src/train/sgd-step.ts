import { gradients } from '../ad/gradients.js';
import { GraphBuilder } from '../ir/builder.js';
import type { DType } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { oneHot } from '../ir/tensor.js';
import { isConvTap, type DenseTap, type LayerTap, type Model } from '../models/model.js';
import { uncoveredParams } from '../probes/layerwise-gram.js';

/** How {@link sgdStepGraph} builds the fused SGD step: batch size, momentum, weight decay, dtype, per-sample loss, and whether it also outputs the per-step monitor quantities. */
export interface SgdStepOptions {
  /** Samples per step (static: the graph is compiled once per batch size). */
  readonly batch: number;
  /** Heavy-ball momentum μ in [0, 1); 0 drops the velocity inputs and outputs. */
  readonly momentum?: number;
  /** L2 weight decay added to the gradient (decoupled from the loss value). */
  readonly weightDecay?: number;
  readonly dtype?: DType;
  /**
   * Per-sample loss of logits [n, d] against one-hot targets [n, d] → [n]. Default: softmax
   * cross-entropy (logsumexp − ⟨η, y⟩, the Shannon Fenchel–Young loss).
   */
  readonly loss?: (logits: Tensor, targets: Tensor) => Tensor;
  /**
   * Also output the per-step monitor quantities that cost almost nothing inside the step:
   * `residualSq` = Σ_i ‖r_i‖² with r_i = ∂ℓ_i/∂η_i (ŷ_i − y_i for an FY loss), for the free
   * Rayleigh quotient N²‖∇R̂‖²/‖r‖²; and, when every parameter sits in a dense layer, `energy` =
   * (1/N) Σ_i ‖∇_θ ℓ_i‖² (gradient energy of the batch, from ‖a_i‖²‖δ_i‖² per layer, no
   * per-sample gradient formed; spec theory.md §3.2). Default false.
   */
  readonly monitors?: boolean;
  /**
   * SGD steps fused into one graph (default 1): the steps run one after the other inside one
   * backend run, each on its own batch and learning rate, so a run's fixed cost — and on ONNX
   * Runtime the copy of every new weight and velocity back into JavaScript — is paid once per
   * `steps` steps. Inputs and outputs of step k (0-based) get the suffix `stepNames.at(k)`; the
   * weights and velocities are inputs and outputs once, before the first and after the last step.
   */
  readonly steps?: number;
}

/** Per-sample softmax cross-entropy of logits η [n, d] against one-hot (or probability) targets y [n, d]: logsumexp(η) − ⟨η, y⟩ in nats, shape [n]. */
export const softmaxCrossEntropy = (eta: Tensor, y: Tensor): Tensor => eta.logsumexp(-1).sub(eta.mul(y).sum(-1));

/** Graph input/output names of the fused step, so callers never spell them by hand. */
export const stepNames = {
  param: (p: string) => p,
  velocity: (p: string) => `v_${p}`,
  newParam: (p: string) => `new_${p}`,
  newVelocity: (p: string) => `new_v_${p}`,
  /**
   * The name of step k's input or output `name` (x, y, lr, loss, …) in a graph of several fused
   * steps; given `steps` = 1 (a single-step graph), the plain name.
   */
  at: (name: string, k: number, steps?: number) => (steps === 1 ? name : `${name}_s${k}`),
} as const;

/**
 * One fused SGD step as a single graph — forward, backward and update — so a backend compiles it
 * once and runs it with parameters and velocities that never leave the device.
 *
 * Inputs: every parameter `p`, its velocity `v_p` (when momentum > 0), `x` [batch, in],
 * `y` i32 [batch] class labels, `lr` scalar (an input, so schedules never recompile).
 * Outputs: `new_p`, `new_v_p`, `loss` (mean over the batch), `correct` (number of argmax hits),
 * `gradSqNorm` (‖∇‖² of the mean loss, for the Rayleigh quotient and divergence checks); with
 * `monitors`, also `residualSq` and `energy` (see `SgdStepOptions.monitors`).
 *
 * Update: v ← μ v + (∇ + λ w);  w ← w − lr · v   (μ = 0: w ← w − lr (∇ + λ w)).
 */
export function sgdStepGraph(model: Model, options: SgdStepOptions): Graph {
  const dt = options.dtype ?? 'f32', mu = options.momentum ?? 0, wd = options.weightDecay ?? 0, n = options.batch, K = options.steps ?? 1;
  if (!(mu >= 0 && mu < 1)) throw new Error(`sgd: momentum must be in [0, 1), got ${mu}`);
  if (!(wd >= 0)) throw new Error(`sgd: weightDecay must be >= 0, got ${wd}`);
  if (!Number.isInteger(n) || n < 1) throw new Error(`sgd: batch must be a positive integer, got ${n}`);
  if (!Number.isInteger(K) || K < 1 || K > 64) throw new Error(`sgd: steps must be a whole number from 1 to 64, got ${K}`);
  const lossFn = options.loss ?? softmaxCrossEntropy;
  const b = new GraphBuilder();
  let params: Record<string, Tensor> = {};
  for (const p of model.params) params[p.name] = b.input(stepNames.param(p.name), p.shape, dt);
  let vel: Record<string, Tensor> = {};
  if (mu > 0) for (const p of model.params) vel[p.name] = b.input(stepNames.velocity(p.name), p.shape, dt);
  const names = model.params.map((p) => p.name);
  const monitors = options.monitors ?? false;
  const withEnergy = monitors && uncoveredParams(model, { denseOnly: true }).length === 0;
  const out: Record<string, Tensor> = {};
  for (let k = 0; k < K; k++) {
    const x = b.input(stepNames.at('x', k, K), [n, model.inputDim], dt);
    const y = b.input(stepNames.at('y', k, K), [n], 'i32');
    const lr = b.input(stepNames.at('lr', k, K), [], dt);

    const layerTaps: LayerTap[] = [];
    const logits = model.apply(params, x, layerTaps);
    // The in-step energy uses dense taps only (‖a_i‖²‖δ_i‖², no per-sample gradient); conv models go without it.
    const taps = layerTaps.filter((t): t is DenseTap => !isConvTap(t));
    const target = oneHot(y, model.outputDim, dt);
    const loss = lossFn(logits, target).mean();
    // One backward sweep: the cotangents of the logits and pre-activations are intermediate
    // values of the parameter gradients anyway, so asking for them adds no work.
    const extra = monitors ? [logits, ...(withEnergy ? taps.map((t) => t.preactivation) : [])] : [];
    const all = gradients([loss], [...extra, ...names.map((nm) => params[nm]!)], [b.fill(1, [], dt)]);
    const grads = all.slice(extra.length);

    out[stepNames.at('loss', k, K)] = loss;
    let sq: Tensor | undefined;
    const nextParams: Record<string, Tensor> = {}, nextVel: Record<string, Tensor> = {};
    names.forEach((nm, i) => {
      let g = grads[i]!;
      const s2 = g.square().sum();
      sq = sq ? sq.add(s2) : s2;
      if (wd > 0) g = g.add(params[nm]!.mul(wd));
      if (mu > 0) {
        g = vel[nm]!.mul(mu).add(g);
        nextVel[nm] = g;
      }
      nextParams[nm] = params[nm]!.sub(g.mul(lr));
    });
    out[stepNames.at('gradSqNorm', k, K)] = sq!;
    if (monitors) {
      // ∂(mean loss)/∂η_i = r_i / N, so r = N · cotangent.
      out[stepNames.at('residualSq', k, K)] = all[0]!.square().sum().mul(n * n);
      if (withEnergy) {
        let e: Tensor | undefined;
        taps.forEach((tap, j) => {
          const d2 = all[1 + j]!.square(), a2 = tap.input.square();
          let t = tap.mask ? d2.mul(a2.matmul(b.constant(tap.mask, [d2.shape[1]!, a2.shape[1]!], dt).T)).sum(-1) : d2.sum(-1).mul(a2.sum(-1));
          if (tap.bias) t = t.add(d2.sum(-1));
          e = e ? e.add(t) : t;
        });
        // Σ_i ‖g_i‖² = N² Σ_i ‖a_i‖²‖δ̄_i‖² with δ̄ the mean-loss cotangent; E = that / N.
        out[stepNames.at('energy', k, K)] = e!.sum().mul(n);
      }
    }
    // Argmax hits without an argmax op: the label's logit equals the row max.
    const labelLogit = logits.mul(target).sum(-1);
    out[stepNames.at('correct', k, K)] = labelLogit.greaterEqual(logits.max(-1)).cast(dt).sum();
    params = nextParams;
    if (mu > 0) vel = nextVel;
  }
  const state: Record<string, Tensor> = {};
  for (const nm of names) {
    if (mu > 0) state[stepNames.newVelocity(nm)] = vel[nm]!;
    state[stepNames.newParam(nm)] = params[nm]!;
  }
  // One step keeps the outputs' long-standing order: loss, the new state, then the monitors.
  if (K === 1) {
    const { loss, ...rest } = out;
    return b.build({ loss: loss!, ...state, ...rest });
  }
  return b.build({ ...out, ...state });
}
