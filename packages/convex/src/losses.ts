import { ConvexInputError } from './errors.js';

/**
 * A smooth convex loss on the prediction matrix Z (n×c) summed over samples, with what the
 * solvers and certificates need: value and gradient, a smoothness constant for the FISTA step,
 * and the dual objective −Σ_r ℓ*(−λ_r; y_r) for the duality gap.
 *
 * Both are Fenchel–Young losses (docs/theory.md §2). They are implemented here on host float64
 * arrays because the convex solvers run outside the IR; `softmax` is the multinomial (softmax)
 * cross-entropy written as an FY loss, lse(z) − ⟨z, y⟩ + Σ y log y, so soft (proportion) targets
 * are allowed and one-hot targets give the usual cross-entropy.
 */
export interface ConvexLoss {
  readonly name: 'squared' | 'softmax';
  /** Lipschitz constant of ∇_z ℓ for one sample (squared: 1; softmax: 1/2, the bound on the logsumexp Hessian). */
  readonly smoothness: number;
  /** Σ_r ℓ(z_r; y_r); writes ∇_Z into G when given. */
  value(Z: Float64Array, Y: Float64Array, n: number, c: number, G?: Float64Array): number;
  /**
   * The dual objective at λ = s·(−∇_Z ℓ(Z)) (s ∈ [0, 1] scales the point into the feasible set):
   * squared: Σ ⟨λ, y⟩ − ½‖λ‖²; softmax: Σ H(y − λ) − H(y) with H the Shannon entropy.
   */
  dual(Z: Float64Array, Y: Float64Array, n: number, c: number, s: number): number;
  /** −∇_Z ℓ(Z), the candidate dual variable (the residual y − ŷ for squared loss). */
  residual(Z: Float64Array, Y: Float64Array, n: number, c: number, out: Float64Array): void;
}

/** The squared loss ½‖Z − Y‖² (any real targets); smoothness 1, dual Σ ⟨λ, y⟩ − ½‖λ‖². */
export const squaredLoss: ConvexLoss = {
  name: 'squared',
  smoothness: 1,
  value(Z, Y, n, c, G) {
    let v = 0;
    for (let i = 0; i < n * c; i++) {
      const r = Z[i]! - Y[i]!;
      v += 0.5 * r * r;
      if (G) G[i] = r;
    }
    return v;
  },
  dual(Z, Y, n, c, s) {
    let v = 0;
    for (let i = 0; i < n * c; i++) {
      const lam = s * (Y[i]! - Z[i]!);
      v += lam * Y[i]! - 0.5 * lam * lam;
    }
    return v;
  },
  residual(Z, Y, n, c, out) {
    for (let i = 0; i < n * c; i++) out[i] = Y[i]! - Z[i]!;
  },
};

function xlogx(p: number): number {
  return p > 0 ? p * Math.log(p) : 0;
}

/** Softmax of row r of Z into p (length c); returns logsumexp. */
function softmaxRow(Z: Float64Array, r: number, c: number, p: Float64Array): number {
  let m = -Infinity;
  for (let k = 0; k < c; k++) m = Math.max(m, Z[r * c + k]!);
  let s = 0;
  for (let k = 0; k < c; k++) { const e = Math.exp(Z[r * c + k]! - m); p[k] = e; s += e; }
  for (let k = 0; k < c; k++) p[k]! /= s;
  return m + Math.log(s);
}

/**
 * Softmax cross-entropy (nats) as a Fenchel–Young loss, lse(z) − ⟨z, y⟩ + Σ y log y per row: needs
 * c ≥ 2 and targets that are probability rows (one-hot from `oneHotTargets`, or soft); smoothness 1/2.
 */
export const softmaxLoss: ConvexLoss = {
  name: 'softmax',
  smoothness: 0.5,
  value(Z, Y, n, c, G) {
    const p = new Float64Array(c);
    let v = 0;
    for (let r = 0; r < n; r++) {
      const lse = softmaxRow(Z, r, c, p);
      let zy = 0, omega = 0;
      for (let k = 0; k < c; k++) {
        const y = Y[r * c + k]!;
        zy += Z[r * c + k]! * y;
        omega += xlogx(y);
        if (G) G[r * c + k] = p[k]! - y;
      }
      // FY form: Ω(y) + Ω*(z) − ⟨z, y⟩ ≥ 0, exactly 0 when softmax(z) = y.
      v += Math.max(0, omega + lse - zy);
    }
    return v;
  },
  dual(Z, Y, n, c, s) {
    const p = new Float64Array(c);
    let v = 0;
    for (let r = 0; r < n; r++) {
      softmaxRow(Z, r, c, p);
      for (let k = 0; k < c; k++) {
        const y = Y[r * c + k]!;
        const q = (1 - s) * y + s * p[k]!;
        v += xlogx(y) - xlogx(q);
      }
    }
    return v;
  },
  residual(Z, Y, n, c, out) {
    const p = new Float64Array(c);
    for (let r = 0; r < n; r++) {
      softmaxRow(Z, r, c, p);
      for (let k = 0; k < c; k++) out[r * c + k] = Y[r * c + k]! - p[k]!;
    }
  },
};

/** Look a loss up by name. */
export function convexLoss(name: string): ConvexLoss {
  if (name === 'squared') return squaredLoss;
  if (name === 'softmax' || name === 'softmax-ce' || name === 'cross-entropy') return softmaxLoss;
  throw new ConvexInputError(`unknown loss '${name}'; use 'squared' or 'softmax' (softmax cross-entropy, multi-class without one-vs-all)`);
}

/** Targets for softmax must be probability rows. */
export function checkTargets(loss: ConvexLoss, Y: Float64Array, n: number, c: number): void {
  if (loss.name !== 'softmax') return;
  if (c < 2) throw new ConvexInputError('softmax cross-entropy needs c ≥ 2 classes; use the squared loss (or ±1 targets) for a scalar output');
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let k = 0; k < c; k++) {
      const y = Y[r * c + k]!;
      if (y < 0) throw new ConvexInputError(`softmax targets must be probability rows; row ${r} has a negative entry ${y} (use oneHotTargets)`);
      s += y;
    }
    if (Math.abs(s - 1) > 1e-9) throw new ConvexInputError(`softmax targets must sum to 1 per row; row ${r} sums to ${s} (use oneHotTargets)`);
  }
}
