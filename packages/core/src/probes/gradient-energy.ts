import { gradients } from '../ad/gradients.js';
import type { Backend } from '../backend/contract.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Graph } from '../ir/graph.js';
import { concat, type Tensor } from '../ir/tensor.js';
import type { FYLoss } from '../losses/fenchel-young.js';
import { xlogxT } from '../losses/numerics.js';
import { softmaxCrossEntropyStable } from '../losses/softmax.js';
import { validateLabels } from '../losses/validate.js';
import { isConvTap, paramInputs, type LayerTap, type Model } from '../models/model.js';
import { softmaxCrossEntropy } from '../train/sgd-step.js';
import { convJacobian, uncoveredParams } from './layerwise-gram.js';
import { ProbeRuntime, rowsOf, type ArrayValue, type FloatDType, type ParamValues } from './runtime.js';

/** Per-sample loss of outputs η [n, d] against targets y [n, d] → [n]. */
export type PerSampleLoss = (eta: Tensor, y: Tensor) => Tensor;

/** An FY loss object (its IR composite is used) or a per-sample loss function. */
export type LossLike = Pick<FYLoss, 'ir'> | PerSampleLoss;

/** A loss as a {@link PerSampleLoss} (outputs η [n, d] and targets y [n, d] → [n]): a function as given, an FY loss's IR composite, or softmax cross-entropy when none is given. */
export function perSampleLoss(loss: LossLike | undefined): PerSampleLoss {
  if (!loss) return softmaxCrossEntropy;
  return typeof loss === 'function' ? loss : (eta, y) => loss.ir.loss(eta, y);
}

/**
 * Per-sample loss values and residuals r = ∂ℓ/∂f of a probe batch. Softmax cross-entropy (the
 * default, or the softmax FY loss) uses the float32-safe forms of `softmaxCrossEntropyStable`; any
 * other loss its own composite, differentiated once for r.
 */
function lossAndResidual(loss: LossLike | undefined, f: Tensor, y: Tensor): { loss: Tensor; residual: Tensor } {
  const fy = loss !== undefined && typeof loss !== 'function' && (loss as { name?: string }).name === 'softmax';
  if (loss === undefined || fy) {
    const s = softmaxCrossEntropyStable(f, y);
    // The FY loss adds Ω(y) = Σ y log y (0 for one-hot targets).
    return fy ? { loss: s.loss.add(xlogxT(y).sum(-1)), residual: s.residual } : s;
  }
  const l = perSampleLoss(loss)(f, y);
  return { loss: l, residual: gradients([l.sum()], [f], [f.builder.fill(1, [], f.dtype)])[0]! };
}

/** Targets as [n, d] floats: soft/one-hot rows as given, or i32 class labels one-hot encoded. */
export function targetRows(y: Float64Array | Float32Array | Int32Array, n: number, d: number): Float64Array {
  if (y instanceof Int32Array) {
    validateLabels('probe labels', y, d, n);
    const t = new Float64Array(n * d);
    y.forEach((c, i) => { t[i * d + c] = 1; });
    return t;
  }
  if (y.length !== n * d) throw new Error(`targets: ${y.length} values, expected n·d = ${n * d} (or pass an Int32Array of ${n} labels)`);
  return Float64Array.from(y);
}

/** How the per-sample gradient norms are computed; see `GradientEnergyProbe.method`. */
export type GradientEnergyMethod = 'dense-taps' | 'layer-taps' | 'per-sample-vjp';

/**
 * Options of {@link GradientEnergyProbe}. `batchGradient: true` also forms the summed parameter
 * gradient for ‖∇R̂‖² and the free Rayleigh quotient: one more matrix product per dense layer
 * (≈ 1 of the 3 forward-pass units), so it is off unless asked for.
 */
export interface GradientEnergyOptions<G extends boolean = boolean> {
  readonly loss?: LossLike;
  readonly dtype?: FloatDType;
  readonly batchGradient?: G;
}

/**
 * What {@link GradientEnergyProbe} measures on a batch: per-sample squared gradient norms ‖∇_θ ℓ_i‖²,
 * their mean E (the gradient energy), losses and residuals, the method used, and with `batchGradient`
 * the batch-gradient norm and the free Rayleigh quotient.
 */
