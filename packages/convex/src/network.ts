import { patternOf, mergePatterns, type PatternSet } from './arrangements.js';
import type { ConvexReluSolution } from './convex-relu.js';
import type { Dataset } from './data.js';
import { ConvexInputError } from './errors.js';
import { squaredLoss, type ConvexLoss } from './losses.js';

/**
 * A two-layer ReLU network f(X) = (X Uᵀ)_+ α without biases (a bias is the constant-1 column of X):
 * U is m×d (row j is hidden neuron u_j), α is m×c (row j is neuron j's output weights).
 */
export interface TwoLayerNet {
  readonly d: number;
  readonly m: number;
  readonly c: number;
  readonly U: Float64Array;
  readonly alpha: Float64Array;
}

/** f(X), n×c. Cost O(n·m·(d + c)). */
export function networkPredict(net: TwoLayerNet, X: Float64Array, n: number): Float64Array {
  const { d, m, c, U, alpha } = net;
  const Z = new Float64Array(n * c);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += X[r * d + t]! * U[j * d + t]!;
      if (s > 0) for (let k = 0; k < c; k++) Z[r * c + k]! += s * alpha[j * c + k]!;
    }
  }
  return Z;
}

/**
 * The non-convex objective (C1): ℓ(f(X)) + (β/2) Σ_j (‖u_j‖² + ‖α_j‖²) (weight decay, squared
 * norms, the scaling under which (C4) has penalty β).
 * @see spec/related-papers.md §C.1
 */
export function nonconvexObjective(net: TwoLayerNet, data: Dataset, beta: number, loss: ConvexLoss = squaredLoss): number {
  if (net.d !== data.d || net.c !== data.c) throw new ConvexInputError(`the network is ${net.d}→${net.c} but the data are ${data.d}→${data.c}; shapes must match (did you forget the bias column?)`);
  const Z = networkPredict(net, data.X, data.n);
  let reg = 0;
  for (const v of net.U) reg += v * v;
  for (const v of net.alpha) reg += v * v;
  return loss.value(Z, data.Y, data.n, data.c) + 0.5 * beta * reg;
}

/**
 * Convex solution → ReLU network (C5): each nonzero block θ_b becomes one neuron with
 * u = θ_b/√‖θ_b‖ and output weight ±√‖θ_b‖ on the block's class (+ for v, − for w). The cone
 * constraints make (Xu)_+ = D_i X u, so the network's objective equals the convex objective (up
 * to the constraint violation). Blocks with ‖θ_b‖ ≤ threshold·max‖θ‖ (default 1e-7) are dropped:
 * they are solver round-off whose direction u, amplified by 1/√‖θ_b‖, need not respect its cone.
 * @see spec/related-papers.md §C.4 "Recovery map"
 */
export function recoverNetwork(sol: Pick<ConvexReluSolution, 'theta' | 'P' | 'd' | 'c'>, threshold = 1e-7): TwoLayerNet & { readonly pattern: Int32Array; readonly block: Int32Array } {
  const { theta, P, d, c } = sol;
  const B = 2 * P * c;
  const norms = new Float64Array(B);
  let mx = 0;
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += theta[b * d + j]! ** 2;
    norms[b] = Math.sqrt(s);
    mx = Math.max(mx, norms[b]!);
  }
  const keep: number[] = [];
  for (let b = 0; b < B; b++) if (norms[b]! > threshold * mx && norms[b]! > 0) keep.push(b);
  const m = keep.length, U = new Float64Array(m * d), alpha = new Float64Array(m * c);
  keep.forEach((b, j) => {
    const nb = norms[b]!, sq = Math.sqrt(nb);
    for (let t = 0; t < d; t++) U[j * d + t] = theta[b * d + t]! / sq;
    const k = b % c, s = Math.floor(b / (P * c));
    alpha[j * c + k] = s === 0 ? sq : -sq;
  });
  // Which pattern i (and block b) each neuron came from: the cone its u must stay in.
  const block = Int32Array.from(keep), pattern = block.map((b) => Math.floor(b / c) % P);
  return { d, m, c, U, alpha, pattern, block };
}

/**
 * ReLU network → convex variables (forward map) [INF]: neuron j with pattern i = 1[X u_j ≥ 0]
 * adds |α_jk| u_j to v_{ik} (α_jk > 0) or w_{ik} (α_jk < 0). The patterns of the network are
 * merged into `base` (when given) so the variables are feasible for the returned pattern set.
 * For c = 1 the convex objective of the result is ≤ the network's (C1) objective (AM–GM plus the
 * triangle inequality), so it is a warm start and a route to certify or refute an SGD solution.
 * @see spec/related-papers.md §C.4 "Forward map"
 */
