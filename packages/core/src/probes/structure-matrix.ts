import type { Backend, DeviceTensor } from '../backend/contract.js';
import { lanczos, type LanczosOptions, type LanczosResult } from '../estimators/lanczos.js';
import { lobpcg, type LobpcgOptions, type LobpcgResult } from '../estimators/lobpcg.js';
import { symmetricEigen } from '../estimators/symmetric-eigen.js';
import { defineOperator, type DenseMatrix, type LinearOperator } from '../linop/linear-operator.js';
import { DEFAULT_MEMORY_BUDGET, denseBytes, fitsBudget, guardMemory } from '../linop/memory.js';
import { spec, trace } from '../ir/builder.js';
import { parameterCount, type Model } from '../models/model.js';
import { jacobianContractionGraph } from './jacobian-contraction.js';
import { assembleLayerwiseNtk, layerwiseGramGraph, layerwisePlan, uncoveredParams, type LayerwiseMode } from './layerwise-gram.js';
import { outputBlockPreconditioner, type NtkOutputBlocks, type NtkPreconditioner } from './ntk-preconditioner.js';
import { deviceOutputBlockPreconditioner } from './output-block-factors.js';
import { ntkVpGraph } from './ntk-vp.js';
import { isDevice, padRows, ProbeRuntime, rowsOf, type ArrayValue, type FloatDType, type ParamValues } from './runtime.js';

/**
 * The three exact algorithms for the structure matrix / empirical NTK (they agree to round-off;
 * the tests check it). Costs in forward-pass units of one sample, n samples, d outputs, P params:
 *
 * - `'jacobian-contraction'`: per-sample Jacobians by n·d VJPs (one-hot cotangents), contracted
 *   J Jᵀ on the device. Cost: n(1 + 2d) passes + (n·d)²·P flops. Any model.
 * - `'ntk-vp'`: matrix-free Θu = J(Jᵀu), one VJP then one JVP. Cost: ≈ 5n passes per product;
 *   the dense NTK needs n·d products. Any model; the only choice past the memory budget.
 * - `'layerwise-gram'`: Σ_l (A_l A_lᵀ + 1) ⊙ (B_l B_lᵀ) with B_l = ∂f/∂z_l over dense layers,
 *   never forming their J, plus J_l J_lᵀ over conv layers (J_l from the input patches and B_l).
 *   Cost: n(1 + d) passes + Σ_dense (n²·in_l + (n·d)²·out_l) + Σ_conv (n·d·O·Ho·Wo·K +
 *   (n·d)²·(O·K + O)) flops, K = (C/G)·kh·kw. Models whose parameters are all in dense or conv layers.
 */
export type StructureAlgorithm = 'jacobian-contraction' | 'ntk-vp' | 'layerwise-gram';
/** Every {@link StructureAlgorithm} a structure-matrix probe can use; all exact, they differ only in cost. */
export const STRUCTURE_ALGORITHMS: readonly StructureAlgorithm[] = ['jacobian-contraction', 'ntk-vp', 'layerwise-gram'];

/**
 * Default algorithm: `'layerwise-gram'`, because its contraction costs Σ_l out_l per entry pair
 * instead of P (≈ 650× less for a 784-512-512-10 MLP) and it never holds a d × P Jacobian. A
 * model with conv layers (all parameters in dense or conv taps, e.g. LeNet) gets it when it pays by
 * stated cost (`chooseCoveredAlgorithm`). When some parameter is in no tap (norms, attention) the
 * default is chosen by `chooseGeneralAlgorithm`: `'jacobian-contraction'`, or `'ntk-vp'` when one
 * sample's d × P Jacobian does not fit a quarter of the memory budget. All are exact; the choice
 * changes cost, never the answer.
 */
export const DEFAULT_STRUCTURE_ALGORITHM: StructureAlgorithm = 'layerwise-gram';

/**
 * Options of a {@link StructureMatrixProbe}: the algorithm (default chosen per model, see
 * {@link DEFAULT_STRUCTURE_ALGORITHM}), float dtype, memory budget of dense objects, and the chunk and
 * block sizes of the Jacobian-contraction and NTK–vector-product runs.
 */
export interface StructureMatrixOptions {
  readonly algorithm?: StructureAlgorithm;
  /** Float dtype of the graphs; default f64 where the backend has it, else f32. */
  readonly dtype?: FloatDType;
  /** Bytes any one dense object (NTK, Jacobians, Lanczos basis) may take; default 1 GiB. */
  readonly memoryBudget?: number;
  /** Samples per Jacobian-contraction graph; default: ≤ 32 and c·d·P values within budget/4. */
  readonly chunk?: number;
  /** Columns per NTK–vector-product run; default 16. */
  readonly block?: number;
}

/** Per-sample structure matrices A_i = J_i J_iᵀ, row-major [n, d, d]. */
export interface StructureBlocks {
  readonly n: number;
  readonly d: number;
  readonly data: Float64Array;
  readonly algorithm: StructureAlgorithm;
  readonly parameterCount: number;
}

/** The empirical NTK Θ over n samples, index (i, k) ↦ i·d + k (sample-major). */
export interface EmpiricalNtk extends DenseMatrix {
  readonly n: number;
  readonly d: number;
  readonly algorithm: StructureAlgorithm;
  readonly parameterCount: number;
}

/** The empirical NTK in float32 (`ntk(…, { dtype: 'f32' })`): half the memory of float64. */
export interface EmpiricalNtkF32 extends Omit<EmpiricalNtk, 'data'> {
  readonly data: Float32Array;
}

/**
 * What `StructureMatrixProbe.extremes` finds: the extreme eigenvalues of the n·d × n·d empirical NTK,
 * whether it is rank deficient (P < n·d: λ_min = 0 exactly), the method with its reports, and the
 * operator products used.
 */
