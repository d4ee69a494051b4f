import { gradients } from '../ad/gradients.js';
import { GraphBuilder, spec, trace } from '../ir/builder.js';
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { concat } from '../ir/tensor.js';
import { isConvTap, type ConvTap, type DenseTap, type LayerTap, type Model } from '../models/model.js';
import { takeHost, type DeviceTensor } from '../backend/contract.js';
import type { TypedArray } from '../ir/dtype.js';
import { firstNonFiniteIndex } from '../util/finite.js';
import { paramTensors, ProbeOverflowError, type FloatDType, type ParamValues, type ProbeRuntime } from './runtime.js';

/** The taps `model.apply` pushes for a one-sample float64 trace, and its output. */
function traceTaps(model: Model): { taps: LayerTap[]; f: Tensor } {
  const taps: LayerTap[] = [];
  let f: Tensor | undefined;
  trace(Object.fromEntries(model.params.map((p) => [p.name, spec(p.shape, 'f64')])), (ps, b) => ({ f: (f = model.apply(ps, b.input('__x', [1, model.inputDim], 'f64'), taps)) }));
  return { taps, f: f! };
}

/**
 * Parameters of `model` that no layer tap owns: empty = the layer-wise methods apply. Dense and
 * conv taps count; with `denseOnly`, dense taps only (what the ghost-norm energy of a training
 * step handles).
 */
export function uncoveredParams(model: Model, options: { denseOnly?: boolean } = {}): string[] {
  const owned = new Set<string>();
  for (const t of traceTaps(model).taps) {
    if (options.denseOnly && isConvTap(t)) continue;
    owned.add(t.weight);
    if (t.bias) owned.add(t.bias);
  }
  return model.params.map((p) => p.name).filter((n) => !owned.has(n));
}

/** A layer tap with its per-sample output sensitivities B = ∂f/∂z_l, shape [n, d, size], as {@link layerSensitivities} returns them. */
export interface LayerSlices<T extends LayerTap = LayerTap> {
  readonly tap: T;
  /**
   * ∂f_{ik}/∂z_l[i, …] as [n, d, size]: per sample, because output row i depends only on row i.
   * size = out for a dense tap, O·Ho·Wo (the pre-activation of one sample, flattened) for a conv tap.
   */
  readonly B: Tensor;
}

/**
 * Per-layer output sensitivities B_l = ∂f/∂z_l for every dense tap, from d backward passes over
 * the whole batch (cotangent e_k on every row). Batch independence (part of the Model contract)
 * makes these per-sample: Σ_i f_{ik} differentiated in z_l[i,:] is ∂f_{ik}/∂z_l[i,:].
 *
 * Cost: d backward passes of the batch to the pre-activations (no weight gradients).
 */
export function layerSensitivities<T extends LayerTap>(f: Tensor, taps: readonly T[]): LayerSlices<T>[] {
  const [n, d] = f.shape as [number, number];
  const zs = taps.map((t) => t.preactivation);
  const perK: Tensor[][] = [];
  for (let k = 0; k < d; k++) {
    const e = new Float64Array(n * d);
    for (let i = 0; i < n; i++) e[i * d + k] = 1;
    perK.push(gradients([f], zs, [f.builder.constant(e, [n, d], f.dtype)]));
  }
  return taps.map((tap, l) => {
    const out = tap.preactivation.shape.slice(1).reduce((a, b) => a * b, 1);
    const cols = perK.map((g) => g[l]!.reshape([n, 1, out]));
    return { tap, B: d === 1 ? cols[0]! : concat(cols, 1) };
  });
}

/**
 * im2col of a conv tap's input: [n, G, K, Ho·Wo] with K = (C/G)·kh·kw, row (c, i, j) of group g
 * in the weight's [O, C/G, kh, kw] order. One conv2d of the input by a constant 0/1 filter
 * [C·kh·kw, 1, kh, kw] with groups = C (each output channel copies one kernel offset of one input
 * channel), with the layer's strides, pads and dilations: n·C·kh·kw·Ho·Wo values.
 */
