import type { PatternSet } from './arrangements.js';
import { gemmABt, gemmAtB } from './linalg/blas.js';
import { checkMemory, ConvexInputError, DEFAULT_MEMORY_BUDGET } from './errors.js';

/**
 * The linear map of the convex programs, θ ↦ Z with Z[:, k] = Σ_i D_i X (v_{ik} − w_{ik}), and
 * its adjoint, as two GEMMs per application.
 *
 * Variables are B = S·P·c blocks of length d, block b = (s·P + i)·c + k: pattern i, output k,
 * sign s (s = 0: v, positive output weight; s = 1: w, negative; the gated program (C6) has S = 1).
 * A whole θ is a B×d row-major matrix, so XT = X·θᵀ (n×B) gives every block's X θ_b at once:
 * the predictions and the cone constraints (2D_i − I) X θ_b ≥ 0 are both read from it.
 *
 * Cost: one `forward` or `adjoint` is O(n·d·B) multiply-adds.
 */
export class PatternOperator {
  readonly B: number;
  readonly P: number;

  constructor(
    readonly X: Float64Array,
    readonly n: number,
    readonly d: number,
    readonly patterns: PatternSet,
    readonly c: number,
    readonly S: 1 | 2,
    memoryBudgetBytes = DEFAULT_MEMORY_BUDGET,
  ) {
    if (patterns.n !== n) throw new ConvexInputError(`the pattern set is for ${patterns.n} samples but X has ${n} rows; build the patterns from this X`);
    if (patterns.P < 1) throw new ConvexInputError('the pattern set is empty; sample more gates or enumerate the arrangement');
    this.P = patterns.P;
    this.B = S * patterns.P * c;
    // XT, H and the multipliers γ are n×B; θ and four FISTA copies are B×d.
    checkMemory(8 * (3 * n * this.B + 6 * this.B * d), memoryBudgetBytes, `the convex program with ${patterns.P} patterns × ${c} outputs × ${S} signs on ${n}×${d} data`);
  }

  /** Block index of (sign s, pattern i, output k). */
  block(s: number, i: number, k: number): number {
    return (s * this.P + i) * this.c + k;
  }

  /** XT (n×B) = X θᵀ. */
  xt(theta: Float64Array, XT: Float64Array): void {
    gemmABt(this.X, theta, XT, this.n, this.d, this.B);
  }

  /** Z (n×c) from XT: Σ_i D_i (X v_ik − X w_ik). */
  predict(XT: Float64Array, Z: Float64Array): void {
    const { n, c, P, B } = this, m = this.patterns.masks;
    Z.fill(0, 0, n * c);
    for (let r = 0; r < n; r++) {
      const ro = r * B;
      for (let i = 0; i < P; i++) {
        if (!m[i * n + r]) continue;
        for (let k = 0; k < c; k++) {
          let z = XT[ro + i * c + k]!;
          if (this.S === 2) z -= XT[ro + (P + i) * c + k]!;
          Z[r * c + k]! += z;
        }
      }
    }
  }

  /** H (n×B) += the back-projection of G = ∂/∂Z (n×c) onto blocks: ±D_i[r]·G[r, k]. */
  spreadGradient(G: Float64Array, H: Float64Array): void {
    const { n, c, P, B } = this, m = this.patterns.masks;
    for (let r = 0; r < n; r++) {
      const ro = r * B;
      for (let i = 0; i < P; i++) {
        if (!m[i * n + r]) continue;
        for (let k = 0; k < c; k++) {
          const g = G[r * c + k]!;
          H[ro + i * c + k]! += g;
          if (this.S === 2) H[ro + (P + i) * c + k]! -= g;
        }
      }
    }
  }

  /** grad (B×d) = Hᵀ X. */
  adjoint(H: Float64Array, grad: Float64Array): void {
    gemmAtB(H, this.X, grad, this.n, this.B, this.d);
  }

  /** The sign 2D_i[r] − 1 of block b's cone constraint on row r. */
  coneSign(b: number, r: number): number {
    const i = Math.floor(b / this.c) % this.P;
    return this.patterns.masks[i * this.n + r] ? 1 : -1;
  }

  /** Estimate ‖A‖₂² (A: θ ↦ Z) by power iteration on AᵀA from a deterministic start. */
  normSquared(iterations = 100): number {
    const { n, c, B, d } = this;
    // A deterministic start with distinct entries: a constant vector lies in the null space
    // (v_i = w_i cancels), so it would report 0.
    const v = new Float64Array(B * d);
    let nv = 0;
    for (let i = 0; i < v.length; i++) { v[i] = Math.sin(1 + 1.618 * i); nv += v[i]! * v[i]!; }
    nv = Math.sqrt(nv);
    for (let i = 0; i < v.length; i++) v[i]! /= nv;
    const XT = new Float64Array(n * B), Z = new Float64Array(n * c), H = new Float64Array(n * B), w = new Float64Array(B * d);
    let lambda = 0;
    for (let it = 0; it < iterations; it++) {
      this.xt(v, XT); this.predict(XT, Z);
      H.fill(0); this.spreadGradient(Z, H); this.adjoint(H, w);
      let s = 0;
      for (let i = 0; i < w.length; i++) s += w[i]! * w[i]!;
      const nw = Math.sqrt(s);
      if (nw === 0) return 0;
      const prev = lambda;
      lambda = nw;
      for (let i = 0; i < w.length; i++) v[i] = w[i]! / nw;
      if (it > 10 && Math.abs(lambda - prev) <= 1e-10 * lambda) break;
    }
    return lambda;
  }
}

/** ‖X‖₂² by power iteration on XᵀX (the Lipschitz constant of one block's cone penalty). */
export function spectralNormSquared(X: Float64Array, n: number, d: number, iterations = 200): number {
  const v = new Float64Array(d);
  let nv = 0;
  for (let j = 0; j < d; j++) { v[j] = Math.sin(1 + 1.618 * j); nv += v[j]! * v[j]!; }
  for (let j = 0; j < d; j++) v[j]! /= Math.sqrt(nv);
  const t = new Float64Array(n), w = new Float64Array(d);
  let lambda = 0;
  for (let it = 0; it < iterations; it++) {
    for (let r = 0; r < n; r++) { let s = 0; for (let j = 0; j < d; j++) s += X[r * d + j]! * v[j]!; t[r] = s; }
    w.fill(0);
    for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) w[j]! += t[r]! * X[r * d + j]!;
    let s = 0;
    for (let j = 0; j < d; j++) s += w[j]! * w[j]!;
    const nw = Math.sqrt(s);
    if (nw === 0) return 0;
    const prev = lambda;
    lambda = nw;
    for (let j = 0; j < d; j++) v[j] = w[j]! / nw;
    if (it > 10 && Math.abs(lambda - prev) <= 1e-12 * lambda) break;
  }
  return lambda;
}