export function toConvexVariables(net: TwoLayerNet, X: Float64Array, n: number, base?: PatternSet): { patterns: PatternSet; theta: Float64Array } {
  const { d, m, c, U, alpha } = net;
  const own = new Uint8Array(m * n);
  for (let j = 0; j < m; j++) own.set(patternOf(X, n, d, U, j * d), j * n);
  const netSet: PatternSet = { n, P: m, masks: own };
  const patterns = base ? mergePatterns(base, netSet) : mergePatterns(netSet, { n, P: 0, masks: new Uint8Array(0) });
  const index = new Map<string, number>();
  for (let i = 0; i < patterns.P; i++) index.set(Array.prototype.join.call(patterns.masks.subarray(i * n, (i + 1) * n), ''), i);
  const P = patterns.P, theta = new Float64Array(2 * P * c * d);
  for (let j = 0; j < m; j++) {
    const i = index.get(Array.prototype.join.call(own.subarray(j * n, (j + 1) * n), ''))!;
    for (let k = 0; k < c; k++) {
      const a = alpha[j * c + k]!;
      if (a === 0) continue;
      const b = ((a > 0 ? 0 : 1) * P + i) * c + k;
      for (let t = 0; t < d; t++) theta[b * d + t]! += Math.abs(a) * U[j * d + t]!;
    }
  }
  return { patterns, theta };
}

/** Parameters of a clt `Mlp` with sizes [d, m, c] (relu), plus the options to build it. */
export interface MlpWeights {
  readonly sizes: [number, number, number];
  readonly bias: boolean;
  readonly params: Record<string, Float64Array>;
}

/**
 * The network as `Mlp` parameters (W0: m×d_in, b0, W1: c×m, b1). With a bias column in the data
 * (`bias = true`: the last input is the constant 1) the last column of U becomes b0 and b1 = 0,
 * so the hidden bias is regularized together with the weights exactly as in (C1) when weight decay
 * covers b0 and not b1. Without it, build `new Mlp({ sizes, bias: false })`.
 */
export function toMlpParams(net: TwoLayerNet, bias: boolean): MlpWeights {
  const { d, m, c, U, alpha } = net;
  const din = bias ? d - 1 : d;
  if (din < 1) throw new ConvexInputError('with bias = true the network needs at least one input besides the constant column');
  const W0 = new Float64Array(m * din), b0 = new Float64Array(m), W1 = new Float64Array(c * m);
  for (let j = 0; j < m; j++) {
    for (let t = 0; t < din; t++) W0[j * din + t] = U[j * d + t]!;
    if (bias) b0[j] = U[j * d + d - 1]!;
    for (let k = 0; k < c; k++) W1[k * m + j] = alpha[j * c + k]!;
  }
  const params: Record<string, Float64Array> = bias ? { W0, b0, W1, b1: new Float64Array(c) } : { W0, W1 };
  return { sizes: [din, m, c], bias, params };
}

/** The inverse of `toMlpParams`: an Mlp [d, m, c] parameter dict back to a TwoLayerNet. b1 must be 0 (it has no place in (C1)). */
export function fromMlpParams(params: Record<string, ArrayLike<number>>, sizes: readonly number[]): TwoLayerNet {
  if (sizes.length !== 3) throw new ConvexInputError(`a two-layer network has sizes [d, m, c]; got [${sizes.join(', ')}]`);
  const [din, m, c] = sizes as [number, number, number];
  const W0 = params['W0'], W1 = params['W1'], b0 = params['b0'], b1 = params['b1'];
  if (!W0 || W0.length !== m * din || !W1 || W1.length !== c * m) throw new ConvexInputError(`W0 must be ${m}×${din} and W1 ${c}×${m}`);
  if (b1 && Array.from(b1).some((v) => v !== 0)) throw new ConvexInputError('the output bias b1 is not part of the two-layer program (C1); train with b1 fixed at 0 or fold it into the targets');
  const bias = !!b0;
  const d = bias ? din + 1 : din;
  const U = new Float64Array(m * d), alpha = new Float64Array(m * c);
  for (let j = 0; j < m; j++) {
    for (let t = 0; t < din; t++) U[j * d + t] = W0[j * din + t]!;
    if (bias) U[j * d + din] = b0![j]!;
    for (let k = 0; k < c; k++) alpha[j * c + k] = W1[k * m + j]!;
  }
  return { d, m, c, U, alpha };
}