export function convPatches(tap: ConvTap): Tensor {
  const x = tap.input, [n, C] = x.shape as [number, number], [kh, kw] = tap.kernel, kk = kh * kw, G = tap.groups;
  const [, , Ho, Wo] = tap.preactivation.shape as [number, number, number, number];
  const e = new Float64Array(C * kk * kk);
  for (let c = 0; c < C; c++) for (let j = 0; j < kk; j++) e[(c * kk + j) * kk + j] = 1;
  const E = x.builder.constant(e, [C * kk, 1, kh, kw], x.dtype);
  const p = x.conv2d(E, { strides: tap.strides, pads: tap.pads, dilations: tap.dilations, groups: C });
  return p.reshape([n, G, (C / G) * kk, Ho * Wo]);
}

/** Columns of a conv tap's per-sample Jacobian: its weights O·(C/G)·kh·kw, plus O with a bias. */
export function convTapWidth(tap: ConvTap): number {
  const O = tap.preactivation.shape[1]!, C = tap.input.shape[1]!;
  return O * (C / tap.groups) * tap.kernel[0] * tap.kernel[1] + (tap.bias !== undefined ? O : 0);
}

/**
 * A conv layer's per-sample Jacobians from its output cotangents B [n, R, O·Ho·Wo] (R cotangent
 * rows per sample, e.g. the d outputs): J[i, r, (o, c, a, b)] = Σ_p B[i, r, o, p] patch_i[p, (c, a, b)]
 * (the filter gradient of sample i alone), then the bias columns Σ_p B[i, r, o, p]. Returns
 * [n, R, convTapWidth(tap)]. Cost: 2·n·R·O·Ho·Wo·(C/G)·kh·kw flops (batched matrix products).
 */
export function convJacobian(tap: ConvTap, B: Tensor): Tensor {
  const [n, R] = B.shape as [number, number], [, O, Ho, Wo] = tap.preactivation.shape as [number, number, number, number];
  const X = convPatches(tap), G = tap.groups, Og = O / G, K = X.shape[2]!, P = Ho * Wo;
  const Jw = G === 1
    ? B.reshape([n, R * O, P]).matmul(X.reshape([n, K, P]).T).reshape([n, R, O * K])
    : B.reshape([n, R, G, Og * P]).transpose([0, 2, 1, 3]).reshape([n, G, R * Og, P]).matmul(X.T).reshape([n, G, R, Og * K]).transpose([0, 2, 1, 3]).reshape([n, R, O * K]);
  return tap.bias === undefined ? Jw : concat([Jw, B.reshape([n, R, O, P]).sum(-1)], 2);
}

/** One conv layer's share of each layer-wise output, from its per-sample Jacobians J [n, d, W]. */
function convTerm(J: Tensor, n: number, d: number, mode: LayerwiseMode): Tensor {
  const W = J.shape[2]!;
  if (mode === 'blocks') return J.matmul(J.T);
  if (mode === 'traced') { const F = J.reshape([n, d * W]); return F.matmul(F.T); }
  if (mode === 'outputs') { const Jk = J.transpose([1, 0, 2]); return Jk.matmul(Jk.T); }
  const F = J.reshape([n * d, W]);
  return F.matmul(F.T);
}

/**
 * What a layer-wise graph returns: `K` [n·d, n·d], `blocks` [n, d, d] (per sample), `traced`
 * [n, n] (Σ_k Θ_(i,k),(j,k)) or `outputs` [d, n, n] (Θ_(i,k),(j,k) for each output k).
 */
export type LayerwiseMode = 'full' | 'blocks' | 'traced' | 'outputs';