export interface NtkExtremes {
  readonly largest: number;
  /** 0 exactly when P < n·d (`rankDeficient`). */
  readonly smallest: number;
  readonly rankDeficient: boolean;
  readonly method: 'dense' | 'lanczos' | 'lobpcg';
  readonly size: number;
  readonly parameterCount: number;
  /** All eigenvalues (dense method). */
  readonly eigenvalues?: Float64Array;
  /** The Lanczos report: both extremes ('lanczos'), λ_max only ('lobpcg'). */
  readonly lanczos?: LanczosResult;
  /** The preconditioned LOBPCG report for λ_min ('lobpcg'; absent when rank deficient). */
  readonly lobpcg?: LobpcgResult;
  /** Operator applications in all (0 for 'dense'). */
  readonly products: number;
  /** Iterative methods: whether the products multiplied by the formed Θ or were NTK–vector products. */
  readonly productSource?: 'formed' | 'ntk-vp';
}

/** How `extremes` finds λ_max and λ_min; see there. */
export type ExtremesMethod = 'auto' | 'dense' | 'lanczos' | 'lobpcg';

/** Options of `StructureMatrixProbe.extremes`: the method and each iterative solver's options. */
export interface ExtremesOptions {
  readonly method?: ExtremesMethod;
  readonly lanczos?: LanczosOptions;
  readonly lobpcg?: LobpcgOptions;
  /**
   * Where the 'lanczos' / 'lobpcg' products come from: `'formed'` forms Θ once (layer-wise, in the
   * probe's dtype) and multiplies by it on the backend; `'ntk-vp'` never forms it (NTK–vector
   * products, ≈ 5n passes each). Default: the cheaper by `chooseProductSource`.
   */
  readonly products?: 'formed' | 'ntk-vp';
}

/** A linear operator holding device copies of the parameters; dispose when done. */
export type DisposableOperator = LinearOperator & { dispose(): void };

/** Θ formed (`ntk`, on the host) as an operator by its device copy. Internal. */
type FormedOperator = DisposableOperator & { readonly n: number; readonly d: number; readonly ntk: Float32Array | Float64Array };

/**
 * Structure-matrix probe: per-sample A_x = J_x J_xᵀ, the empirical NTK over a probe set, its
 * traced n × n form, NTK–vector products as a LinearOperator, and its extreme eigenvalues.
 * Runs on any backend: graphs are traced in core, compiled once per shape and cached here.
 *
 * @see docs/theory.md §3.1 and §7 items 6–9.
 */
export class StructureMatrixProbe {
  readonly algorithm: StructureAlgorithm;
  readonly runtime: ProbeRuntime;
  readonly parameterCount: number;
  readonly memoryBudget: number;
  private readonly block: number;
  /** Parameters outside dense and conv layers (empty: the layer-wise graphs apply); traced once here. */
  private readonly uncovered: readonly string[];
  /** How `blocks()` computes the per-sample A_i: `algorithm` when requested or layer-wise, else `'ntk-vp'` (see chooseGeneralAlgorithm). */
  readonly blocksAlgorithm: StructureAlgorithm;

  constructor(readonly model: Model, backend: Backend, private readonly options: StructureMatrixOptions = {}) {
    this.runtime = new ProbeRuntime(backend, options.dtype);
    this.parameterCount = parameterCount(model);
    this.memoryBudget = options.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
    this.block = Math.max(1, options.block ?? 16);
    const requested = options.algorithm;
    if (requested !== undefined && !STRUCTURE_ALGORITHMS.includes(requested))
      throw new Error(`unknown structure-matrix algorithm "${requested}"; use one of ${STRUCTURE_ALGORITHMS.join(', ')}`);
    const missing = (this.uncovered = uncoveredParams(model));
    if (requested === 'layerwise-gram' && missing.length)
      throw new Error(`layerwise-gram needs every parameter in a dense or conv layer, but ${missing.length} of ${model.kind}'s are not ([${missing.slice(0, 6).join(', ')}${missing.length > 6 ? ', …' : ''}]: normalisation, attention or other layers); use 'jacobian-contraction' or 'ntk-vp', or leave the algorithm out to have it chosen by cost`);
    this.algorithm = requested ?? (missing.length ? chooseGeneralAlgorithm(model, this.runtime.dtype, this.memoryBudget) : chooseCoveredAlgorithm(model, this.runtime.dtype, this.memoryBudget));
    this.blocksAlgorithm = requested ?? (this.algorithm === 'layerwise-gram' ? this.algorithm : 'ntk-vp');
  }

  private get d(): number { return this.model.outputDim; }
  private get bytes(): number { return this.runtime.dtype === 'f64' ? 8 : 4; }

  /** Run the layer-wise graph of `mode` (compiled once per mode, n and rotation) and return its one output. */
  private async layerwise(mode: LayerwiseMode, params: ParamValues, x: ArrayValue, rotation?: Float64Array): Promise<Float64Array> {
    const n = rowsOf(x, this.model.inputDim), rt = this.runtime;
    const inputs = { ...rt.paramInputs(this.model, params), x: rt.input('x', x, [n, this.model.inputDim]), ...(rotation ? { rotation: rt.input('rotation', rotation, [this.d, this.d]) } : {}) };
    const out = await rt.run(`lw:${mode}${rotation ? ':rot' : ''}:${n}`, () => layerwiseGramGraph(this.model, n, rt.dtype, mode, { rotateOutputs: !!rotation }), inputs);
    return out[mode === 'full' ? 'K' : mode]!;
  }

  /** Per-sample structure matrices A_i (d × d each). */
  async blocks(params: ParamValues, x: ArrayValue): Promise<StructureBlocks> {
    const n = rowsOf(x, this.model.inputDim), d = this.d, P = this.parameterCount;
    let data: Float64Array;
    const algorithm = this.blocksAlgorithm;
    if (algorithm === 'layerwise-gram') {
      data = await this.layerwise('blocks', params, x);
    } else if (algorithm === 'jacobian-contraction') {
      data = new Float64Array(n * d * d);
      await this.forChunks(x, n, 'blocks', (c0, rows, out) => data.set(out.subarray(0, rows * d * d), c0 * d * d), params);
    } else {
      data = new Float64Array(n * d * d);
      const host = await hostArray(x), w = this.model.inputDim;
      const u = new Float64Array(d * d);
      for (let k = 0; k < d; k++) u[k * d + k] = 1;
      const inputs = { ...this.runtime.paramInputs(this.model, params), u: this.runtime.input('u', u, [d, 1, d]) };
      for (let i = 0; i < n; i++) {
        const res = await this.runtime.run(`vp:1:${d}`, () => ntkVpGraph(this.model, 1, d, this.runtime.dtype), { ...inputs, x: this.runtime.input('x', host.subarray(i * w, (i + 1) * w), [1, w]) });
        data.set(res.ntkU!, i * d * d); // column k of A_i = A_i e_k = row k (A_i is symmetric)
      }
      // J(Jᵀe_k) is symmetric only up to round-off (≈ 1e-7 relative in float32): symmetrize, as the
      // eigensolvers downstream require.
      for (let i = 0; i < n; i++)
        for (let a = 0; a < d; a++)
          for (let b = 0; b < a; b++) {
            const o = i * d * d, m = 0.5 * (data[o + a * d + b]! + data[o + b * d + a]!);
            data[o + a * d + b] = m; data[o + b * d + a] = m;
          }
    }
    return { n, d, data, algorithm, parameterCount: P };
  }

