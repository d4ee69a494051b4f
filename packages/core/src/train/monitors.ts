import type { Backend } from '../backend/contract.js';
import type { Model } from '../models/model.js';
import { GradientEnergyProbe, type LossLike } from '../probes/gradient-energy.js';
import { HessianProbe } from '../probes/hessian.js';
import type { FloatDType, ParamValues } from '../probes/runtime.js';
import { StructureMatrixProbe } from '../probes/structure-matrix.js';
import { DEFAULT_MEMORY_BUDGET } from '../linop/memory.js';
import { summarizeBlocks } from '../probes/structure-summary.js';
import { OutOfBatchChange, sgdNeighbourhoodTerm } from '../bounds/sgd-neighbourhood.js';
import { convergenceIndicator, evaluateSandwich, type SandwichReport } from './sandwich.js';

/** How {@link ProbeMonitor} probes during training: probe cadence, probe-set size, wall-time budget, Hessian cadence, ε of the SGD neighbourhood term, and the sandwich tolerance. */
export interface MonitorOptions {
  /** Steps between structure-matrix probes (λ_min/λ_max, sandwich). Default: about 60 per run. */
  readonly probeEvery?: number;
  /** Training rows in the fixed probe set. Default 32. */
  readonly probeSize?: number;
  /** Largest fraction of wall time the probes may take; due probes are skipped past it. Default 0.25. */
  readonly budget?: number;
  /** Probe events between estimates of the smoothness L (Hessian Lanczos); 0 = never. Default 10. */
  readonly hessianEvery?: number;
  /** ε of the SGD neighbourhood term ε² + 4L(n − m)M/m. Default 0. */
  readonly epsilon?: number;
  /** Relative tolerance of the sandwich checks (float32 round-off). Default 1e-3 for f32, 1e-9 for f64. */
  readonly tolerance?: number;
}

/** One probe event, as written to the time series. */
export interface ProbeRecord extends Omit<SandwichReport, 'n'> {
  readonly type: 'probe';
  readonly step: number;
  readonly probeSize: number;
  readonly lambdaMinMedian: number;
  readonly lambdaMaxMedian: number;
  readonly conditionMedian: number;
  readonly rankDeficient: boolean;
  /** The ordinary batch-gradient norm on the probe set, ‖(1/n)Σ g_i‖² (≤ E by Jensen). */
  readonly batchGradSq: number;
  /** Free Rayleigh quotient n²‖∇R̂‖²/‖r‖² of the probe set. */
  readonly rayleigh: number | null;
  /** log₂ E + log₂ λ*_max − log₂ λ*_min (precursor's indicator). */
  readonly indicator: number;
  /** Largest out-of-batch probe-loss change per step seen so far (M), smoothness L, and the term. */
  readonly M: number | null;
  readonly smoothness: number | null;
  readonly neighbourhood: number | null;
  readonly seconds: number;
}

/**
 * Probes run on a schedule during training, on a fixed probe set of training rows, against the
 * live device parameters: the per-sample structure matrices A_i (extreme eigenvalues), gradient
 * energy, residuals and losses, the sandwich (S1, S2, R), the precursor's indicator, and the SGD
 * neighbourhood term (M tracked over the step after each probe; L from the Hessian every
 * `hessianEvery` events). A cost budget skips due probes when they would take more than a
 * fraction of the wall time.
 *
 * Cost per event: structure blocks n(1 + d) passes of the probe set (layer-wise Gram), gradient
 * energy 3 passes, one more 3-pass energy after the next step for M; Hessian events add ≤ 20 HVPs.
 */
export class ProbeMonitor {
  readonly probeEvery: number;
  private readonly structure: StructureMatrixProbe;
  private readonly energy: GradientEnergyProbe<true>;
  private readonly hessian: HessianProbe;
  private readonly paramCount: number;
  private readonly options: Required<Omit<MonitorOptions, 'probeEvery' | 'probeSize'>>;
  /** The risk bounds R are those of softmax cross-entropy; other losses get S1/S2 only. */
  private readonly crossEntropy: boolean;
  private spent = 0;
  private events = 0;
  private pending: { losses: Float64Array } | undefined;
  private readonly outOfBatch = new OutOfBatchChange();
  /** Skipped due probes (over budget). */
  skipped = 0;
  M: number | undefined;
  smoothness: number | undefined;

  constructor(
    readonly model: Model,
    backend: Backend,
    readonly dtype: FloatDType,
    /** Probe rows: their indices in the training set, features and labels. */
    readonly probe: { readonly rows: Int32Array; readonly x: Float32Array | Float64Array; readonly labels: Int32Array },
    readonly data: { readonly n: number; readonly batch: number },
    totalSteps: number,
    options: MonitorOptions & { loss?: LossLike } = {},
  ) {
    this.probeEvery = options.probeEvery ?? Math.max(1, Math.round(totalSteps / 60));
    this.options = {
      budget: options.budget ?? 0.25,
      hessianEvery: options.hessianEvery ?? 10,
      epsilon: options.epsilon ?? 0,
      tolerance: options.tolerance ?? (dtype === 'f64' ? 1e-9 : 1e-3),
    };
    const po = { dtype, ...(options.loss ? { loss: options.loss } : {}) };
    this.crossEntropy = options.loss === undefined || (typeof options.loss === 'object' && (options.loss as { name?: string }).name === 'softmax');
    this.structure = new StructureMatrixProbe(model, backend, { dtype });
    this.energy = new GradientEnergyProbe(model, backend, { ...po, batchGradient: true });
    this.hessian = new HessianProbe(model, backend, po);
    this.paramCount = model.params.reduce((t, p) => t + p.shape.reduce((a, b) => a * b, 1), 0);
  }