/**
 * The empirical NTK without forming J, for models whose parameters all belong to dense layers
 * z = a Wᵀ + b or convolutions. For a dense layer, since ∂f_{ik}/∂W_l = B_l[i,k,:] ⊗ a_l[i,:],
 *
 *   Θ_{(i,k),(j,m)} = Σ_l (a_i·a_j + [bias]) · (B_l[i,k,:]·B_l[j,m,:]),
 *
 * i.e. Σ_l (A_l A_lᵀ + 1) ⊙ (B_l B_lᵀ) with A_l the layer inputs (rows per sample, expanded over
 * outputs). A sparse layer (W ⊙ M) replaces a_i·a_j by the mask-weighted Σ_p M_op a_ip a_jp per
 * output unit o; that is exact too, at O(n²·in·out) cost per masked layer. A convolution shares its
 * weights over positions, so its Jacobian does not factor like that: its per-sample Jacobian J_l
 * (n·d rows of O·(C/G)·kh·kw + O columns) is formed from the input patches and B_l (`convJacobian`)
 * and the layer adds J_l J_lᵀ.
 *
 * With `rotateOutputs`, the graph takes an input `rotation` Q (d × d) and works with the outputs
 * f Q instead of f: its NTK is (I ⊗ Qᵀ) Θ (I ⊗ Q), so 'outputs' gives the output-diagonal blocks in
 * the basis Q (what the LOBPCG preconditioner needs after training couples the outputs).
 *
 * Cost: 1 forward + d backward passes of the batch to the pre-activations, plus per dense layer
 * n²·in (A Aᵀ) and (n·d)²·out flops (B Bᵀ) for 'full', n·d²·out for 'blocks'; per conv layer
 * n·d·O·Ho·Wo·K (J_l, K = (C/G)·kh·kw) and (n·d)²·(O·K + O) ('full') or n·d²·(O·K + O) ('blocks').
 */
export function layerwiseGramGraph(model: Model, n: number, dtype: FloatDType, mode: LayerwiseMode, options: { rotateOutputs?: boolean } = {}): Graph {
  requireCovered(model);
  const b = new GraphBuilder();
  const params = paramTensors(model, (name, shape) => b.input(name, shape, dtype));
  const x = b.input('x', [n, model.inputDim], dtype);
  const taps: LayerTap[] = [];
  const d = model.outputDim;
  let f = model.apply(params, x, taps);
  if (options.rotateOutputs) f = f.matmul(b.input('rotation', [d, d], dtype));
  let acc: Tensor | undefined;
  for (const { tap, B } of layerSensitivities(f, taps)) {
    const term = isConvTap(tap) ? convTerm(convJacobian(tap, B), n, d, mode) : layerTerm(tap, B, n, d, mode);
    acc = acc ? acc.add(term) : term;
  }
  return b.build({ [mode === 'full' ? 'K' : mode]: acc! });
}