  /**
   * The full empirical NTK ((n·d) × (n·d)). Fails past the memory budget with what to change.
   * `{ dtype: 'f32' }` returns it in a Float32Array (4 bytes per entry instead of 8; the layer-wise
   * algorithm writes its blocks straight into that buffer, so nothing larger is ever held).
   */
  async ntk(params: ParamValues, x: ArrayValue): Promise<EmpiricalNtk>;
  async ntk(params: ParamValues, x: ArrayValue, options: { dtype: 'f32' }): Promise<EmpiricalNtkF32>;
  async ntk(params: ParamValues, x: ArrayValue, options?: { dtype?: FloatDType }): Promise<EmpiricalNtk | EmpiricalNtkF32>;
  async ntk(params: ParamValues, x: ArrayValue, options: { dtype?: FloatDType } = {}): Promise<EmpiricalNtk | EmpiricalNtkF32> {
    const n = rowsOf(x, this.model.inputDim), d = this.d, N = n * d, f32 = options.dtype === 'f32';
    // Budget twice the buffer (a copy's worth of headroom; the layer-wise blocks need far less).
    guardMemory(`the empirical NTK of ${n} samples × ${d} outputs (${N}×${N})`, (f32 ? 4 : 8) * N * N * 2, this.memoryBudget,
      'Use probe.operator() with lanczos/hutchinsonTrace (matrix-free), per-sample blocks(), fewer probe samples, or raise memoryBudget.');
    let data: Float64Array | Float32Array;
    if (this.algorithm === 'layerwise-gram') {
      data = f32 ? new Float32Array(N * N) : new Float64Array(N * N);
      await assembleLayerwiseNtk(this.runtime, this.model, params, await hostArray(x), n, data);
    } else if (this.algorithm === 'ntk-vp') {
      const op = await this.operator(params, x);
      data = new Float64Array(N * N);
      for (let c0 = 0; c0 < N; c0 += this.block) {
        const k = Math.min(this.block, N - c0), e = new Float64Array(k * N);
        for (let j = 0; j < k; j++) e[j * N + c0 + j] = 1;
        data.set(await op.matmat(e, k), c0 * N); // Θ e_j is column j = row j (Θ symmetric)
      }
      op.dispose();
    } else {
      data = await this.jacobianNtk(params, x, n);
    }
    if (f32 && data instanceof Float64Array) data = Float32Array.from(data);
    return { size: N, data, n, d, algorithm: this.algorithm, parameterCount: this.parameterCount } as EmpiricalNtk | EmpiricalNtkF32;
  }

  /** The traced NTK, n × n: T_ij = Σ_k Θ_{(i,k),(j,k)} = ⟨J_i, J_j⟩_F. */
  async tracedNtk(params: ParamValues, x: ArrayValue): Promise<DenseMatrix> {
    const n = rowsOf(x, this.model.inputDim), d = this.d;
    if (this.algorithm === 'layerwise-gram')
      return { size: n, data: await this.layerwise('traced', params, x) };
    const K = await this.ntk(params, x), N = n * d, t = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { let s = 0; for (let k = 0; k < d; k++) s += K.data[(i * d + k) * N + j * d + k]!; t[i * n + j] = s; }
    return { size: n, data: t };
  }

  /** Per-sample Jacobians J_i (d × P), row-major [n, d, P]. Memory-guarded: n·d·P·8 bytes. */
  async jacobians(params: ParamValues, x: ArrayValue): Promise<{ n: number; d: number; P: number; data: Float64Array }> {
    const n = rowsOf(x, this.model.inputDim), d = this.d, P = this.parameterCount;
    guardMemory(`per-sample Jacobians (${n} × ${d} × ${P})`, denseBytes(n * d * P), this.memoryBudget,
      'Use blocks()/ntk() (the contraction stays on the device), fewer samples, or raise memoryBudget.');
    const data = new Float64Array(n * d * P);
    await this.forChunks(x, n, 'jacobian', (c0, rows, out) => data.set(out.subarray(0, rows * d * P), c0 * d * P), params);
    return { n, d, P, data };
  }

  /**
   * Θ as a matrix-free operator (NTK–vector products), size n·d, symmetric, rank ≤ P. Parameters
   * and x are uploaded once; call `dispose()` to free them.
   *
   * Cost: ≈ 5 forward-pass units of the n samples per product; `block` products share a run.
   */
  async operator(params: ParamValues, x: ArrayValue): Promise<DisposableOperator> {
    const n = rowsOf(x, this.model.inputDim), d = this.d, N = n * d, P = this.parameterCount, rt = this.runtime;
    const owned: DeviceTensor[] = [];
    const upload = (name: string, v: ArrayValue, shape: readonly number[]) => rt.device(name, v, shape, owned);
    const fixed: Record<string, DeviceTensor> = { x: upload('x', x, [n, this.model.inputDim]) };
    for (const p of this.model.params) {
      const v = params[p.name];
      if (!v) throw new Error(`missing parameter "${p.name}"; pass every entry of model.params`);
      fixed[p.name] = upload(`parameter ${p.name}`, v, p.shape);
    }
    const apply = async (v: Float64Array, m: number) =>
      (await rt.run(`vp:${n}:${m}`, () => ntkVpGraph(this.model, n, m, rt.dtype), { ...fixed, u: rt.input('u', v, [m, n, d]) })).ntkU!;
    const op = defineOperator({
      size: N,
      symmetric: true,
      ...(P < N ? { rankBound: P } : {}),
      label: `NTK(${n} samples × ${d} outputs, ntk-vp)`,
      matvec: (v) => apply(v, 1),
      matmat: async (v, k) => {
        const out = new Float64Array(N * k), m = Math.min(this.block, k);
        for (let j0 = 0; j0 < k; j0 += m) {
          const cols = Math.min(m, k - j0), chunk = new Float64Array(m * N);
          chunk.set(v.subarray(j0 * N, (j0 + cols) * N));
          out.set((await apply(chunk, m)).subarray(0, cols * N), j0 * N);
        }
        return out;
      },
    });
    return { ...op, dispose: () => { for (const t of owned.splice(0)) t.dispose(); } };
  }

