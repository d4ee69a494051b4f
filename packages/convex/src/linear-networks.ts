import type { Dataset } from './data.js';
import { checkBeta, ConvexInputError } from './errors.js';
import { svd } from './linalg/svd.js';
import type { DeepNet } from './train.js';

/** X, y (scalar targets) rotated into the eigenbasis of XᵀX: b = Vᵀ Xᵀy, eigenvalues s². */
interface RidgePath {
  readonly V: Float64Array;
  readonly s2: Float64Array;
  readonly b: Float64Array;
  readonly r: number;
  readonly d: number;
  readonly yy: number;
}

function ridgePath(data: Dataset): RidgePath {
  const { X, Y, n, d, c } = data;
  if (c !== 1) throw new ConvexInputError(`the linear-network programs here are scalar-output; got c = ${c}`);
  const { s, V } = svd(X, n, d);
  const r = s.length;
  const xty = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) xty[j]! += X[i * d + j]! * Y[i]!;
  const b = new Float64Array(r), s2 = new Float64Array(r);
  for (let k = 0; k < r; k++) {
    s2[k] = s[k]! * s[k]!;
    let t = 0;
    for (let j = 0; j < d; j++) t += V[j * r + k]! * xty[j]!;
    b[k] = t;
  }
  let yy = 0;
  for (const v of Y) yy += v * v;
  return { V, s2, b, r, d, yy };
}

/** w(μ) = (XᵀX + μI)⁻¹Xᵀy, and ½‖Xw − y‖², ‖w‖ on the ridge path, all in O(r) from the eigenbasis. */
function pathPoint(p: RidgePath, mu: number): { wn: number; fit: number } {
  let wn2 = 0, wxy = 0, wxxw = 0;
  for (let k = 0; k < p.r; k++) {
    const q = p.b[k]! / (p.s2[k]! + mu);
    wn2 += q * q; wxy += q * p.b[k]!; wxxw += p.s2[k]! * q * q;
  }
  return { wn: Math.sqrt(wn2), fit: 0.5 * Math.max(0, p.yy - 2 * wxy + wxxw) };
}

function pathVector(p: RidgePath, mu: number): Float64Array {
  const w = new Float64Array(p.d);
  for (let k = 0; k < p.r; k++) {
    const q = p.b[k]! / (p.s2[k]! + mu);
    for (let j = 0; j < p.d; j++) w[j]! += p.V[j * p.r + k]! * q;
  }
  return w;
}

/** The closed-form optimum of a two-layer linear network with scalar output, from {@link solveTwoLayerLinear}. */
export interface TwoLayerLinearSolution {
  /** The end-to-end vector w* = W₁w₂ of (B3). */
  readonly w: Float64Array;
  /** λ* = y − Xw*. */
  readonly lambda: Float64Array;
  /** ‖Xᵀλ*‖₂ (= β when w* ≠ 0). */
  readonly dualNorm: number;
  /** Primal ½‖Xw* − y‖² + β‖w*‖₂ and dual (B4) values at the optimum (equal: strong duality). */
  readonly primal: number;
  readonly dual: number;
  /** The ridge parameter μ with μ‖w(μ)‖ = β; Infinity when w* = 0. */
  readonly mu: number;
}

/**
 * Two-layer linear network, scalar output (Paper B, (B1) ⇔ (B3)): min_w ½‖Xw − y‖² + β‖w‖₂ in
 * closed form on the ridge path, w* = (XᵀX + μI)⁻¹Xᵀy with μ solving μ‖w(μ)‖ = β (bisection in
 * log μ; the left side increases in μ), or w* = 0 when ‖Xᵀy‖ ≤ β. The dual (B4),
 * max −½‖λ − y‖² + ½‖y‖² s.t. ‖Xᵀλ‖ ≤ β, is evaluated at λ* = y − Xw* (strong duality).
 * [INF, VER in spec]
 *
 * Cost: one SVD of X, O(n·d·min(n,d)), then O(min(n,d)) per bisection step.
 * @see spec/related-papers.md §B.3.1 (B5), §B.5 B-1
 */
export function solveTwoLayerLinear(data: Dataset, beta: number): TwoLayerLinearSolution {
  checkBeta(beta);
  const p = ridgePath(data);
  let bn = 0;
  for (const v of p.b) bn += v * v;
  bn = Math.sqrt(bn);
  let mu = Infinity, w: Float64Array = new Float64Array(p.d);
  if (bn > beta) {
    const phi = (m: number): number => m * pathPoint(p, m).wn;
    let lo = 1, hi = 1;
    while (phi(hi) < beta) hi *= 2;
    while (phi(lo) >= beta && lo > 1e-300) lo /= 2;
    for (let it = 0; it < 400 && hi > lo * (1 + 1e-16); it++) {
      const mid = Math.sqrt(lo * hi);
      if (phi(mid) < beta) lo = mid; else hi = mid;
      if (mid === lo && mid === hi) break;
    }
    mu = Math.sqrt(lo * hi);
    w = pathVector(p, mu);
  }
  const { X, Y, n, d } = data;
  const lambda = new Float64Array(n);
  let fit = 0, xw2 = 0, wn = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += X[i * d + j]! * w[j]!;
    lambda[i] = Y[i]! - s;
    fit += 0.5 * lambda[i]! * lambda[i]!;
    xw2 += s * s;
  }
  for (const v of w) wn += v * v;
  const xl = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) xl[j]! += X[i * d + j]! * lambda[i]!;
  let dn = 0;
  for (const v of xl) dn += v * v;
  return { w, lambda, dualNorm: Math.sqrt(dn), primal: fit + beta * Math.sqrt(wn), dual: 0.5 * p.yy - 0.5 * xw2, mu };
}

