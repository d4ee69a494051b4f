import { gradients } from '../ad/gradients.js';
import type { Backend, DeviceTensor } from '../backend/contract.js';
import { lanczos, type LanczosOptions, type LanczosResult } from '../estimators/lanczos.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Graph } from '../ir/graph.js';
import { defineOperator } from '../linop/linear-operator.js';
import { paramInputs, parameterCount, type Model } from '../models/model.js';
import { perSampleLoss, targetRows, type LossLike } from './gradient-energy.js';
import { flattenParams, ProbeRuntime, rowsOf, splitFlat, type ArrayValue, type FloatDType, type ParamValues } from './runtime.js';
import type { DisposableOperator } from './structure-matrix.js';

/**
 * Graph of the Hessian–vector product of the empirical risk R̂(θ) = (1/n) Σ_i ℓ_i: inputs the
 * parameters, `x` [n, in], `y` [n, d], `v` [P] (flattened in `model.params` order); outputs `hv`
 * [P] = ∇²R̂ v and `grad` [P]. Built as `gradients` twice: ∇R̂ by one VJP, then the VJP of
 * ⟨∇R̂, v⟩ (the Hessian is symmetric, so this is ∇²R̂ v).
 *
 * Cost: ≈ 1 forward + 1 backward + 2 double-backward passes ≈ 5 forward-pass units of the batch.
 */
export function hessianVpGraph(model: Model, n: number, dtype: FloatDType, loss?: LossLike): Graph {
  const b = new GraphBuilder();
  const params = paramInputs(b, model, dtype);
  const x = b.input('x', [n, model.inputDim], dtype);
  const y = b.input('y', [n, model.outputDim], dtype);
  const v = b.input('v', [parameterCount(model)], dtype);
  const ps = model.params.map((p) => params[p.name]!);
  const risk = perSampleLoss(loss)(model.apply(params, x), y).mean();
  const g = gradients([risk], ps, [b.fill(1, [], dtype)]);
  const vs = splitFlat(model, v);
  const hv = gradients(g, ps, model.params.map((p) => vs[p.name]!));
  return b.build({ hv: flattenParams(hv), grad: flattenParams(g) });
}

/** What `HessianProbe.extremes` finds: the extreme Hessian eigenvalues of the empirical risk at θ, the smoothness L = max(|λ_max|, |λ_min|), and the Lanczos report. */
export interface HessianExtremes {
  readonly largest: number;
  readonly smallest: number;
  /** L = max(|λ_max|, |λ_min|) = ‖∇²R̂‖₂ at θ: the local smoothness constant of the SGD theorem. */
  readonly smoothness: number;
  readonly lanczos: LanczosResult;
}

/**
 * Hessian of the empirical risk as a matrix-free operator (size P, symmetric) and its extreme
 * eigenvalues by Lanczos. The top |eigenvalue| estimates the smoothness constant L (step size
 * α = 1/(2L) in the SGD theorem) at the current parameters; it is local, not a global bound.
 *
 * Cost: ≈ 5 forward-pass units of the batch per product; Lanczos needs k products and k·P·8 bytes.
 * @see docs/theory.md §3.5, §7 item 15.
 */
export class HessianProbe {
  readonly runtime: ProbeRuntime;
  readonly parameterCount: number;

  constructor(readonly model: Model, backend: Backend, private readonly options: { loss?: LossLike; dtype?: FloatDType } = {}) {
    this.runtime = new ProbeRuntime(backend, options.dtype);
    this.parameterCount = parameterCount(model);
  }

  /** v ↦ ∇²R̂(θ) v on (x, y); parameters and data are uploaded once, `dispose()` frees them. */
  operator(params: ParamValues, x: ArrayValue, y: Float64Array | Float32Array | Int32Array): DisposableOperator {
    const n = rowsOf(x, this.model.inputDim), d = this.model.outputDim, P = this.parameterCount, rt = this.runtime;
    const owned: DeviceTensor[] = [];
    const fixed: Record<string, DeviceTensor> = {};
    const put = (name: string, t: ReturnType<ProbeRuntime['input']>) => { fixed[name] = rt.keep(t, owned); };
    for (const [k, t] of Object.entries(rt.paramInputs(this.model, params))) put(k, t);
    put('x', rt.input('x', x, [n, this.model.inputDim]));
    put('y', rt.input('y', targetRows(y, n, d), [n, d]));
    const op = defineOperator({
      size: P,
      symmetric: true,
      label: `Hessian(${P} parameters, ${n} samples)`,
      matvec: async (v) => (await rt.run(`hvp:${n}`, () => hessianVpGraph(this.model, n, rt.dtype, this.options.loss), { ...fixed, v: rt.input('v', v, [P]) }, ['hv'])).hv!,
    });
    return { ...op, dispose: () => { for (const t of owned.splice(0)) t.dispose(); } };
  }

  /** λ_max, λ_min of the Hessian and L = max |λ| by Lanczos (default ≤ 100 products, tol 1e-8). */
  async extremes(params: ParamValues, x: ArrayValue, y: Float64Array | Float32Array | Int32Array, options: LanczosOptions = {}): Promise<HessianExtremes> {
    const op = this.operator(params, x, y);
    try {
      const r = await lanczos(op, { maxIterations: 100, tol: 1e-8, ...options });
      return { largest: r.largest, smallest: r.smallest, smoothness: Math.max(Math.abs(r.largest), Math.abs(r.smallest)), lanczos: r };
    } finally {
      op.dispose();
    }
  }

  dispose(): Promise<void> {
    return this.runtime.dispose();
  }
}