  /**
   * The output-diagonal blocks Θ^(k)_ij = Θ_(i,k),(j,k) ([d, n, n]) by the layer-wise graph, whatever
   * `algorithm` is: 1 forward + d backward passes of the n samples, Σ_l n²(in_l + d·out_l) flops.
   * With `rotation` Q (d × d, row-major, orthogonal) the blocks of the outputs f Q instead.
   * Needs every parameter in a dense layer.
   */
  async outputBlocks(params: ParamValues, x: ArrayValue, options: { rotation?: Float64Array } = {}): Promise<NtkOutputBlocks> {
    const n = rowsOf(x, this.model.inputDim), d = this.d, { rotation } = options;
    this.requireDenseLayers('outputBlocks');
    if (rotation && rotation.length !== d * d) throw new Error(`outputBlocks: rotation has ${rotation.length} values, expected d·d = ${d * d}`);
    guardMemory(`the NTK output blocks (${d} × ${n}×${n})`, denseBytes(d * n * n) * 2, this.memoryBudget, 'Use fewer probe samples or raise memoryBudget.');
    const data = await this.layerwise('outputs', params, x, rotation);
    return { n, d, data, ...(rotation ? { rotation: Float64Array.from(rotation) } : {}) };
  }

  /**
   * The LOBPCG preconditioner of this NTK: block Jacobi over outputs (`outputBlockPreconditioner`),
   * by default in the eigenbasis Q of the output Gram S = Σ_i A_i (d × d, from the per-sample
   * blocks). Why rotate: training couples the outputs (the cross-output blocks of a trained MLP's
   * NTK carry about half its mass), which the plain block Jacobi ignores; in the basis Q they are
   * small again. Measured on the trained MLP 784-256-256-10 of `clt train` (200 digits, NTK
   * 2000 × 2000): LOBPCG to 1e-6 of λ_min in 21–29 products rotated, ≈ 140–185 not, ≈ 500 for
   * Lanczos; at initialization both ≈ 40–55. `rotate: false` skips the extra blocks graph.
   */
  async preconditioner(params: ParamValues, x: ArrayValue, options: { rotate?: boolean } = {}): Promise<NtkPreconditioner> {
    return outputBlockPreconditioner(await this.preconditionerBlocks(params, x, options));
  }

  /** The (rotated) output blocks that `preconditioner` factors, by the layer-wise graphs. */
  private async preconditionerBlocks(params: ParamValues, x: ArrayValue, options: { rotate?: boolean } = {}): Promise<NtkOutputBlocks> {
    this.requireDenseLayers('preconditioner'); // before the blocks graph, so the message names this method
    if (options.rotate === false || this.d === 1) return this.outputBlocks(params, x);
    const n = rowsOf(x, this.model.inputDim), d = this.d;
    const blocks = await this.layerwise('blocks', params, x); // per-sample A_i, whatever `algorithm` is
    const S = new Float64Array(d * d);
    for (let i = 0; i < n; i++) for (let e = 0; e < d * d; e++) S[e]! += blocks[i * d * d + e]!;
    return this.outputBlocks(params, x, { rotation: outputGramBasis(S, d) });
  }