function requireCovered(model: Model): void {
  const missing = uncoveredParams(model);
  if (missing.length)
    throw new Error(`layerwise-gram: parameters [${missing.join(', ')}] do not belong to a dense or conv layer tap; use algorithm 'jacobian-contraction' or 'ntk-vp' for this model`);
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
  requireCovered(model);
  const b = new GraphBuilder();
  const params = paramTensors(model, (name, shape) => b.input(name, shape, dtype));
  const x = b.input('x', [2 * c, model.inputDim], dtype);
  const taps: LayerTap[] = [];
  const d = model.outputDim;
  const f = model.apply(params, x, taps);
  let acc: Tensor | undefined;
  const rows = (t: Tensor, r0: number, w: readonly number[]) => t.slice([r0, ...w.map(() => 0)], [r0 + c, ...w]);
  for (const { tap, B } of layerSensitivities(f, taps)) {
    if (isConvTap(tap)) {
      const J = convJacobian(tap, B), W = J.shape[2]!;
      const term = rows(J, 0, [d, W]).reshape([c * d, W]).matmul(rows(J, c, [d, W]).reshape([c * d, W]).T);
      acc = acc ? acc.add(term) : term;
      continue;
    }
    const a = tap.input, inDim = a.shape[1]!, out = B.shape[2]!;
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

/** Rows of the NTK per block of the masked-layer path: large enough for efficient matrix products, small next to the NTK. */
const BLOCK_ROWS = 1024;

/**
 * Rows of the NTK per row block of the unmasked path (rounded down to whole samples): each block
 * is one matrix product per layer, [rows, out_l] × [out_l, columns right of the block], and the
 * wasted work of the diagonal blocks is about rows / N of the whole.
 */
const ROW_BLOCK_ROWS = 320;

/**
 * The dense NTK of n samples assembled into `out` ((n·d)², row-major, float32 or float64). Peak
 * memory is `out` plus the row blocks of one run (≤ `groupBytes`, default 16 MiB), whatever n is.
 *
 * Unmasked dense layers (`assembleRowBlocks`): one graph gives every layer's Gram G_l = A_l A_lᵀ (+1)
 * and sensitivities B_l; then, per row block of r samples, B_l[block] · B_l[block..]ᵀ — only the
 * upper block triangle, since Θ is symmetric: (1 + r·d/N)/2 of the full products' flops — and one
 * pass weights each product by G_l, adds the layers, writes the block and its mirror image. A
 * layer whose output is the model's output (B = I per sample) needs no product at all: it adds
 * G_l ⊗ I_d. A conv layer's factor is its per-sample Jacobian J_l [n·d, O·K + O] with no G (its
 * products are added unweighted). Masked layers: chunk pairs (a ≤ b) by `layerwiseCrossGraph`, each
 * block mirrored.
 */
export async function assembleLayerwiseNtk(rt: ProbeRuntime, model: Model, params: ParamValues, x: Float64Array | Float32Array, n: number, out: Float64Array | Float32Array, blockRows?: number, groupBytes = ROW_GROUP_BYTES): Promise<void> {
  if (layerwisePlan(model).some((t) => t.masked)) return assembleCrossBlocks(rt, model, params, x, n, out, blockRows ?? BLOCK_ROWS);
  return assembleRowBlocks(rt, model, params, x, n, out, blockRows ?? ROW_BLOCK_ROWS, groupBytes);
}

/** Per layer tap, in `model.apply` order: its kind and widths, whether it is masked, whether its output is the model's output. */
export interface LayerwiseTapPlan {
  readonly kind: 'dense' | 'conv';
  /** Output units (dense) or output channels (conv). */
  readonly out: number;
  /**
   * Columns of the tap's factor in the NTK, i.e. the contraction length of its share of an entry:
   * `out` for a dense tap (B_l, weighted by A_l A_lᵀ + 1), `convTapWidth` for a conv tap (J_l itself).
   */
  readonly width: number;
  /** Flops per sample and output to form the tap's factor beyond the backward passes: 2·O·Ho·Wo·K for a conv tap, 0 for a dense one. */
  readonly jacobianFlops: number;
  readonly masked: boolean;
  /** The tap's pre-activation is the model output f itself: B = I_d per sample, no backward pass needed. */
  readonly identity: boolean;
}

const planCache = new WeakMap<Model, LayerwiseTapPlan[]>();

/** The model's layer taps as the row-block assembly sees them (traced once per model object). */
export function layerwisePlan(model: Model): LayerwiseTapPlan[] {
  let plan = planCache.get(model);
  if (!plan) {
    const { taps, f } = traceTaps(model);
    plan = taps.map((t): LayerwiseTapPlan => {
      if (isConvTap(t)) {
        const [, O, Ho, Wo] = t.preactivation.shape as [number, number, number, number], K = (t.input.shape[1]! / t.groups) * t.kernel[0] * t.kernel[1];
        return { kind: 'conv', out: O, width: convTapWidth(t), jacobianFlops: 2 * O * Ho * Wo * K, masked: false, identity: false };
      }
      const out = t.preactivation.shape[1]!;
      return { kind: 'dense', out, width: out, jacobianFlops: 0, masked: !!t.mask, identity: t.preactivation === f && out === model.outputDim };
    });
    planCache.set(model, plan);
  }
  return plan;
}

/**
 * The parts of the layer-wise NTK for unmasked dense and conv layers, from one forward and d
 * backward passes of the n samples: `G{l}` = A_l A_lᵀ (+1 with a bias) [n, n] for every dense tap
 * l, `B{l}` = ∂f/∂z_l as [n·d, out_l] (row i·d + k) for the dense taps that are not the output
 * itself, and for every conv tap `B{l}` = its per-sample Jacobian J_l [n·d, width_l] (no G: the
 * layer adds J_l J_lᵀ unweighted).
 */
export function layerwisePartsGraph(model: Model, n: number, dtype: FloatDType): Graph {
  const b = new GraphBuilder();
  const { G, B } = layerwiseParts(b, model, n, dtype);
  return b.build({ ...G, ...B });
}

function layerwiseParts(b: GraphBuilder, model: Model, n: number, dtype: FloatDType): { G: Record<string, Tensor>; B: Record<string, Tensor> } {
  const params = paramTensors(model, (name, shape) => b.input(name, shape, dtype));
  const taps: LayerTap[] = [];
  const d = model.outputDim, f = model.apply(params, b.input('x', [n, model.inputDim], dtype), taps);
  const G: Record<string, Tensor> = {}, B: Record<string, Tensor> = {};
  const inner: number[] = [];
  taps.forEach((t, l) => {
    if (isConvTap(t)) { inner.push(l); return; }
    if (t.mask) throw new Error('layerwisePartsGraph: masked layers take the chunk-pair path (assembleLayerwiseNtk)');
    let g = t.input.matmul(t.input.T);
    if (t.bias !== undefined) g = g.add(1);
    G[`G${l}`] = g;
    if (!(t.preactivation === f && t.preactivation.shape[1] === d)) inner.push(l);
  });
  if (inner.length) {
    const sens = layerSensitivities(f, inner.map((l) => taps[l]!));
    sens.forEach(({ tap, B: s }, i) => {
      const factor = isConvTap(tap) ? convJacobian(tap, s) : s;
      B[`B${inner[i]}`] = factor.reshape([n * d, factor.shape[2]!]);
    });
  }
  return { G, B };
}

/**
 * One graph for a group of row blocks: `C{l}_{b}` = B{l}[r0:r1] · B{l}[r0:]ᵀ for each block b =
 * [r0, r1) (NTK rows) and each tap l in `widths` (its B's width): the blocks' share of every
 * layer's B Bᵀ, right of their first column only.
 */
export function layerwiseRowBlockGraph(widths: ReadonlyMap<number, number>, N: number, blocks: readonly (readonly [number, number])[], dtype: FloatDType): Graph {
  const b = new GraphBuilder();
  const B = new Map([...widths].map(([l, w]) => [l, b.input(`B${l}`, [N, w], dtype)] as const));
  return b.build(rowBlockProducts(B, N, blocks));
}

/**
 * The parts and the products of a single group of row blocks in one graph (one run, B never
 * leaves the backend): outputs `G{l}` and `C{l}_{b}` as the two graphs above.
 */
export function layerwiseRowBlockWholeGraph(model: Model, n: number, blocks: readonly (readonly [number, number])[], dtype: FloatDType): Graph {
  const b = new GraphBuilder();
  const { G, B } = layerwiseParts(b, model, n, dtype);
  const byLayer = new Map(Object.entries(B).map(([name, t]) => [Number(name.slice(1)), t] as const));
  return b.build({ ...G, ...rowBlockProducts(byLayer, n * model.outputDim, blocks) });
}

function rowBlockProducts(B: ReadonlyMap<number, Tensor>, N: number, blocks: readonly (readonly [number, number])[]): Record<string, Tensor> {
  const outputs: Record<string, Tensor> = {};
  for (const [l, Bl] of B) {
    const w = Bl.shape[1]!;
    blocks.forEach(([r0, r1], k) => { outputs[`C${l}_${k}`] = Bl.slice([r0, 0], [r1, w]).matmul(Bl.slice([r0, 0], [N, w]).T); });
  }
  return outputs;
}

/** Bytes of row-block products one graph run may return (bounds the assembly's memory beside the NTK). */
const ROW_GROUP_BYTES = 16 * 2 ** 20;

async function assembleRowBlocks(rt: ProbeRuntime, model: Model, params: ParamValues, x: Float64Array | Float32Array, n: number, out: Float64Array | Float32Array, blockRows: number, groupBytes: number): Promise<void> {
  const d = model.outputDim, N = n * d, w = model.inputDim, plan = layerwisePlan(model);
  const widths = new Map<number, number>();
  plan.forEach((t, l) => { if (!t.identity) widths.set(l, t.width); });
  const identity = plan.flatMap((t, l) => (t.identity ? [l] : []));
  const r = Math.max(1, Math.min(n, Math.floor(blockRows / d))), bytes = rt.dtype === 'f64' ? 8 : 4;
  // Row blocks of r samples, grouped so that one run returns at most ROW_GROUP_BYTES (at least one block).
  const groups: [number, number][][] = [];
  let group: [number, number][] = [], held = 0;
  for (let i0 = 0; i0 < n; i0 += r) {
    const i1 = Math.min(n, i0 + r), size = (i1 - i0) * d * (N - i0 * d) * widths.size * bytes;
    if (group.length && held + size > groupBytes) { groups.push(group); group = []; held = 0; }
    group.push([i0, i1]); held += size;
  }
  groups.push(group);
  const rowsOf = (blocks: readonly [number, number][]) => blocks.map(([i0, i1]) => [i0 * d, i1 * d] as const);
  const inputs = { ...rt.paramInputs(model, params), x: rt.input('x', x, [n, w]) };
  // One group (the usual case): a single graph and run. Several: the parts once, then a run per group.
  const parts = groups.length === 1
    ? await (await rt.executable(`lw:rows:${n}:${r}`, () => layerwiseRowBlockWholeGraph(model, n, rowsOf(groups[0]!), rt.dtype))).run(inputs)
    : await (await rt.executable(`lw:parts:${n}`, () => layerwisePartsGraph(model, n, rt.dtype), { transient: true })).run(inputs);
  try {
    // Conv taps have no G (their share J_l J_lᵀ is unweighted).
    const G: (TypedArray | undefined)[] = [];
    for (let l = 0; l < plan.length; l++) G.push(plan[l]!.kind === 'conv' ? undefined : await takeHost(parts[`G${l}`]!));
    const Gw = [...widths.keys()].map((l) => G[l]), Gid = identity.map((l) => G[l]!);
    const B: Record<string, DeviceTensor> = Object.fromEntries([...widths.keys()].map((l) => [`B${l}`, parts[`B${l}`]!]));
    for (const blocks of groups) {
      const res = groups.length === 1 || !widths.size ? parts
        // Transient: each group's graph runs once per call; a memory pool kept per group's session
        // would hold every group's peak at once (≈ 150 MB at n = 512).
        : await (await rt.executable(`lw:rows:${n}:${r}:${blocks[0]![0]}`, () => layerwiseRowBlockGraph(widths, N, rowsOf(blocks), rt.dtype), { transient: true })).run(B);
      try {
        for (const [k, [i0, i1]] of blocks.entries()) {
          const C: TypedArray[] = [];
          for (const l of widths.keys()) C.push(await takeHost(res[`C${l}_${k}`]!));
          const bad = writeRowBlock(out, N, n, d, i0, i1, Gw, C, Gid);
          if (bad !== undefined) throw new ProbeOverflowError('lw', 'K', bad, Math.max(...Object.values(params).map((v) => (ArrayBuffer.isView(v) ? maxAbs(v) : 0)), maxAbs(x)), rt.dtype);
        }
      } finally {
        if (res !== parts) for (const t of Object.values(res)) t.dispose();
      }
    }
  } finally {
    for (const t of Object.values(parts)) t.dispose();
  }
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) { const v = Math.abs(a[i]!); if (v > m) m = v; }
  return m;
}

/**
 * Rows [i0·d, i1·d) of Θ from column i0·d on, and their mirror image below the diagonal:
 * Θ[(i,k),(j,m)] = Σ_l G_l[i,j] C_l[(i,k),(j,m)] + Σ_{identity l} [k = m] G_l[i,j], with C_l the
 * row block's B_l products ([(i1−i0)·d, N − i0·d]) and G_l = 1 for conv taps (C_l = J_l J_lᵀ). Within the diagonal block only the upper
 * triangle is computed, so Θ comes out exactly symmetric. Returns a non-finite entry, if any.
 *
 * The loops live in small kernels called per row and tile: they reach optimised code within the
 * first call (one long function with several loop nests is optimised on stack replacement and
 * bails out at each nest it has no type feedback for yet, costing the first few calls 5–10×).
 */
function writeRowBlock(out: Float64Array | Float32Array, N: number, n: number, d: number, i0: number, i1: number, G: readonly (TypedArray | undefined)[], C: readonly TypedArray[], Gid: readonly TypedArray[]): number | undefined {
  const r0 = i0 * d, r1 = i1 * d, cols = N - r0;
  for (let r = r0; r < r1; r++) {
    const i = (r / d) | 0, k = r - i * d, o = r * N, c = (r - r0) * cols - r0, gi = i * n;
    if (C.length === 0) out.fill(0, o + r, o + N);
    for (let l = 0; l < C.length; l++) {
      const Gl = G[l], Gm = G[l + 1];
      // Two weighted layers in one pass over the row (an MLP's two hidden layers): the row is read
      // and written once for both, ≈ 1/3 less time here than a pass per layer.
      if (Gl && Gm && l + 1 < C.length) { weightedRow2(out, o, C[l]!, C[l + 1]!, c, Gl, Gm, gi, i, n, d, r, l === 0); l++; }
      else if (Gl) weightedRow(out, o, C[l]!, c, Gl, gi, i, n, d, r, l === 0);
      else plainRow(out, o, C[l]!, c, r, N, l === 0);
    }
    for (const Gl of Gid) identityRow(out, o + k, Gl, gi, i, n, d);
    const bad = firstNonFiniteIndex(out, o + r, o + N);
    if (bad >= 0) return out[bad]!;
  }
  for (let r = r0 + 1; r < r1; r++) mirrorRow(out, N, r, r0, r);
  const T = 32;
  for (let s0 = r1; s0 < N; s0 += T) for (let q0 = r0; q0 < r1; q0 += T) mirrorTile(out, N, s0, Math.min(N, s0 + T), q0, Math.min(r1, q0 + T));
  return undefined;
}

/** out[o + s] (=, or += unless `first`) G[gi + j]·C[c + s] for the columns s = j·d + m ≥ r of row r (sample i). */
function weightedRow(out: Float64Array | Float32Array, o: number, C: TypedArray, c: number, G: TypedArray, gi: number, i: number, n: number, d: number, r: number, first: boolean): void {
  let s = r;
  for (let j = i; j < n; j++) {
    const g = G[gi + j]!, end = (j + 1) * d;
    if (first) for (; s < end; s++) out[o + s] = g * C[c + s]!;
    else for (; s < end; s++) out[o + s]! += g * C[c + s]!;
  }
}

/** weightedRow for two layers at once: out[o + s] (=, or +=) G[gi + j]·C[c + s] + H[gi + j]·D[c + s]. */
function weightedRow2(out: Float64Array | Float32Array, o: number, C: TypedArray, D: TypedArray, c: number, G: TypedArray, H: TypedArray, gi: number, i: number, n: number, d: number, r: number, first: boolean): void {
  let s = r;
  for (let j = i; j < n; j++) {
    const g = G[gi + j]!, h = H[gi + j]!, end = (j + 1) * d;
    if (first) for (; s < end; s++) out[o + s] = g * C[c + s]! + h * D[c + s]!;
    else for (; s < end; s++) out[o + s]! += g * C[c + s]! + h * D[c + s]!;
  }
}

/** out[o + s] (=, or += unless `first`) C[c + s] for the columns s ≥ r of row r (a conv tap: no weight). */
function plainRow(out: Float64Array | Float32Array, o: number, C: TypedArray, c: number, r: number, N: number, first: boolean): void {
  if (first) for (let s = r; s < N; s++) out[o + s] = C[c + s]!;
  else for (let s = r; s < N; s++) out[o + s]! += C[c + s]!;
}

/** The output layer's share of a row (B = I_d per sample): G[i, j] on the columns j·d + k, j ≥ i (`o` points at column k). */
function identityRow(out: Float64Array | Float32Array, o: number, G: TypedArray, gi: number, i: number, n: number, d: number): void {
  for (let j = i; j < n; j++) out[o + j * d]! += G[gi + j]!;
}

/** Row r, columns [from, to): from column r of the rows above (the diagonal block's lower triangle). */
function mirrorRow(out: Float64Array | Float32Array, N: number, r: number, from: number, to: number): void {
  const o = r * N;
  for (let s = from; s < to; s++) out[o + s] = out[s * N + r]!;
}

/** out[s, q] = out[q, s] for s in [s0, s1), q in [q0, q1). */
function mirrorTile(out: Float64Array | Float32Array, N: number, s0: number, s1: number, q0: number, q1: number): void {
  for (let s = s0; s < s1; s++) {
    const o = s * N;
    for (let q = q0; q < q1; q++) out[o + q] = out[q * N + s]!;
  }
}

/** The masked-layer path: chunk pairs (a ≤ b) by `layerwiseCrossGraph`, each block written to its place and mirrored. */
async function assembleCrossBlocks(rt: ProbeRuntime, model: Model, params: ParamValues, x: Float64Array | Float32Array, n: number, out: Float64Array | Float32Array, blockRows: number): Promise<void> {
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
