import { ConvexInputError } from './errors.js';
import type { TwoLayerNet } from './network.js';

/** One kink of a 1-D ReLU network: location and slope jump |α_j a_j| (merged over neurons). */
export interface Kink {
  readonly t: number;
  readonly jump: number;
  /** Index of the nearest data point, and whether the kink sits on it (within tolX). */
  readonly nearest: number;
  readonly onData: boolean;
}

/** What {@link checkSpline1D} measures on a 1-D network: its kinks and how close it is to the linear spline through the data. */
export interface SplineReport {
  /** The network's kinks, sorted by location. */
  readonly kinks: Kink[];
  /** Σ slope jumps of kinks strictly inside (x_min, x_max) and off every data point. */
  readonly offDataJumpMass: number;
  /** Σ slope jumps of every kink. */
  readonly totalJumpMass: number;
  /** max |f − linear interpolant| on a grid of [x_min, x_max] (interpolation regime: ≈ 0). */
  readonly maxDeviation: number;
  /** max_i |f(x_i) − y_i|. */
  readonly maxResidual: number;
  /** No slope jump off the data (relative to the total). */
  readonly kinksOnlyAtData: boolean;
  /** Kinks only at data and f equals the linear interpolant (within tol). */
  readonly isLinearSpline: boolean;
}

/**
 * The 1-D claim of Paper B (two-layer case; Savarese et al., Parhi & Nowak): a regularized ReLU
 * network on scalar data with a bias, u_j = (a_j, b_j) acting on [x, 1], is piecewise linear with
 * kinks t_j = −b_j/a_j; in the interpolation regime (β → 0) they sit only at data points and f is
 * the linear spline through the data on [x_min, x_max].
 *
 * Cost: O(m log m + grid·m).
 * @see spec/related-papers.md §B.3.5, §B.5 B-7, C-T8
 */
export function checkSpline1D(net: TwoLayerNet, x: ArrayLike<number>, y: ArrayLike<number>, options: { tau?: number; tolX?: number; tol?: number; grid?: number } = {}): SplineReport {
  if (net.d !== 2 || net.c !== 1) throw new ConvexInputError(`the 1-D spline check needs a [x, 1] → scalar network (d = 2 with the bias column, c = 1); got d = ${net.d}, c = ${net.c}`);
  const n = x.length;
  if (n < 2 || y.length !== n) throw new ConvexInputError(`need ≥ 2 points with one target each; got ${n} inputs and ${y.length} targets`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a]! - x[b]!);
  const xs = order.map((i) => x[i]!), ys = order.map((i) => y[i]!);
  const xmin = xs[0]!, xmax = xs[n - 1]!, range = Math.max(xmax - xmin, 1e-300);
  const tau = options.tau ?? 1e-7, tolX = (options.tolX ?? 1e-6) * range, tol = options.tol ?? 1e-5;
  const f = (t: number): number => {
    let s = 0;
    for (let j = 0; j < net.m; j++) { const z = net.U[2 * j]! * t + net.U[2 * j + 1]!; if (z > 0) s += z * net.alpha[j]!; }
    return s;
  };
  let amax = 0;
  for (let j = 0; j < net.m; j++) amax = Math.max(amax, Math.abs(net.U[2 * j]! * net.alpha[j]!));
  const raw: { t: number; jump: number }[] = [];
  for (let j = 0; j < net.m; j++) {
    const a = net.U[2 * j]!, jump = Math.abs(a * net.alpha[j]!);
    if (jump > tau * Math.max(amax, 1e-300)) raw.push({ t: -net.U[2 * j + 1]! / a, jump });
  }
  raw.sort((p, q) => p.t - q.t);
  const kinks: Kink[] = [];
  let off = 0, total = 0;
  for (let i = 0; i < raw.length;) {
    let j = i, jump = 0;
    while (j < raw.length && raw[j]!.t - raw[i]!.t <= tolX) jump += raw[j++]!.jump;
    // Merging: neurons with the same kink add their signed slope changes; magnitudes bound it.
    const t = raw[i]!.t;
    let nearest = 0;
    for (let k = 1; k < n; k++) if (Math.abs(xs[k]! - t) < Math.abs(xs[nearest]! - t)) nearest = k;
    const onData = Math.abs(xs[nearest]! - t) <= tolX;
    if (!onData && t > xmin && t < xmax) off += jump;
    total += jump;
    kinks.push({ t, jump, nearest: order[nearest]!, onData });
    i = j;
  }
  const G = options.grid ?? 2000;
  let dev = 0, seg = 0;
  for (let g = 0; g <= G; g++) {
    const t = xmin + (range * g) / G;
    while (seg + 2 < n && xs[seg + 1]! < t) seg++;
    const x0 = xs[seg]!, x1 = xs[seg + 1]!;
    const lin = x1 > x0 ? ys[seg]! + ((ys[seg + 1]! - ys[seg]!) * (t - x0)) / (x1 - x0) : ys[seg]!;
    dev = Math.max(dev, Math.abs(f(t) - lin));
  }
  let res = 0;
  for (let k = 0; k < n; k++) res = Math.max(res, Math.abs(f(xs[k]!) - ys[k]!));
  const kinksOnlyAtData = off <= tol * Math.max(total, 1e-300);
  let ymax = 0;
  for (const v of ys) ymax = Math.max(ymax, Math.abs(v));
  return { kinks, offDataJumpMass: off, totalJumpMass: total, maxDeviation: dev, maxResidual: res, kinksOnlyAtData, isLinearSpline: kinksOnlyAtData && dev <= tol * Math.max(1, ymax) };
}