  /**
   * The preconditioner of `preconditioner()` (rotated) for `extremes` with Θ formed, applied on the
   * backend (`deviceOutputBlockPreconditioner`). The output Gram S = Σ_i A_i is the sum of Θ's d × d
   * diagonal blocks, read from the formed Θ, so the per-sample blocks graph is not run; the rotated
   * output blocks come from the layer-wise 'outputs' graph. (Reading them off the formed Θ by one
   * graph on its device copy, Θ (I ⊗ Q) and then the diagonal of the left rotation, costs the same
   * ≈ 20 ms at n = 256 once warm, but its two N² intermediates cost ≈ 300 ms of fresh memory in each
   * of the first two calls.)
   */
  private async formedPreconditioner(params: ParamValues, x: ArrayValue, formed: FormedOperator): Promise<NtkPreconditioner & { dispose(): void }> {
    this.requireDenseLayers('preconditioner');
    const { n, d } = formed, N = n * d, K = formed.ntk;
    let rotation: Float64Array | undefined;
    if (d > 1) {
      const S = new Float64Array(d * d);
      for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) { const r = (i * d + a) * N + i * d; for (let b = 0; b < d; b++) S[a * d + b]! += K[r + b]!; }
      rotation = outputGramBasis(S, d);
    }
    return deviceOutputBlockPreconditioner(this.runtime, await this.outputBlocks(params, x, rotation ? { rotation } : {}));
  }

  private requireDenseLayers(what: string): void {
    if (this.uncovered.length)
      throw new Error(`${what}: parameters [${this.uncovered.join(', ')}] are not in a dense or conv layer, so the output blocks have no cheap form; use extremes(..., { method: 'lanczos' })`);
  }

  /**
   * λ_max and λ_min of the empirical NTK.
   *
   * - `'dense'`: form Θ and run the dense eigensolver ((4/3)(n·d)³ flops).
   * - `'lanczos'`: Lanczos on NTK–vector products for both ends. λ_max converges in ~20 products;
   *   λ_min, at the crowded bottom of an NTK spectrum, can take hundreds.
   * - `'lobpcg'`: Lanczos for λ_max (stopped once it converges), then LOBPCG for λ_min with a
   *   block of 2 vectors, preconditioned by the NTK's output-diagonal blocks (the operator of
   *   `preconditioner`, applied on the backend): tens to about a hundred products.
   *   Dense-layer models only.
   * - `'auto'` (default): the cheaper of forming Θ + the dense solver and the iterative method
   *   ('lobpcg' when every parameter is in a dense layer, else 'lanczos'), by the stated costs of
   *   `chooseExtremesMethod`; 'dense' only when Θ fits the memory budget.
   *
   * When P < n·d the NTK has rank ≤ P < n·d: λ_min = 0 exactly, flagged, and not iterated for.
   */
  async extremes(params: ParamValues, x: ArrayValue, options: ExtremesOptions = {}): Promise<NtkExtremes> {
    const n = rowsOf(x, this.model.inputDim), N = n * this.d, P = this.parameterCount, rankDeficient = P < N;
    const requested = options.method ?? 'auto';
    if (!['auto', 'dense', 'lanczos', 'lobpcg'].includes(requested)) throw new Error(`extremes: unknown method "${requested}"; use auto, dense, lanczos or lobpcg`);
    const method = requested !== 'auto' ? requested : chooseExtremesMethod({
      n, d: this.d, parameterCount: P, algorithm: this.algorithm, denseLayers: this.uncovered.length === 0,
      tapWidth: this.algorithm === 'layerwise-gram' ? this.tapWidth() : 0,
      denseFits: fitsBudget(denseBytes(N * N) * 2, this.memoryBudget),
      formedFits: fitsBudget(this.bytes * N * N * 2, this.memoryBudget),
    }).method;
    const base = { rankDeficient, size: N, parameterCount: P };
    if (method === 'dense') {
      const eig = symmetricEigen(await this.ntk(params, x)).values;
      return { ...base, method, largest: eig[N - 1]!, smallest: rankDeficient ? 0 : eig[0]!, eigenvalues: eig, products: 0 };
    }
    const productSource = options.products ?? chooseProductSource({
      n, d: this.d, parameterCount: P, algorithm: this.algorithm, tapWidth: this.algorithm === 'layerwise-gram' ? this.tapWidth() : 0,
      formedFits: fitsBudget(this.bytes * N * N * 2, this.memoryBudget), iterativeMethod: method,
    });
    if (productSource === 'formed' && this.algorithm !== 'layerwise-gram') throw new Error(`extremes: products 'formed' needs the layer-wise algorithm (this probe uses '${this.algorithm}')`);
    const formed = productSource === 'formed' ? await this.formedOperator(params, x) : undefined;
    const op = formed ?? await this.operator(params, x);
    const base2 = { ...base, productSource };
    let pre: (NtkPreconditioner & { dispose(): void }) | undefined;
    try {
      if (method === 'lanczos') {
        const r = await lanczos(op, { memoryBudget: this.memoryBudget, ...options.lanczos });
        return { ...base2, method, largest: r.largest, smallest: r.smallest, lanczos: r, products: r.matvecs };
      }
      const top = await lanczos(op, { memoryBudget: this.memoryBudget, ...options.lanczos, which: 'largest' });
      if (rankDeficient) return { ...base2, method, largest: top.largest, smallest: 0, lanczos: top, products: top.matvecs };
      // float32 products put a floor under the residual (≈ 1e-5·λ_min on a trained MLP's NTK); 1e-4
      // stops there with λ_min already at the float32 limit, where 1e-8 would only wait for the stall.
      const tol = this.runtime.dtype === 'f32' ? 1e-4 : 1e-8;
      // The output-block preconditioner, applied on the backend; from the formed Θ when there is one.
      const preconditioner = options.lobpcg?.preconditioner
        ?? (pre = formed ? await this.formedPreconditioner(params, x, formed) : deviceOutputBlockPreconditioner(this.runtime, await this.preconditionerBlocks(params, x)));
      // A block of 2 for the one wanted pair: the bottom of an NTK spectrum is crowded, and a single
      // vector crawls (and may stall) when λ₂ is close to λ₁ — MLP 784-256-256-10 on 128 MNIST
      // digits, float32: λ₂/λ₁ − 1 = 4.6e-3; one vector stalled after 53 products 8.7e-4 above λ_min,
      // two converged in 120 products to 1e-7. A block of 2 costs little more than one vector per
      // product by the formed Θ (one pass over it) and per preconditioner run.
      const blockSize = N >= 6 ? 2 : 1;
      const bottom = await lobpcg(op, { tol, blockSize, ...options.lobpcg, preconditioner, which: 'smallest' });
      return { ...base2, method, largest: top.largest, smallest: bottom.values[0]!, lanczos: top, lobpcg: bottom, products: top.matvecs + bottom.matvecs };
    } finally {
      pre?.dispose();
      op.dispose();
    }
  }

  /**
   * Θ formed once by the layer-wise algorithm (in the probe's dtype) and held on the backend; each
   * product is one matrix product V·Θ there (2N² flops per vector, reading Θ once per block of
   * vectors). Symmetric, rank ≤ P. Call `dispose()` to free the device copy.
   */
  private async formedOperator(params: ParamValues, x: ArrayValue): Promise<FormedOperator> {
    const n = rowsOf(x, this.model.inputDim), d = this.d, N = n * d, P = this.parameterCount, rt = this.runtime;
    const K = await this.ntk(params, x, { dtype: rt.dtype });
    // Borrowed: K is never written while dev lives, so a host-memory backend keeps one copy of Θ.
    const dev = rt.backend.upload({ data: K.data, shape: [N, N], dtype: rt.dtype }, { borrow: true });
    // Θ Vᵀ (Θ symmetric, so its transpose is V Θ): with Θ on the left the backend's GEMM streams Θ
    // once against k packed columns; V·Θ packs all of Θ for k ≥ 2 (ONNX Runtime CPU, float32, 2560²:
    // 4 vectors 3.0 ms against 4.7, 1 vector 1.65 either way).
    const apply = async (v: Float64Array, k: number) =>
      (await rt.run(`formed:${N}:${k}`, () => trace({ V: spec([k, N], rt.dtype), K: spec([N, N], rt.dtype) }, ({ V, K: M }) => ({ y: M!.matmul(V!.transpose([1, 0])).transpose([1, 0]) })), { K: dev, V: rt.input('V', v, [k, N]) })).y!;
    const op = defineOperator({
      size: N,
      symmetric: true,
      ...(P < N ? { rankBound: P } : {}),
      label: `NTK(${n} samples × ${d} outputs, formed)`,
      matvec: (v) => apply(v, 1),
      matmat: (v, k) => apply(v, k),
    });
    return { ...op, n, d, ntk: K.data, dispose: () => dev.dispose() };
  }

  private tapWidthCache?: number;

  /** Σ_l width_l over the layer taps: out_l per dense layer, O·K + O per conv layer (the layer-wise NTK's per-entry contraction length). */
  private tapWidth(): number {
    return (this.tapWidthCache ??= layerwisePlan(this.model).reduce((s, t) => s + t.width, 0));
  }

  /** Release compiled graphs. */
  dispose(): Promise<void> {
    return this.runtime.dispose();
  }

  private chunkSize(n: number): number {
    const perSample = this.d * this.parameterCount * this.bytes;
    const c = this.options.chunk ?? Math.max(1, Math.min(32, Math.floor(this.memoryBudget / 4 / perSample)));
    return Math.max(1, Math.min(n, c));
  }

  /** Run a Jacobian-contraction graph over chunks of c samples (the last chunk zero-padded). */
  private async forChunks(x: ArrayValue, n: number, mode: 'blocks' | 'jacobian', sink: (c0: number, rows: number, out: Float64Array) => void, params: ParamValues): Promise<void> {
    const c = this.chunkSize(n), host = await hostArray(x), w = this.model.inputDim, rt = this.runtime;
    const pin = rt.paramInputs(this.model, params);
    for (let c0 = 0; c0 < n; c0 += c) {
      const res = await rt.run(`jc:${mode}:${c}`, () => jacobianContractionGraph(this.model, c, rt.dtype, mode), { ...pin, x: rt.input('x', padRows(host, w, c0, c), [c, w]) });
      sink(c0, Math.min(c, n - c0), mode === 'blocks' ? res.blocks! : res.J!);
    }
  }

  /** Θ by chunk pairs: K_ab = J(x_a) J(x_b)ᵀ on the device; J is never downloaded. */
  private async jacobianNtk(params: ParamValues, x: ArrayValue, n: number): Promise<Float64Array> {
    const d = this.d, N = n * d, c = this.chunkSize(n), cd = c * d, host = await hostArray(x), w = this.model.inputDim, rt = this.runtime;
    const pin = rt.paramInputs(this.model, params);
    const K = new Float64Array(N * N);
    const chunkX = (a: number) => rt.input('x', padRows(host, w, a * c, c), [c, w]);
    const C = Math.ceil(n / c);
    for (let a = 0; a < C; a++)
      for (let b = a; b < C; b++) {
        const blk = a === b
          ? (await rt.run(`jc:gram:${c}`, () => jacobianContractionGraph(this.model, c, rt.dtype, 'gram'), { ...pin, x: chunkX(a) })).K!
          : (await rt.run(`jc:cross:${c}`, () => jacobianContractionGraph(this.model, c, rt.dtype, 'cross'), { ...pin, x: chunkX(a), x2: rt.input('x2', padRows(host, w, b * c, c), [c, w]) })).K!;
        const ra = Math.min(c, n - a * c) * d, rb = Math.min(c, n - b * c) * d;
        for (let i = 0; i < ra; i++)
          for (let j = 0; j < rb; j++) {
            const v = blk[i * cd + j]!, r = a * cd + i, s = b * cd + j;
            K[r * N + s] = v;
            K[s * N + r] = v;
          }
      }
    return K;
  }
}

