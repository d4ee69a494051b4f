import { gradients } from '../ad/gradients.js';
import { GraphBuilder, spec, trace } from '../ir/builder.js';
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { concat } from '../ir/tensor.js';
import type { DenseTap, Model } from '../models/model.js';
import { paramTensors, type FloatDType, type ParamValues, type ProbeRuntime } from './runtime.js';

/** Parameters of `model` that no dense-layer tap owns (empty = layer-wise methods apply). */
export function uncoveredParams(model: Model): string[] {
  const taps: DenseTap[] = [];
  trace(Object.fromEntries(model.params.map((p) => [p.name, spec(p.shape, 'f64')])), (ps, b) => {
    return { f: model.apply(ps, b.input('__x', [1, model.inputDim], 'f64'), taps) };
  });
  const owned = new Set<string>();
  for (const t of taps) { owned.add(t.weight); if (t.bias) owned.add(t.bias); }
  return model.params.map((p) => p.name).filter((n) => !owned.has(n));
}

export interface LayerSlices {
  readonly tap: DenseTap;
  /** ∂f_{ik}/∂z_l[i, :] as [n, d, out]: per sample, because output row i depends only on row i. */
  readonly B: Tensor;
}

/**
 * Per-layer output sensitivities B_l = ∂f/∂z_l for every dense tap, from d backward passes over
 * the whole batch (cotangent e_k on every row). Batch independence (part of the Model contract)
 * makes these per-sample: Σ_i f_{ik} differentiated in z_l[i,:] is ∂f_{ik}/∂z_l[i,:].
 *
 * Cost: d backward passes of the batch to the pre-activations (no weight gradients).
 */
export function layerSensitivities(f: Tensor, taps: readonly DenseTap[]): LayerSlices[] {
  const [n, d] = f.shape as [number, number];
  const zs = taps.map((t) => t.preactivation);
  const perK: Tensor[][] = [];
  for (let k = 0; k < d; k++) {
    const e = new Float64Array(n * d);
    for (let i = 0; i < n; i++) e[i * d + k] = 1;
    perK.push(gradients([f], zs, [f.builder.constant(e, [n, d], f.dtype)]));
  }
  return taps.map((tap, l) => {
    const out = tap.preactivation.shape[1]!;
    const cols = perK.map((g) => g[l]!.reshape([n, 1, out]));
    return { tap, B: d === 1 ? cols[0]! : concat(cols, 1) };
  });
}

/**
 * What a layer-wise graph returns: `K` [n·d, n·d], `blocks` [n, d, d] (per sample), `traced`
 * [n, n] (Σ_k Θ_(i,k),(j,k)) or `outputs` [d, n, n] (Θ_(i,k),(j,k) for each output k).
 */
export type LayerwiseMode = 'full' | 'blocks' | 'traced' | 'outputs';

/**
 * The empirical NTK without forming J, for models whose parameters all belong to dense layers
 * z = a Wᵀ + b. Since ∂f_{ik}/∂W_l = B_l[i,k,:] ⊗ a_l[i,:],
 *
 *   Θ_{(i,k),(j,m)} = Σ_l (a_i·a_j + [bias]) · (B_l[i,k,:]·B_l[j,m,:]),
 *
 * i.e. Σ_l (A_l A_lᵀ + 1) ⊙ (B_l B_lᵀ) with A_l the layer inputs (rows per sample, expanded over
 * outputs). A sparse layer (W ⊙ M) replaces a_i·a_j by the mask-weighted Σ_p M_op a_ip a_jp per
 * output unit o; that is exact too, at O(n²·in·out) cost per masked layer.
 *
 * With `rotateOutputs`, the graph takes an input `rotation` Q (d × d) and works with the outputs
 * f Q instead of f: its NTK is (I ⊗ Qᵀ) Θ (I ⊗ Q), so 'outputs' gives the output-diagonal blocks in
 * the basis Q (what the LOBPCG preconditioner needs after training couples the outputs).
 *
 * Cost: 1 forward + d backward passes of the batch to the pre-activations, plus per layer
 * n²·in (A Aᵀ) and (n·d)²·out flops (B Bᵀ) for 'full', n·d²·out for 'blocks'.
 */
