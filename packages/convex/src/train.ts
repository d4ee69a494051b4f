import { Rng } from '@clt/core';
import type { Dataset } from './data.js';
import { checkBeta, ConvexInputError } from './errors.js';
import { squaredLoss, type ConvexLoss } from './losses.js';
import type { TwoLayerNet } from './network.js';
import { spectralNormSquared } from './pattern-operator.js';

/**
 * A bias-free fully connected network, weights stored out×in like the clt `Mlp` (W_l: sizes[l+1] ×
 * sizes[l]); hidden layers use `activation`, the output layer is linear.
 */
export interface DeepNet {
  readonly sizes: readonly number[];
  readonly weights: Float64Array[];
  readonly activation: 'relu' | 'linear';
}

/** Options of {@link trainDeep}: architecture, weight decay β, optimizer and initialisation. */
export interface TrainOptions {
  /** Layer sizes [d, h₁, …, c]; sizes[0] and the last must match the data. */
  readonly sizes: readonly number[];
  /** Hidden-layer activation; the output layer is linear. Default `relu`; ignored with `init` (its activation is kept). */
  readonly activation?: 'relu' | 'linear';
  /** Weight decay β > 0 of the objective ℓ + (β/2)Σ‖W_l‖_F². */
  readonly beta: number;
  /** Default {@link squaredLoss}. */
  readonly loss?: ConvexLoss;
  /** Optimizer steps. Default 2000. */
  readonly steps?: number;
  /** 'gd': full batch (default); 'sgd': mini-batches of `batchSize`. Both: momentum 0.9, cosine-decayed step. */
  readonly optimizer?: 'gd' | 'sgd';
  /** Initial step of the cosine schedule. Default 0.2/(‖X‖₂²·max(1, widest hidden layer/8)). */
  readonly lr?: number;
  /** Mini-batch rows for `sgd` (capped at n). Default n (full batch). */
  readonly batchSize?: number;
  /** Seed of the init and the mini-batch draws. Default 0. */
  readonly seed?: number;
  /** Initial weights (else He-normal from the seed). */
  readonly init?: DeepNet;
  /** Initial weight scale multiplier. Default 1 (He-normal). */
  readonly initScale?: number;
}

/** The network {@link trainDeep} ends with, and its objective. */
export interface TrainResult {
  /** The trained weights. */
  readonly net: DeepNet;
  /** Final full-batch objective ℓ + (β/2)Σ‖W_l‖². */
  readonly objective: number;
  /** Steps taken. */
  readonly steps: number;
}

/** Forward pass keeping the pre-activations (rows × width per layer). */
function forward(net: DeepNet, X: Float64Array, rows: Int32Array | null, n: number, acts: Float64Array[], pre: Float64Array[]): void {
  const s = net.sizes, L = s.length - 1;
  const nb = rows ? rows.length : n;
  const A0 = acts[0]!;
  for (let r = 0; r < nb; r++) { const src = rows ? rows[r]! : r; A0.set(X.subarray(src * s[0]!, (src + 1) * s[0]!), r * s[0]!); }
  for (let l = 0; l < L; l++) {
    const din = s[l]!, dout = s[l + 1]!, W = net.weights[l]!, A = acts[l]!, Zl = pre[l]!, out = acts[l + 1]!;
    for (let r = 0; r < nb; r++) {
      for (let o = 0; o < dout; o++) {
        let z = 0;
        for (let t = 0; t < din; t++) z += A[r * din + t]! * W[o * din + t]!;
        Zl[r * dout + o] = z;
        out[r * dout + o] = l + 1 < L && net.activation === 'relu' ? (z > 0 ? z : 0) : z;
      }
    }
  }
}

/** f(X) for the deep network, n×c. */
export function deepPredict(net: DeepNet, X: Float64Array, n: number): Float64Array {
  const acts = net.sizes.map((w) => new Float64Array(n * w)), pre = net.sizes.slice(1).map((w) => new Float64Array(n * w));
  forward(net, X, null, n, acts, pre);
  return acts[acts.length - 1]!;
}

/** ℓ(f(X)) + (β/2) Σ_l ‖W_l‖_F². */
export function deepObjective(net: DeepNet, data: Dataset, beta: number, loss: ConvexLoss = squaredLoss): number {
  let reg = 0;
  for (const W of net.weights) for (const v of W) reg += v * v;
  return loss.value(deepPredict(net, data.X, data.n), data.Y, data.n, data.c) + 0.5 * beta * reg;
}