/**
 * Products an iterative `extremes` is costed at: Lanczos for λ_max (≈ 20) plus LOBPCG for λ_min.
 * Measured (MLP 784-256-256-10 at initialisation, MNIST digits, float32): 55 products at n = 32,
 * 73 at n = 128; 146 on random inputs (issue 22); 39–116 for LOBPCG alone on a trained MLP's NTK
 * (docs/probes.md). Plain Lanczos needs hundreds at the crowded bottom of an NTK spectrum.
 */
export const EXTREMES_PRODUCTS = { lobpcg: 100, lanczos: 300 } as const;

/**
 * The dense eigensolver's cost per flop relative to the backend's passes (WebAssembly f64x2 without
 * FMA against a BLAS-backed float32 GEMM). Measured on one core of a 2-core EPYC, ONNX Runtime CPU:
 * one NTK–vector product at n = 128 (costed 5n·2P = 345 MFLOP) took 3.9 ms, i.e. ≈ 88 GFLOP/s of
 * stated cost, and `symmetricEigen` at 2560² ≈ 2.0 s for (4/3)·2560³ flops, ≈ 11 GFLOP/s: ≈ 8.
 */
export const DENSE_EIGEN_FLOP_WEIGHT = 8;

/** Least stated cost of one NTK–vector product: a graph run's fixed cost (≈ 0.2 ms, ≈ 2e7 flops at the rate above). */
export const PRODUCT_FLOOR_FLOPS = 2e7;

/**
 * The stated cost per flop of a product by the formed Θ (2N² flops per vector), relative to the
 * backend's passes: it reads all of Θ once per product, so it runs at memory bandwidth, not at the
 * GEMM rate. Measured on one core of the 2-core EPYC, ONNX Runtime CPU, float32: a 2560² product
 * ≈ 1.7 ms, ≈ 8 GFLOP/s against the ≈ 88 GFLOP/s of stated pass cost above, plus the LOBPCG step and
 * preconditioner per product (≈ 0.5 ms): ≈ 10.
 */
export const FORMED_PRODUCT_FLOP_WEIGHT = 10;

/** Inputs of `chooseExtremesMethod`. */
export interface ExtremesCostInput {
  /** Samples and outputs: Θ is (n·d) × (n·d). */
  readonly n: number;
  readonly d: number;
  readonly parameterCount: number;
  /** How Θ would be formed. */
  readonly algorithm: StructureAlgorithm;
  /** Every parameter in a dense layer (LOBPCG with the output-block preconditioner applies). */
  readonly denseLayers: boolean;
  /** Σ_l width_l over the layer taps: out_l per dense layer, O·K + O per conv layer (layer-wise algorithm only). */
  readonly tapWidth: number;
  /** Θ (twice, for headroom) fits the memory budget. */
  readonly denseFits: boolean;
  /**
   * Θ in the probe's dtype (twice) fits the memory budget, so the iterative method may multiply by
   * the formed Θ (layer-wise algorithm only; see `chooseProductSource`). Default false: NTK–vector
   * products only.
   */
  readonly formedFits?: boolean;
}

