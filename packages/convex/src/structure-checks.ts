import type { Dataset } from './data.js';
import { svd } from './linalg/svd.js';
import { solveDeepLinear, solveTwoLayerLinear } from './linear-networks.js';
import { deepObjective, deepPredict, type DeepNet } from './train.js';

/** Singular structure of one layer (Mlp layout: W is out×in). */
export interface LayerReport {
  readonly shape: [number, number];
  readonly singularValues: Float64Array;
  /** σ₂/σ₁ (0 for a rank-one or single-row/column layer). */
  readonly rankRatio: number;
  /** Numerical rank at σ_k > tol·σ₁. */
  readonly rank: number;
  readonly frobenius: number;
  /** Top left (output-side) and right (input-side) singular vectors. */
  readonly left: Float64Array;
  readonly right: Float64Array;
}

/**
 * The singular structure of one layer W (out×in, row-major, the Mlp layout): singular values,
 * σ₂/σ₁, numerical rank at σ_k > tol·σ₁, Frobenius norm and the top singular vectors. Cost: one SVD.
 */
export function layerReport(W: Float64Array, out: number, inp: number, tol = 1e-6): LayerReport {
  const { U, s, V } = svd(W, out, inp);
  const r = s.length;
  const left = new Float64Array(out), right = new Float64Array(inp);
  for (let i = 0; i < out; i++) left[i] = U[i * r]!;
  for (let j = 0; j < inp; j++) right[j] = V[j * r]!;
  let f = 0, rank = 0;
  for (const v of s) { f += v * v; if (v > tol * s[0]!) rank++; }
  return { shape: [out, inp], singularValues: s, rankRatio: s.length > 1 && s[0]! > 0 ? s[1]! / s[0]! : 0, rank, frobenius: Math.sqrt(f), left, right };
}

function cosAbs(a: Float64Array, b: Float64Array): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i]! * b[i]!; aa += a[i]! ** 2; bb += b[i]! ** 2; }
  return aa > 0 && bb > 0 ? Math.abs(ab) / Math.sqrt(aa * bb) : 0;
}

/** What the linear-network theorems of Paper B predict, measured on a trained network. */
export interface LinearNetworkReport {
  readonly depth: number;
  readonly objective: number;
  /** The global optimum of (B7) (closed form / ridge-path scan). */
  readonly optimum: number;
  /** objective − optimum (≥ 0 up to round-off; how far the network is from optimal). */
  readonly excess: number;
  readonly layers: LayerReport[];
  /** max_l σ₂/σ₁ (0 = every layer rank-one). */
  readonly maxRankRatio: number;
  /** min_l |⟨left_l, right_{l+1}⟩| (1 = consecutive layers aligned). */
  readonly minAlignment: number;
  /** |cos| between the first layer's input direction and Xᵀλ, λ = y − f(X) (1 = aligned with the dual). */
  readonly dualAlignment: number;
  /** max_l |‖W_l‖_F − ‖w‖^{1/L}| / ‖w‖^{1/L} (0 = balanced). */
  readonly imbalance: number;
  /** Two layers only: ‖Xᵀλ‖/β at the network's residual (1 at the optimum) and the closed-form P₂ − D₂. */
  readonly dualNormRatio?: number;
  readonly strongDualityGap?: number;
  /** All of: excess, rank ratio, 1 − alignment and imbalance ≤ tol. */
  readonly holds: boolean;
}

/**
 * Checks Paper B's linear-network claims on a trained bias-free linear network (scalar output):
 * two layers (closed-form dual, strong duality, rank-one first layer aligned with Xᵀλ*) and
 * L ≥ 3 (every layer rank-one, consecutive layers aligned, balanced ‖W_l‖_F = ‖w‖^{1/L}).
 * [INF, VER in spec]
 *
 * Cost: one SVD per layer plus the closed-form solve.
 * @see spec/related-papers.md §B.3.1, §B.3.3, §B.5 B-5, B-6
 */
export function checkLinearNetwork(net: DeepNet, data: Dataset, beta: number, tol = 1e-6): LinearNetworkReport {
  if (net.activation !== 'linear') throw new Error('checkLinearNetwork needs a linear network (activation "linear")');
  const L = net.weights.length;
  const layers = net.weights.map((W, l) => layerReport(W, net.sizes[l + 1]!, net.sizes[l]!));
  const objective = deepObjective(net, data, beta);
  const opt = L === 2 ? solveTwoLayerLinear(data, beta) : undefined;
  const optimum = opt ? opt.primal : solveDeepLinear(data, beta, L).objective;
  let minAlign = 1;
  for (let l = 0; l + 1 < L; l++) minAlign = Math.min(minAlign, cosAbs(layers[l]!.left, layers[l + 1]!.right));
  // End-to-end w (row vector W_L⋯W_1) and the dual direction Xᵀλ.
  let e = net.weights[L - 1]!.slice();
  for (let l = L - 2; l >= 0; l--) {
    const din = net.sizes[l]!, dout = net.sizes[l + 1]!, W = net.weights[l]!, nx = new Float64Array(din);
    for (let o = 0; o < dout; o++) for (let t = 0; t < din; t++) nx[t]! += e[o]! * W[o * din + t]!;
    e = nx;
  }
  let wn = 0;
  for (const v of e) wn += v * v;
  const rho = Math.pow(Math.sqrt(wn), 1 / L);
  const f = deepPredict(net, data.X, data.n), xl = new Float64Array(data.d);
  for (let i = 0; i < data.n; i++) for (let j = 0; j < data.d; j++) xl[j]! += data.X[i * data.d + j]! * (data.Y[i]! - f[i]!);
  let xln = 0;
  for (const v of xl) xln += v * v;
  const imbalance = rho > 0 ? Math.max(...layers.map((r) => Math.abs(r.frobenius - rho) / rho)) : 0;
  const maxRankRatio = Math.max(...layers.map((r) => r.rankRatio));
  const dualAlignment = cosAbs(layers[0]!.right, xl);
  const excess = objective - optimum;
  const holds = excess <= tol * Math.max(1, optimum) && maxRankRatio <= tol && 1 - minAlign <= tol && imbalance <= tol;
  return {
    depth: L, objective, optimum, excess, layers, maxRankRatio, minAlignment: minAlign, dualAlignment, imbalance, holds,
    ...(opt ? { dualNormRatio: Math.sqrt(xln) / beta, strongDualityGap: opt.primal - opt.dual } : {}),
  };
}

/** Layer ranks of a deep ReLU network (Paper B's rank-one-input claim; §B.3.4). */
export interface ReluRankReport {
  readonly layers: LayerReport[];
  /** Numerical rank per layer (σ_k > tol·σ₁). */
  readonly ranks: number[];
  /** Whether every hidden layer is rank-one (the claim; the last layer is a row for scalar output). */
  readonly allRankOne: boolean;
}

/**
 * Report the ranks of a trained deep ReLU network's layers. Paper B claims rank-one optimal layers
 * for rank-one data X = c aᵀ; the spec observed it for c ≥ 0 but rank-2 second layers for
 * mixed-sign c in GD runs (§B.3.4). This function reports what is there; it does not decide
 * which hypothesis the paper needs.
 */
export function reluRankReport(net: DeepNet, tol = 1e-4): ReluRankReport {
  const layers = net.weights.map((W, l) => layerReport(W, net.sizes[l + 1]!, net.sizes[l]!, tol));
  const ranks = layers.map((r) => r.rank);
  return { layers, ranks, allRankOne: ranks.slice(0, -1).every((r) => r <= 1) };
}