export function layerwiseGramGraph(model: Model, n: number, dtype: FloatDType, mode: LayerwiseMode, options: { rotateOutputs?: boolean } = {}): Graph {
  const missing = uncoveredParams(model);
  if (missing.length)
    throw new Error(`layerwise-gram: parameters [${missing.join(', ')}] do not belong to a dense layer tap; use algorithm 'jacobian-contraction' or 'ntk-vp' for this model`);
  const b = new GraphBuilder();
  const params = paramTensors(model, (name, shape) => b.input(name, shape, dtype));
  const x = b.input('x', [n, model.inputDim], dtype);
  const taps: DenseTap[] = [];
  const d = model.outputDim;
  let f = model.apply(params, x, taps);
  if (options.rotateOutputs) f = f.matmul(b.input('rotation', [d, d], dtype));
  let acc: Tensor | undefined;
  for (const { tap, B } of layerSensitivities(f, taps)) {
    const term = layerTerm(tap, B, n, d, mode);
    acc = acc ? acc.add(term) : term;
  }
  return b.build({ [mode === 'full' ? 'K' : mode]: acc! });
}

function layerTerm(tap: DenseTap, B: Tensor, n: number, d: number, mode: LayerwiseMode): Tensor {
  const a = tap.input, out = B.shape[2]!, inDim = a.shape[1]!, bias = tap.bias !== undefined;
  if (!tap.mask) {
    if (mode === 'blocks') {
      // A_i += (‖a_i‖² + 1) B_i B_iᵀ
      let s = a.square().sum(-1);
      if (bias) s = s.add(1);
      return B.matmul(B.T).mul(s.reshape([n, 1, 1]));
    }
    let G = a.matmul(a.T); // [n, n]
    if (bias) G = G.add(1);
    if (mode === 'traced') return G.mul(B.reshape([n, d * out]).matmul(B.reshape([n, d * out]).T));
    if (mode === 'outputs') {
      const Bk = B.transpose([1, 0, 2]); // [d, n, out]
      return Bk.matmul(Bk.transpose([0, 2, 1])).mul(G.reshape([1, n, n]));
    }
    return crossTerm(tap, a, B, a, B, n, n, d);
  }
  const M = a.builder.constant(tap.mask, [out, inDim], a.dtype);
  if (mode === 'blocks') {
    // Σ_o B_ik[o] B_im[o] (M a_i²)_o  (+ B_i B_iᵀ for the unmasked bias)
    const q = a.square().matmul(M.T).reshape([n, 1, out]);
    const t = B.mul(q).matmul(B.T);
    return bias ? t.add(B.matmul(B.T)) : t;
  }
  if (mode === 'full') return crossTerm(tap, a, B, a, B, n, n, d);
  const t = maskedPairs(M, a, B, a, B, n, n, d, bias);
  if (mode === 'traced') return t.mul(eye(a, d)).sum([2, 3]);
  return t.mul(eye(a, d)).sum(3).transpose([2, 0, 1]);
}

/** term[i, j, k, m] = Σ_o B[i,k,o] Q[i,j,o] B'[j,m,o] with Q[i, j, o] = Σ_p M[o, p] a_i[p] a'_j[p] (+1 for the bias): [r, c, d, d]. */
function maskedPairs(M: Tensor, a: Tensor, B: Tensor, a2: Tensor, B2: Tensor, r: number, c: number, d: number, bias: boolean): Tensor {
  const inDim = a.shape[1]!, out = B.shape[2]!;
  const Q = a.reshape([r, 1, inDim]).mul(a2.reshape([1, c, inDim])).reshape([r * c, inDim]).matmul(M.T).reshape([r, c, 1, out]);
  const left = B.reshape([r, 1, d, out]).mul(bias ? Q.add(1) : Q); // [r, c, d, out]
  return left.matmul(B2.reshape([1, c, d, out]).T); // [r, c, d, d]
}

/**
 * One layer's share of the NTK block between r samples (inputs a, sensitivities B) and c samples
 * (a', B'): (a a'ᵀ + 1) ⊗ 1_{d×d} ⊙ (B B'ᵀ), as [r·d, c·d].
 */
function crossTerm(tap: DenseTap, a: Tensor, B: Tensor, a2: Tensor, B2: Tensor, r: number, c: number, d: number): Tensor {
  const out = B.shape[2]!, bias = tap.bias !== undefined;
  if (tap.mask) {
    const M = a.builder.constant(tap.mask, [out, a.shape[1]!], a.dtype);
    return maskedPairs(M, a, B, a2, B2, r, c, d, bias).transpose([0, 2, 1, 3]).reshape([r * d, c * d]);
  }
  let G = a.matmul(a2.T); // [r, c]
  if (bias) G = G.add(1);
  return B.reshape([r * d, out]).matmul(B2.reshape([c * d, out]).T).mul(G.reshape([r, 1, c, 1]).expand([r, d, c, d]).reshape([r * d, c * d]));
}