/**
 * Which `extremes` method is cheapest, by stated cost in flops, with a pass of one sample costed at
 * 2P (a lower bound for convolutions and attention, which reuse their weights: that biases the
 * choice toward the iterative methods, whose products are passes):
 *
 * - dense = forming Θ + `DENSE_EIGEN_FLOP_WEIGHT`·(4/3)N³, N = n·d, with forming as in
 *   `StructureAlgorithm` (layer-wise: n(1 + d) passes + N²·Σ out_l, the upper block triangle of
 *   each B Bᵀ; Jacobian contraction: n(1 + 2d) passes + 2N²P; NTK–vector products: N products);
 * - iterative = the cheaper product source of `chooseProductSource`: `EXTREMES_PRODUCTS` × one
 *   NTK–vector product (≈ 5n passes, at least `PRODUCT_FLOOR_FLOPS`), or, with `formedFits` and the
 *   layer-wise algorithm, forming Θ + `EXTREMES_PRODUCTS` × a product by it.
 *
 * Dense is taken only when Θ fits the memory budget. For the MLP 784-256-256-10 in float32 with Θ
 * formed for the products, the crossover is near n ≈ 60 samples (N ≈ 600); with NTK–vector products
 * only (`formedFits` false) near n ≈ 150. Measured (median CPU time of five calls, MNIST digits,
 * ONNX Runtime, one thread, loaded 2-core machine, formed products): n = 32, dense 25 ms against
 * LOBPCG 98 ms; n = 48, 42 against 76; n = 64, 78 against 73; n = 96, 183 against 102; n = 128, 399
 * against 224; n = 256, 2.6 s against 0.6 s.
 */
export function chooseExtremesMethod(c: ExtremesCostInput): { method: 'dense' | 'lanczos' | 'lobpcg'; dense: number; iterative: number } {
  const { n, d, parameterCount: P } = c, N = n * d, pass = 2 * P;
  const form = c.algorithm === 'layerwise-gram' ? layerwiseFormFlops(n, d, P, c.tapWidth)
    : c.algorithm === 'jacobian-contraction' ? n * (1 + 2 * d) * pass + 2 * N * N * P
    : N * Math.max(PRODUCT_FLOOR_FLOPS, 5 * n * pass);
  const dense = form + DENSE_EIGEN_FLOP_WEIGHT * (4 / 3) * N ** 3;
  const iterativeMethod = c.denseLayers ? 'lobpcg' : 'lanczos';
  const iterative = Math.min(...Object.values(productSourceCosts({ ...c, formedFits: !!c.formedFits, iterativeMethod })));
  return { method: c.denseFits && dense <= iterative ? 'dense' : iterativeMethod, dense, iterative };
}

/** Stated flops of forming Θ layer-wise: n(1 + d) passes + N²·Σ out_l (the upper block triangle of each B Bᵀ). */
function layerwiseFormFlops(n: number, d: number, P: number, tapWidth: number): number {
  const N = n * d;
  return n * (1 + d) * 2 * P + N * N * tapWidth;
}

/** Stated cost of each available product source for an iterative `extremes` (see `chooseProductSource`). */
function productSourceCosts(c: ProductSourceInput): { 'ntk-vp': number; formed?: number } {
  const { n, d, parameterCount: P } = c, N = n * d, products = EXTREMES_PRODUCTS[c.iterativeMethod];
  const vp = products * Math.max(PRODUCT_FLOOR_FLOPS, 5 * n * 2 * P);
  if (c.algorithm !== 'layerwise-gram' || !c.formedFits) return { 'ntk-vp': vp };
  const formed = layerwiseFormFlops(n, d, P, c.tapWidth) + products * Math.max(PRODUCT_FLOOR_FLOPS, FORMED_PRODUCT_FLOP_WEIGHT * 2 * N * N);
  return { 'ntk-vp': vp, formed };
}

/** Inputs of `chooseProductSource`. */
export interface ProductSourceInput {
  readonly n: number;
  readonly d: number;
  readonly parameterCount: number;
  readonly algorithm: StructureAlgorithm;
  /** Σ_l width_l over the layer taps: out_l per dense layer, O·K + O per conv layer (layer-wise algorithm only). */
  readonly tapWidth: number;
  /** Θ in the probe's dtype (twice, for headroom) fits the memory budget. */
  readonly formedFits: boolean;
  readonly iterativeMethod: 'lanczos' | 'lobpcg';
}

/**
 * Where an iterative `extremes` takes its products from, by stated cost in flops (a pass of one
 * sample at 2P, as in `chooseExtremesMethod`):
 *
 * - `'formed'` = forming Θ layer-wise (n(1 + d) passes + N²·Σ out_l: the upper block triangle of
 *   each B Bᵀ) + `EXTREMES_PRODUCTS` × a product by the formed Θ (2N² flops weighted by
 *   `FORMED_PRODUCT_FLOP_WEIGHT`, at least `PRODUCT_FLOOR_FLOPS`);
 * - `'ntk-vp'` = `EXTREMES_PRODUCTS` × an NTK–vector product (≈ 5n passes, at least the floor).
 *
 * Formed only for the layer-wise algorithm and when Θ fits the memory budget. For the MLP
 * 784-256-256-10 at n = 256 (N = 2560): 1.8e10 against 6.9e10 stated flops; measured (one core of a
 * loaded 2-core EPYC, float32, ONNX Runtime) ≈ 0.45–0.65 s against 1.0–1.6 s for the whole extremes.
 */
export function chooseProductSource(c: ProductSourceInput): 'formed' | 'ntk-vp' {
  const costs = productSourceCosts(c);
  return costs.formed !== undefined && costs.formed < costs['ntk-vp'] ? 'formed' : 'ntk-vp';
}