/** Loss part on a batch (scaled by n/|batch|) plus weight decay; gradient into grads. */
function lossAndGrad(net: DeepNet, data: Dataset, beta: number, loss: ConvexLoss, rows: Int32Array | null, grads: Float64Array[], ws: { acts: Float64Array[]; pre: Float64Array[]; G: Float64Array[]; Yb: Float64Array }): number {
  const s = net.sizes, L = s.length - 1, c = data.c, n = data.n;
  const nb = rows ? rows.length : n;
  forward(net, data.X, rows, n, ws.acts, ws.pre);
  const Yb = rows ? ws.Yb : data.Y;
  if (rows) for (let r = 0; r < nb; r++) Yb.set(data.Y.subarray(rows[r]! * c, rows[r]! * c + c), r * c);
  const scale = n / nb;
  let val = scale * loss.value(ws.acts[L]!, Yb, nb, c, ws.G[L - 1]);
  for (let l = L - 1; l >= 0; l--) {
    const din = s[l]!, dout = s[l + 1]!, W = net.weights[l]!, Gl = ws.G[l]!, A = ws.acts[l]!, dW = grads[l]!;
    if (scale !== 1 && l === L - 1) for (let i = 0; i < nb * dout; i++) Gl[i]! *= scale;
    for (let i = 0; i < W.length; i++) { dW[i] = beta * W[i]!; val += 0.5 * beta * W[i]! * W[i]!; }
    for (let r = 0; r < nb; r++) for (let o = 0; o < dout; o++) {
      const g = Gl[r * dout + o]!;
      if (g !== 0) for (let t = 0; t < din; t++) dW[o * din + t]! += g * A[r * din + t]!;
    }
    if (l > 0) {
      const Gp = ws.G[l - 1]!, Zp = ws.pre[l - 1]!;
      for (let r = 0; r < nb; r++) for (let t = 0; t < din; t++) {
        if (net.activation === 'relu' && !(Zp[r * din + t]! > 0)) { Gp[r * din + t] = 0; continue; }
        let g = 0;
        for (let o = 0; o < dout; o++) g += Gl[r * dout + o]! * W[o * din + t]!;
        Gp[r * din + t] = g;
      }
    }
  }
  return val;
}

/**
 * Train a bias-free MLP on the weight-decay objective ℓ(f(X)) + (β/2)Σ_l‖W_l‖_F² in float64: the
 * non-convex baseline for "every SGD run ends at or above p*" and the deep-network checks.
 * Seeded (He-normal init from `Rng`, mini-batches from the same generator); the default step
 * 0.2/(‖X‖₂²·max(1, width/8)) needs no tuning on standardized data.
 */
export function trainDeep(data: Dataset, options: TrainOptions): TrainResult {
  checkBeta(options.beta);
  const sizes = options.sizes, loss = options.loss ?? squaredLoss;
  if (sizes.length < 2 || sizes[0] !== data.d || sizes[sizes.length - 1] !== data.c) {
    throw new ConvexInputError(`sizes must start at the input width ${data.d} and end at the output width ${data.c}; got [${sizes.join(', ')}]`);
  }
  const rng = new Rng(options.seed ?? 0), L = sizes.length - 1;
  const net: DeepNet = options.init
    ? { sizes, activation: options.init.activation, weights: options.init.weights.map((w) => w.slice()) }
    : { sizes, activation: options.activation ?? 'relu', weights: Array.from({ length: L }, (_, l) => rng.normals(sizes[l]! * sizes[l + 1]!, (options.initScale ?? 1) * Math.sqrt(2 / sizes[l]!))) };
  const n = data.n, batch = Math.min(n, options.batchSize ?? n), optimizer = options.optimizer ?? 'gd';
  const mk = (rowsN: number) => ({ acts: sizes.map((w) => new Float64Array(rowsN * w)), pre: sizes.slice(1).map((w) => new Float64Array(rowsN * w)), G: sizes.slice(1).map((w) => new Float64Array(rowsN * w)), Yb: new Float64Array(rowsN * data.c) });
  const ws = mk(batch), wsFull = mk(n);
  const grads = net.weights.map((w) => new Float64Array(w.length));
  const steps = options.steps ?? 2000;
  // Heavy-ball momentum with a cosine-decayed step; 'gd' is the full-batch case. The default step
  // 0.2/‖X‖₂² is scale-free in the data; an adaptive (Armijo) step was tried and rejected: its
  // growing steps kill every ReLU early and the run collapses to the zero network.
  // Wider layers add curvature (a sum over neurons), hence the width factor.
  const hmax = Math.max(...sizes.slice(1, -1), 1);
  const lr0 = options.lr ?? 0.2 / (Math.max(1e-300, spectralNormSquared(data.X, n, data.d)) * Math.max(1, hmax / 8));
  const vel = net.weights.map((w) => new Float64Array(w.length));
  const rows = new Int32Array(batch), full = optimizer === 'gd' || batch >= n;
  for (let it = 0; it < steps; it++) {
    if (!full) {
      const perm = rng.permutation(n);
      for (let r = 0; r < batch; r++) rows[r] = perm[r]!;
    }
    lossAndGrad(net, data, options.beta, loss, full ? null : rows, grads, full ? wsFull : ws);
    const lr = lr0 * 0.5 * (1 + Math.cos((Math.PI * it) / steps));
    net.weights.forEach((w, l) => { const v = vel[l]!, g = grads[l]!; for (let i = 0; i < w.length; i++) { v[i] = 0.9 * v[i]! - lr * g[i]!; w[i]! += v[i]!; } });
  }
  return { net, objective: deepObjective(net, data, options.beta, loss), steps };
}

/** A two-layer DeepNet as a TwoLayerNet (U = W0, α = W1ᵀ). */
export function deepToTwoLayer(net: DeepNet): TwoLayerNet {
  if (net.sizes.length !== 3 || net.activation !== 'relu') throw new ConvexInputError('only a two-layer ReLU DeepNet maps to a TwoLayerNet');
  const [d, m, c] = net.sizes as [number, number, number];
  const alpha = new Float64Array(m * c), W1 = net.weights[1]!;
  for (let k = 0; k < c; k++) for (let j = 0; j < m; j++) alpha[j * c + k] = W1[k * m + j]!;
  return { d, m, c, U: net.weights[0]!.slice(), alpha };
}