export interface GradientEnergyResult<G extends boolean = boolean> {
  readonly n: number;
  /** ‖g_i‖² = ‖∇_θ ℓ_i‖² per sample. */
  readonly perSampleSqNorms: Float64Array;
  /** E = (1/n) Σ_i ‖g_i‖² — the mean of squared per-sample norms, not ‖mean g‖². */
  readonly energy: number;
  /**
   * ‖∇R̂‖² = ‖(1/n) Σ_i g_i‖², the ordinary batch-gradient norm, for contrast (≤ E by Jensen).
   * Only with `batchGradient: true` (it needs the summed parameter gradient); undefined otherwise.
   */
  readonly batchGradSqNorm: G extends true ? number : undefined;
  /** Residuals r_i = ∂ℓ_i/∂η_i (= ŷ_i − y_i for an FY loss), [n, d]. */
  readonly residuals: Float64Array;
  readonly residualSqNorms: Float64Array;
  /** ‖r‖² = Σ_i ‖r_i‖² over the batch. */
  readonly residualSqNorm: number;
  /** n²‖∇R̂‖²/‖r‖² ∈ [λ_min(Θ), λ_max(Θ)] of the batch NTK; undefined when r = 0 or without `batchGradient`. */
  readonly rayleighQuotient: G extends true ? number | undefined : undefined;
  readonly losses: Float64Array;
  /**
   * 'dense-taps': ‖a_i‖²‖δ_i‖² per dense layer (no per-sample gradient formed); 'layer-taps': the
   * same for the dense layers plus each conv layer's per-sample gradient from its input patches;
   * 'per-sample-vjp' otherwise.
   */
  readonly method: GradientEnergyMethod;
}

/**
 * The free Rayleigh quotient of an ordinary (mini-)batch step. With ∇R̂ = (1/N) J_Sᵀ r_S,
 * N²‖∇R̂‖² = r_Sᵀ Θ r_S, so N²‖∇R̂‖²/‖r_S‖² lies in [λ_min(Θ), λ_max(Θ)] of the batch NTK Θ = J_S J_Sᵀ
 * at no extra cost beyond ‖r_S‖². Undefined (returns undefined) when r_S = 0.
 *
 * @see spec/related-papers.md A.3.3 (A4); theory.md §3.3.
 */
export function freeRayleighQuotient(batchGradSqNorm: number, residualSqNorm: number, batch: number): number | undefined {
  return residualSqNorm > 0 ? (batch * batch * batchGradSqNorm) / residualSqNorm : undefined;
}

/**
 * Graph of per-sample squared gradient norms without per-sample gradients. For a dense layer
 * z_i = W a_i + b, ∂ℓ_i/∂W = δ_i a_iᵀ with δ_i = ∂ℓ_i/∂z_i, so ‖∂ℓ_i/∂W‖² = ‖a_i‖²‖δ_i‖² and
 * ‖∂ℓ_i/∂b‖² = ‖δ_i‖² (Goodfellow 2015; Opacus' "ghost norms"). A mask M gives Σ_o δ_io² (M a_i²)_o.
 * δ comes from one backward pass of Σ_i ℓ_i: batch independence keeps rows separate. A conv layer
 * shares its weights over positions, so there the per-sample gradient Σ_p δ_i[:, p] ⊗ patch_i[p] is
 * formed (`convJacobian`: one batched product of δ and the input patches) and its norm taken.
 *
 * Inputs: parameters, `x` [n, in], `y` [n, d]. Outputs: `perSampleSq`, `residualSq`, `loss` [n],
 * `residual` [n, d], and the scalar `batchGradSq` only with `batchGradient`.
 * Cost: 1 forward pass + the backward pass to the preactivations (≈ 2 forward-pass units; no weight
 * gradient is formed) + O(n·Σ_l(in_l + out_l)); `batchGradient` adds the weight gradients (≈ 3 units).
 */