/**
 * The NTK block Θ(x_a, x_b) between two chunks of c samples each, [c·d, c·d], from one input `x`
 * [2c, in] whose first c rows are chunk a and last c rows chunk b (one batch: one forward and d
 * backward passes give both chunks' layer inputs and sensitivities). The dense NTK is assembled
 * from these blocks (b ≥ a) straight into its final buffer: the graph never holds more than a few
 * c·d × c·d tensors, instead of several (n·d)² ones per layer for the whole NTK at once.
 */
export function layerwiseCrossGraph(model: Model, c: number, dtype: FloatDType): Graph {
  const missing = uncoveredParams(model);
  if (missing.length)
    throw new Error(`layerwise-gram: parameters [${missing.join(', ')}] do not belong to a dense layer tap; use algorithm 'jacobian-contraction' or 'ntk-vp' for this model`);
  const b = new GraphBuilder();
  const params = paramTensors(model, (name, shape) => b.input(name, shape, dtype));
  const x = b.input('x', [2 * c, model.inputDim], dtype);
  const taps: DenseTap[] = [];
  const d = model.outputDim;
  const f = model.apply(params, x, taps);
  let acc: Tensor | undefined;
  for (const { tap, B } of layerSensitivities(f, taps)) {
    const a = tap.input, inDim = a.shape[1]!, out = B.shape[2]!;
    const rows = (t: Tensor, r0: number, w: readonly number[]) => t.slice([r0, ...w.map(() => 0)], [r0 + c, ...w]);
    const term = crossTerm(tap, rows(a, 0, [inDim]), rows(B, 0, [d, out]), rows(a, c, [inDim]), rows(B, c, [d, out]), c, c, d);
    acc = acc ? acc.add(term) : term;
  }
  return b.build({ K: acc! });
}

function eye(like: Tensor, d: number): Tensor {
  const e = new Float64Array(d * d);
  for (let i = 0; i < d; i++) e[i * d + i] = 1;
  return like.builder.constant(e, [d, d], like.dtype);
}

/** Rows of the NTK per block: large enough for efficient matrix products, small next to the NTK. */
const BLOCK_ROWS = 1024;

/**
 * The dense NTK of n samples assembled block by block into `out` ((n·d)², row-major, float32 or
 * float64): chunk pairs (a ≤ b) by `layerwiseCrossGraph`, each block written to its place and
 * mirrored. Peak memory is `out` plus a few blocks, and symmetry halves the contraction flops.
 */
export async function assembleLayerwiseNtk(rt: ProbeRuntime, model: Model, params: ParamValues, x: Float64Array | Float32Array, n: number, out: Float64Array | Float32Array, blockRows = BLOCK_ROWS): Promise<void> {
  const d = model.outputDim, N = n * d, w = model.inputDim;
  const chunks = Math.max(1, Math.ceil(N / blockRows)), c = Math.ceil(n / chunks), C = Math.ceil(n / c), cd = c * d;
  const pin = rt.paramInputs(model, params);
  const xab = new Float64Array(2 * c * w);
  const rowsOfChunk = (a: number, r0: number) => { xab.fill(0, r0 * w, (r0 + c) * w); xab.set(x.subarray(a * c * w, Math.min(n, (a + 1) * c) * w), r0 * w); };
  for (let a = 0; a < C; a++) {
    rowsOfChunk(a, 0);
    for (let b = a; b < C; b++) {
      rowsOfChunk(b, c);
      const blk = (await rt.run(`lw:cross:${c}`, () => layerwiseCrossGraph(model, c, rt.dtype), { ...pin, x: rt.input('x', xab, [2 * c, w]) })).K!;
      const ra = Math.min(c, n - a * c) * d, rb = Math.min(c, n - b * c) * d, r0 = a * cd, s0 = b * cd;
      for (let i = 0; i < ra; i++) out.set(blk.subarray(i * cd, i * cd + rb), (r0 + i) * N + s0);
      if (b !== a)
        for (let j = 0; j < rb; j++) {
          const o = (s0 + j) * N + r0;
          for (let i = 0; i < ra; i++) out[o + i] = blk[i * cd + j]!;
        }
    }
  }
}