/**
 * The exact algorithm for a model that the layer-wise Gram algorithm does not cover (convolutions,
 * attention), by stated cost. Jacobian contraction needs n(1 + 2d) passes and (n·d)²·P flops, NTK–
 * vector products ≈ 5n passes per product and n·d products for the dense NTK, i.e. 5n²d passes: the
 * ratio of their extra work is about d·P / (5·C) for a pass of C flops, below 1 for conv nets and
 * transformers (C ≥ P: LeNet-5 ≈ 0.15, ResNet-18 ≈ 0.02), so Jacobian contraction is the default.
 * It holds d·P values per sample in a chunk (at least one sample); when one sample's Jacobian does
 * not fit a quarter of the memory budget, NTK–vector products (which never form J) are chosen.
 *
 * The per-sample blocks A_i (what the training monitors measure) are the exception: there the NTK–
 * vector-product path (one 1-sample graph with d columns per sample: 1 + 2d passes, no P-sized
 * contraction) costs about what Jacobian contraction does (1 + d passes + d²·P flops per sample),
 * but its graph is ≈ 3 forward passes where contraction traces d backward passes into one graph;
 * ONNX Runtime then spends minutes optimising it. Measured on a shared 2-core machine, float32, 30
 * or 64 probe samples, first call (compile) / later calls: ViT (139k params) 7 s / 2.4 s for 64
 * samples by NTK–vector products against 186 s / 3.2 s for 30 by contraction; LeNet-5 0.64 / 0.21 s
 * against 10.3 / 1.25 s. So `blocks()` of an auto-chosen general model uses `'ntk-vp'`.
 */
export function chooseGeneralAlgorithm(model: Model, dtype: FloatDType, memoryBudget: number): StructureAlgorithm {
  const perSample = model.outputDim * parameterCount(model) * (dtype === 'f64' ? 8 : 4);
  return perSample <= memoryBudget / 4 ? 'jacobian-contraction' : 'ntk-vp';
}

/** Inputs of `ntkFormingCost`: the NTK's size and what the layer-wise algorithm would contract. */
export interface NtkCostInput {
  readonly n: number;
  readonly d: number;
  readonly parameterCount: number;
  /** Σ_l width_l over the layer taps (dense: out_l; conv: O·K + O, its parameter count). */
  readonly tapWidth: number;
  /** Σ over conv taps of 2·O·Ho·Wo·K: flops per sample and output to form their per-sample Jacobians. */
  readonly convJacobianFlops: number;
}

/**
 * Stated cost in flops of forming the dense NTK (n·d)² by each algorithm, a pass of one sample
 * costed at 2P (as in `chooseExtremesMethod`), N = n·d:
 *
 * - layer-wise: n(1 + d) passes + n·d·convJacobianFlops + 2N²·tapWidth;
 * - Jacobian contraction: n(1 + 2d) passes + 2N²·P;
 * - NTK–vector products: N products of ≈ 5n passes (at least `PRODUCT_FLOOR_FLOPS` each).
 *
 * LeNet-5 on MNIST (P = 61,706, tapWidth 2,786, conv Jacobians 715,200 flops per sample and
 * output), n = 16, d = 10: layer-wise 2.2e7 + 1.1e8 + 1.4e8 ≈ 0.28 G against Jacobian
 * contraction's 4.1e7 + 3.2e9 ≈ 3.2 G (11× more).
 */
export function ntkFormingCost(algorithm: StructureAlgorithm, c: NtkCostInput): number {
  const { n, d, parameterCount: P } = c, N = n * d, pass = 2 * P;
  if (algorithm === 'layerwise-gram') return n * (1 + d) * pass + N * c.convJacobianFlops + 2 * N * N * c.tapWidth;
  if (algorithm === 'jacobian-contraction') return n * (1 + 2 * d) * pass + 2 * N * N * P;
  return N * Math.max(PRODUCT_FLOOR_FLOPS, 5 * n * pass);
}

/**
 * The algorithm for a model whose parameters are all in layer taps (dense or conv). Dense layers
 * only: `'layerwise-gram'` (it never costs more). With conv taps the layer-wise algorithm forms
 * each conv layer's per-sample Jacobian (n·d·convJacobianFlops) and contracts it as Jacobian
 * contraction would (its width is the layer's parameter count), so what it saves is the dense
 * layers' share of P in the 2N² term: it is chosen when its `ntkFormingCost` at n = 1 is at most
 * Jacobian contraction's. The difference (layer-wise − contraction) is n·d·(convJacobianFlops −
 * 2P) − 2n²d²(P − tapWidth), a downward parabola through 0, so paying at n = 1 means paying at every
 * probe size. Otherwise `chooseGeneralAlgorithm` decides. LeNet-5 pays at every size (ratio ≈ 0.08
 * at n = 16); a conv net whose parameters are nearly all in convolutions does not.
 */
export function chooseCoveredAlgorithm(model: Model, dtype: FloatDType, memoryBudget: number): StructureAlgorithm {
  const plan = layerwisePlan(model);
  if (plan.every((t) => t.kind === 'dense')) return DEFAULT_STRUCTURE_ALGORITHM;
  const c = { n: 1, d: model.outputDim, parameterCount: parameterCount(model), tapWidth: plan.reduce((s, t) => s + t.width, 0), convJacobianFlops: plan.reduce((s, t) => s + t.jacobianFlops, 0) };
  return ntkFormingCost('layerwise-gram', c) <= ntkFormingCost('jacobian-contraction', c) ? 'layerwise-gram' : chooseGeneralAlgorithm(model, dtype, memoryBudget);
}

/** The eigenbasis Q of the output Gram S (d × d, symmetrized here), row-major, column k = eigenvector k. */
function outputGramBasis(S: Float64Array, d: number): Float64Array {
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) { const m = 0.5 * (S[a * d + b]! + S[b * d + a]!); S[a * d + b] = m; S[b * d + a] = m; }
  const vectors = symmetricEigen({ size: d, data: S }, { vectors: true }).vectors!; // rows are eigenvectors
  const Q = new Float64Array(d * d);
  for (let k = 0; k < d; k++) for (let a = 0; a < d; a++) Q[a * d + k] = vectors[k * d + a]!;
  return Q;
}

async function hostArray(x: ArrayValue): Promise<Float64Array | Float32Array> {
  if (!isDevice(x)) return x;
  const data = await x.download();
  return data instanceof Float32Array || data instanceof Float64Array ? data : Float64Array.from(data);
}