  /** Whether a probe is due after `step` completed steps, given the time spent training so far. */
  due(step: number, elapsed: number, last: boolean): boolean {
    if (step % this.probeEvery !== 0 && !last) return false;
    if (step === 0 || last || this.spent <= this.options.budget * elapsed) return true;
    this.skipped++;
    return false;
  }

  async measure(step: number, params: ParamValues): Promise<ProbeRecord> {
    const t0 = performance.now(), { x, labels } = this.probe, n = labels.length, d = this.model.outputDim;
    const ge = await this.energy.measure(params, x, labels);
    const sm = summarizeBlocks(await this.structure.blocks(params, x));
    const pMin = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let m = Infinity;
      for (let j = 0; j < d; j++) m = Math.min(m, ge.residuals[i * d + j]! + (labels[i] === j ? 1 : 0));
      pMin[i] = Math.max(0, m);
    }
    const sw = evaluateSandwich({ gradSq: ge.perSampleSqNorms, residualSq: ge.residualSqNorms, lambdaMin: sm.lambdaMin, lambdaMax: sm.lambdaMax, losses: ge.losses, pMin }, this.options.tolerance, { crossEntropy: this.crossEntropy });
    // Lanczos keeps its P-long basis in float64: 20 vectors, or as many as fit the default memory
    // budget (ResNet-18 at width 64 has 11 M parameters: 12). Under 4 the estimate is skipped.
    const hessianIterations = Math.min(20, Math.floor(DEFAULT_MEMORY_BUDGET / (8 * this.paramCount)));
    if (this.options.hessianEvery > 0 && this.events % this.options.hessianEvery === 0 && hessianIterations >= 4) {
      const h = await this.hessian.extremes(params, x, labels, { maxIterations: hessianIterations, tol: 1e-3 });
      this.smoothness = Math.max(this.smoothness ?? 0, h.smoothness);
    }
    this.events++;
    this.pending = { losses: ge.losses };
    const seconds = (performance.now() - t0) / 1000;
    // The step-0 probe mostly compiles the probe graphs (a one-off): charging it to the budget
    // would starve the early probes, exactly where the quantities move fastest.
    if (step > 0) this.spent += seconds;
    const { n: _n, ...rest } = sw;
    return {
      type: 'probe', step, probeSize: n, ...rest,
      lambdaMinMedian: sm.aggregate.lambdaMin.median, lambdaMaxMedian: sm.aggregate.lambdaMax.median, conditionMedian: sm.aggregate.condition.median,
      rankDeficient: sm.rankDeficient, batchGradSq: ge.batchGradSqNorm, rayleigh: ge.rayleighQuotient ?? null,
      indicator: convergenceIndicator(sw.energy, sw.lambdaMinStar, sw.lambdaMaxStar),
      M: this.M ?? null, smoothness: this.smoothness ?? null, neighbourhood: this.neighbourhood() ?? null, seconds,
    };
  }

  /**
   * After the step that followed a probe: the change of the mean probe loss over probe rows NOT in
   * that step's batch, |R_out(θ_{k+1}) − R_out(θ_k)|, feeds M = its running maximum. Returns
   * whether it measured (true only on the step after a probe).
   */
  async afterStep(params: ParamValues, batchRows: ArrayLike<number>): Promise<boolean> {
    if (!this.pending) return false;
    const t0 = performance.now(), before = this.pending.losses;
    this.pending = undefined;
    const after = (await this.energy.measure(params, this.probe.x, this.probe.labels)).losses;
    // Probe positions whose training row was in the step's batch: excluded from R_out.
    const inBatch = new Set(Array.from(batchRows)), positions: number[] = [];
    this.probe.rows.forEach((row, i) => { if (inBatch.has(row)) positions.push(i); });
    if (positions.length < before.length) {
      const c = this.outOfBatch.observeLosses(before, after, positions);
      this.M = Math.max(this.M ?? 0, c);
    }
    this.spent += (performance.now() - t0) / 1000;
    return true;
  }

  neighbourhood(): number | undefined {
    if (this.M === undefined || this.smoothness === undefined) return undefined;
    return sgdNeighbourhoodTerm({ epsilon: this.options.epsilon, smoothness: this.smoothness, n: this.data.n, batchSize: this.data.batch, M: this.M });
  }

  get secondsSpent(): number { return this.spent; }

  /** Whether the next step must be followed by `afterStep`'s measurement (a probe ran after the last one). */
  get awaitsFollowup(): boolean { return this.pending !== undefined; }

  /**
   * JSON state for checkpoints. It includes the probe losses awaiting the next step's M update and
   * the time spent, so a run resumed right after a probe measures the same M and skips the same
   * probes as one never interrupted.
   */
  get state(): Record<string, unknown> {
    const pending = this.pending && this.pending.losses.every(Number.isFinite) ? Array.from(this.pending.losses) : null;
    return { M: this.M ?? null, smoothness: this.smoothness ?? null, events: this.events, skipped: this.skipped, spent: this.spent, pending };
  }
  set state(s: Record<string, unknown>) {
    this.M = typeof s.M === 'number' ? s.M : undefined;
    this.smoothness = typeof s.smoothness === 'number' ? s.smoothness : undefined;
    this.events = typeof s.events === 'number' ? s.events : 0;
    this.skipped = typeof s.skipped === 'number' ? s.skipped : 0;
    this.spent = typeof s.spent === 'number' ? s.spent : 0;
    const p = s.pending;
    this.pending = Array.isArray(p) && p.length === this.probe.labels.length && p.every((v) => typeof v === 'number') ? { losses: Float64Array.from(p as number[]) } : undefined;
  }

  async dispose(): Promise<void> {
    await Promise.all([this.structure.dispose(), this.energy.dispose(), this.hessian.dispose()]);
  }
}