export function gradientEnergyGraph(model: Model, n: number, dtype: FloatDType, loss?: LossLike, options: { batchGradient?: boolean } = {}): Graph {
  const b = new GraphBuilder();
  const params = paramInputs(b, model, dtype);
  const x = b.input('x', [n, model.inputDim], dtype);
  const y = b.input('y', [n, model.outputDim], dtype);
  const ps = model.params.map((p) => params[p.name]!);
  const taps: LayerTap[] = [];
  const f = model.apply(params, x, taps);
  const { loss: l, residual: r } = lossAndResidual(loss, f, y);
  const covered = uncoveredParams(model).length === 0;
  const zs = covered ? taps.map((t) => t.preactivation) : [];
  // Back-propagate r itself (g = Jᵀr, the chain rule through ∂ℓ/∂f = r), so ‖g_i‖² and ‖r_i‖² come
  // from the same residual digits. Parameters join the targets only when the summed gradient is
  // wanted: otherwise the pass stops at the preactivations and no weight-gradient product is built.
  const g = zs.length || options.batchGradient ? gradients([f], [...zs, ...(options.batchGradient ? ps : [])], [r.stopGradient()]) : [];
  const deltas = g.slice(0, zs.length), pg = g.slice(zs.length);
  let batchSq: Tensor | undefined;
  for (const t of pg) { const s = t.square().sum(); batchSq = batchSq ? batchSq.add(s) : s; }
  let perSample: Tensor | undefined;
  if (covered) {
    taps.forEach((tap, k) => {
      if (isConvTap(tap)) {
        // A convolution's per-sample gradient does not factor: form it from the input patches (‖Jᵢ‖² of one cotangent row).
        const term = convJacobian(tap, deltas[k]!.reshape([n, 1, -1])).square().sum([1, 2]);
        perSample = perSample ? perSample.add(term) : term;
        return;
      }
      const d2 = deltas[k]!.square();
      const a2 = tap.input.square();
      let term = tap.mask ? d2.mul(a2.matmul(b.constant(tap.mask, [d2.shape[1]!, a2.shape[1]!], dtype).T)).sum(-1) : d2.sum(-1).mul(a2.sum(-1));
      if (tap.bias) term = term.add(d2.sum(-1));
      perSample = perSample ? perSample.add(term) : term;
    });
  } else {
    // Fallback: one VJP per sample (each per-sample gradient exists only inside the graph).
    const w = model.inputDim, d = model.outputDim, rows: Tensor[] = [];
    for (let i = 0; i < n; i++) {
      const gi = gradients([model.apply(params, x.slice([i, 0], [i + 1, w]))], ps, [r.slice([i, 0], [i + 1, d]).stopGradient()]);
      rows.push(gi.map((t) => t.square().sum()).reduce((a, c) => a.add(c)).reshape([1]));
    }
    perSample = rows.length === 1 ? rows[0]! : concat(rows, 0);
  }
  return b.build({ perSampleSq: perSample!, residualSq: r.square().sum(-1), loss: l, residual: r, ...(batchSq ? { batchGradSq: batchSq.div(n * n) } : {}) });
}

/**
 * Gradient energy E = (1/n) Σ_i ‖∇_θ ℓ_i‖² and the residuals on any backend (one compiled graph
 * per batch size); with `batchGradient: true` also the batch-gradient norm and the free Rayleigh quotient.
 *
 * Cost: ≈ 2 forward-pass units of the batch for dense-layer models (3 with `batchGradient`), plus
 * 2·n·O·Ho·Wo·(C/G)·kh·kw flops per conv layer (its per-sample gradients from the input patches); models
 * with other parameters use n per-sample VJPs (≈ 3n single-sample passes).
 * @see docs/theory.md §3.2, §3.3, §7 items 10–13.
 */
export class GradientEnergyProbe<G extends boolean = false> {
  readonly runtime: ProbeRuntime;
  readonly method: GradientEnergyMethod;

  constructor(readonly model: Model, backend: Backend, private readonly options: GradientEnergyOptions<G> = {}) {
    this.runtime = new ProbeRuntime(backend, options.dtype);
    this.method = uncoveredParams(model).length ? 'per-sample-vjp' : uncoveredParams(model, { denseOnly: true }).length ? 'layer-taps' : 'dense-taps';
  }

  async measure(params: ParamValues, x: ArrayValue, y: Float64Array | Float32Array | Int32Array): Promise<GradientEnergyResult<G>> {
    const n = rowsOf(x, this.model.inputDim), d = this.model.outputDim, rt = this.runtime;
    const withBatch = this.options.batchGradient === true;
    const res = await rt.run(`ge:${n}:${withBatch ? 'batch' : 'norms'}`, () => gradientEnergyGraph(this.model, n, rt.dtype, this.options.loss, { batchGradient: withBatch }), {
      ...rt.paramInputs(this.model, params),
      x: rt.input('x', x, [n, this.model.inputDim]),
      y: rt.input('y', targetRows(y, n, d), [n, d]),
    });
    const perSampleSqNorms = res.perSampleSq!, residualSqNorms = res.residualSq!;
    const energy = perSampleSqNorms.reduce((s, v) => s + v, 0) / n;
    const residualSqNorm = residualSqNorms.reduce((s, v) => s + v, 0);
    const batchGradSqNorm = withBatch ? res.batchGradSq![0]! : undefined;
    // The casts restate what `withBatch` guarantees: number exactly when G is true.
    return {
      n, perSampleSqNorms, energy, batchGradSqNorm: batchGradSqNorm as GradientEnergyResult<G>['batchGradSqNorm'], residuals: res.residual!, residualSqNorms, residualSqNorm,
      rayleighQuotient: (batchGradSqNorm === undefined ? undefined : freeRayleighQuotient(batchGradSqNorm, residualSqNorm, n)) as GradientEnergyResult<G>['rayleighQuotient'],
      losses: res.loss!, method: this.method,
    };
  }

  dispose(): Promise<void> {
    return this.runtime.dispose();
  }
}