/** The global optimum of an L-layer linear network with scalar output, from {@link solveDeepLinear}. */
export interface DeepLinearSolution {
  /** The end-to-end vector w = W_L⋯W₁ (length d; zero when w = 0 is optimal). */
  readonly w: Float64Array;
  /** Optimal value of (B7) = (B9). */
  readonly objective: number;
  /** The ridge parameter of w on the path, μ = β‖w‖^{2/L−2}; Infinity when w = 0. */
  readonly mu: number;
}

/**
 * Deep linear network, scalar output, L layers (Paper B, (B7) ⇔ (B9)): min_w ½‖Xw − y‖² +
 * (Lβ/2)‖w‖^{2/L}. Every nonzero stationary point lies on the ridge path with μ = β‖w‖^{2/L−2}, so the
 * global minimum is the smaller of w = 0 and the minimum of the objective along the path: a scan of
 * log μ (2000 points) refined by golden section. [INF, VER in spec]
 *
 * Cost: one SVD plus O(G·min(n,d)) for G path points.
 * @see spec/related-papers.md §B.3.3, §B.5 B-5
 */
export function solveDeepLinear(data: Dataset, beta: number, L: number): DeepLinearSolution {
  checkBeta(beta);
  if (!Number.isInteger(L) || L < 2) throw new ConvexInputError(`depth L must be an integer ≥ 2, got ${L}`);
  const p = ridgePath(data);
  const h = (lm: number): number => { const q = pathPoint(p, Math.exp(lm)); return q.fit + 0.5 * L * beta * Math.pow(q.wn, 2 / L); };
  const top = Math.log(Math.max(...p.s2, 1e-300)), lo = top - 60, hi = top + 60, G = 2000;
  let best = 0, bestV = Infinity;
  for (let g = 0; g <= G; g++) { const lm = lo + ((hi - lo) * g) / G, v = h(lm); if (v < bestV) { bestV = v; best = lm; } }
  let a = best - (hi - lo) / G, b = best + (hi - lo) / G;
  const gr = (Math.sqrt(5) - 1) / 2;
  for (let it = 0; it < 200; it++) {
    const c1 = b - gr * (b - a), c2 = a + gr * (b - a);
    if (h(c1) < h(c2)) b = c2; else a = c1;
  }
  const lm = (a + b) / 2, v = h(lm), zero = 0.5 * p.yy;
  if (zero <= v) return { w: new Float64Array(p.d), objective: zero, mu: Infinity };
  return { w: pathVector(p, Math.exp(lm)), objective: v, mu: Math.exp(lm) };
}

/**
 * The balanced rank-one factorization (B8) of an end-to-end vector w into L layers of the given
 * hidden widths, in the Mlp layout (W_l is out×in): W₁ = ρ s₁ (w/‖w‖)ᵀ, W_l = ρ s_l s_{l−1}ᵀ,
 * W_L = ρ s_{L−1}ᵀ with ρ = ‖w‖^{1/L} and s_l = 1/√m_l (any unit vectors work).
 * @see spec/related-papers.md §B.3.3 (B8)
 */
export function factorizeLinear(w: Float64Array, hidden: readonly number[]): DeepNet {
  const d = w.length, L = hidden.length + 1, sizes = [d, ...hidden, 1];
  let wn = 0;
  for (const v of w) wn += v * v;
  wn = Math.sqrt(wn);
  const rho = Math.pow(wn, 1 / L);
  const unit = (m: number) => new Float64Array(m).fill(1 / Math.sqrt(m));
  const weights: Float64Array[] = [];
  for (let l = 0; l < L; l++) {
    const din = sizes[l]!, dout = sizes[l + 1]!;
    const left = l + 1 < L ? unit(dout) : new Float64Array([1]);
    const right = l === 0 ? w.map((v) => (wn > 0 ? v / wn : 0)) : unit(din);
    const W = new Float64Array(dout * din);
    for (let o = 0; o < dout; o++) for (let t = 0; t < din; t++) W[o * din + t] = rho * left[o]! * right[t]!;
    weights.push(W);
  }
  return { sizes, weights, activation: 'linear' };
}
