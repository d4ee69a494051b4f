import { gradients } from '../ad/gradients.js';
import { GraphBuilder, spec, trace } from '../ir/builder.js';
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { concat } from '../ir/tensor.js';
import type { DenseTap, Model } from '../models/model.js';
import { paramTensors, type FloatDType } from './runtime.js';

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
    const Bf = B.reshape([n * d, out]);
    return Bf.matmul(Bf.T).mul(G.reshape([n, 1, n, 1]).expand([n, d, n, d]).reshape([n * d, n * d]));
  }
  const M = a.builder.constant(tap.mask, [out, inDim], a.dtype);
  if (mode === 'blocks') {
    // Σ_o B_ik[o] B_im[o] (M a_i²)_o  (+ B_i B_iᵀ for the unmasked bias)
    const q = a.square().matmul(M.T).reshape([n, 1, out]);
    const t = B.mul(q).matmul(B.T);
    return bias ? t.add(B.matmul(B.T)) : t;
  }
  // Q[i, j, o] = Σ_p M[o, p] a_i[p] a_j[p]; term[i, j, k, m] = Σ_o B[i,k,o] Q[i,j,o] B[j,m,o].
  const Q = a.reshape([n, 1, inDim]).mul(a.reshape([1, n, inDim])).reshape([n * n, inDim]).matmul(M.T).reshape([n, n, 1, out]);
  const left = B.reshape([n, 1, d, out]).mul(bias ? Q.add(1) : Q); // [n, n, d, out]
  const t = left.matmul(B.reshape([1, n, d, out]).T); // [n, n, d, d]
  if (mode === 'traced') return t.mul(eye(a, d)).sum([2, 3]);
  if (mode === 'outputs') return t.mul(eye(a, d)).sum(3).transpose([2, 0, 1]);
  return t.transpose([0, 2, 1, 3]).reshape([n * d, n * d]);
}

function eye(like: Tensor, d: number): Tensor {
  const e = new Float64Array(d * d);
  for (let i = 0; i < d; i++) e[i * d + i] = 1;
  return like.builder.constant(e, [d, d], like.dtype);
}
