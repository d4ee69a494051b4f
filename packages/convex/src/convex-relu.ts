import type { PatternSet } from './arrangements.js';
import type { Dataset } from './data.js';
import { checkBeta, DEFAULT_MEMORY_BUDGET } from './errors.js';
import { fistaGroupLasso } from './fista.js';
import { checkTargets, squaredLoss, type ConvexLoss } from './losses.js';
import { PatternOperator, spectralNormSquared } from './pattern-operator.js';
import { certifyPredictions, type DualCertificate } from './certificate.js';

export interface ConvexReluOptions {
  readonly loss?: ConvexLoss;
  /** Outer augmented-Lagrangian iterations (multiplier updates). Default 40. */
  readonly maxOuter?: number;
  /** FISTA iterations per outer step. Default 2000. */
  readonly maxInner?: number;
  /** Gradient-mapping tolerance of the inner solves, relative to ‖Aᵀ∇ℓ(0)‖∞ + β. Default 1e-11. */
  readonly tol?: number;
  /** Constraint-violation tolerance, relative to max|X θ|. Default 1e-10. */
  readonly constraintTol?: number;
  /** AL penalty δ as a multiple of the balanced value smoothness·‖A‖²/‖X‖². Default 1. */
  readonly penaltyScale?: number;
  /** Warm start θ (B×d, see PatternOperator), e.g. from `toConvexVariables`. */
  readonly warmStart?: Float64Array;
  readonly memoryBudgetBytes?: number;
  /** Compute the dual certificate (2·P·c cone projections). Default true. */
  readonly certify?: boolean;
}

/** A solution of the convex program (C4) with its certificate. */
export interface ConvexReluSolution {
  /** θ as B = 2·P·c blocks of length d: v_{ik} = block (0·P+i)·c+k, w_{ik} = block (1·P+i)·c+k. */
  readonly theta: Float64Array;
  readonly P: number;
  readonly d: number;
  readonly c: number;
  readonly beta: number;
  readonly patterns: PatternSet;
  readonly loss: ConvexLoss['name'];
  /** Predictions Z = Σ_i D_i X (v_i − w_i), n×c. */
  readonly predictions: Float64Array;
  /** Primal value ℓ(Z) + β Σ(‖v‖ + ‖w‖). */
  readonly primal: number;
  /** max over blocks and rows of ((I − 2D_i) X θ_b)_+. */
  readonly violation: number;
  /** Lower bound from the dual point λ = s·(−∇ℓ(Z)) scaled into the dual feasible set. */
  readonly dual: number;
  /** primal − dual (≥ 0 up to the violation). */
  readonly gap: number;
  readonly relativeGap: number;
  /** Absent when solved with `certify: false` (then dual = −∞). */
  readonly certificate: DualCertificate | undefined;
  readonly outerIterations: number;
  readonly innerIterations: number;
  readonly converged: boolean;
}

/** Σ_b ‖θ_b‖₂. */
export function groupNormSum(theta: Float64Array, blocks: number, d: number): number {
  let s = 0;
  for (let b = 0; b < blocks; b++) {
    let q = 0;
    for (let j = 0; j < d; j++) q += theta[b * d + j]! ** 2;
    s += Math.sqrt(q);
  }
  return s;
}

/**
 * Solve the convex program of a two-layer ReLU network (Pilanci & Ergen, eq. (C4)),
 *
 *   min ℓ(Σ_i D_i X (v_i − w_i)) + β Σ_i (‖v_i‖₂ + ‖w_i‖₂)   s.t. (2D_i − I) X v_i ≥ 0, (2D_i − I) X w_i ≥ 0,
 *
 * by an augmented Lagrangian on the cone constraints with a FISTA inner loop (group prox, step
 * from a power-iteration estimate of ‖A‖²) and multiplier updates γ ← (γ − δ(2D_i − I)Xθ)_+.
 *
 * Loss: squared ½‖Z − Y‖² by default; `softmaxLoss` gives multi-class cross-entropy without
 * one-vs-all. For c > 1 outputs every (pattern, class) pair has its own v, w (the official
 * PyTorch toy's grouping): its neurons each feed one class, so the program is exact for that
 * family and an upper bound on the general vector-output network (whose exact program is
 * copositive) [INF].
 *
 * The result carries primal value, constraint violation, the dual value of a feasible dual point
 * built from the residual, and the duality gap, over the given pattern set.
 *
 * Cost: per FISTA step two GEMMs of O(n·d·2Pc); the certificate adds 2Pc cone projections.
 * @see spec/related-papers.md §C.4, §C.6.4, §C.7 item 6
 */
export function solveConvexReLU(data: Dataset, patterns: PatternSet, beta: number, options: ConvexReluOptions = {}): ConvexReluSolution {
  checkBeta(beta);
  const loss = options.loss ?? squaredLoss;
  const { X, Y, n, d, c } = data;
  checkTargets(loss, Y, n, c);
  const op = new PatternOperator(X, n, d, patterns, c, 2, options.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET);
  const { B, P } = op;
  const theta = new Float64Array(B * d);
  if (options.warmStart) {
    if (options.warmStart.length !== theta.length) throw new Error(`warm start has ${options.warmStart.length} entries, expected ${theta.length} (2·P·c·d)`);
    theta.set(options.warmStart);
  }
  const XT = new Float64Array(n * B), H = new Float64Array(n * B), gamma = new Float64Array(n * B);
  const Z = new Float64Array(n * c), G = new Float64Array(n * c);
  const x2 = spectralNormSquared(X, n, d);
  const a2 = op.normSquared();
  const delta = (options.penaltyScale ?? 1) * loss.smoothness * a2 / Math.max(x2, 1e-300);
  const lipschitz = 1.02 * (loss.smoothness * a2 + delta * x2);
  const masks = patterns.masks;

  // Scale for the stopping rule: the largest block gradient at θ = 0.
  loss.value(new Float64Array(n * c), Y, n, c, G);
  H.fill(0); op.spreadGradient(G, H);
  const g0 = new Float64Array(B * d); op.adjoint(H, g0);
  let scale = beta;
  for (const v of g0) scale = Math.max(scale, Math.abs(v));
  const tol = (options.tol ?? 1e-11) * scale;

  const smooth = (th: Float64Array, grad: Float64Array): number => {
    op.xt(th, XT); op.predict(XT, Z);
    let val = loss.value(Z, Y, n, c, G);
    H.fill(0); op.spreadGradient(G, H);
    for (let r = 0; r < n; r++) {
      const ro = r * B;
      for (let s = 0; s < 2; s++) {
        for (let i = 0; i < P; i++) {
          const sg = masks[i * n + r] ? 1 : -1;
          for (let k = 0; k < c; k++) {
            const b = ro + (s * P + i) * c + k;
            const gm = gamma[b]!, q = gm - delta * sg * XT[b]!;
            if (q > 0) { val += (q * q - gm * gm) / (2 * delta); H[b]! -= q * sg; }
            else val -= (gm * gm) / (2 * delta);
          }
        }
      }
    }
    op.adjoint(H, grad);
    return val;
  };

  const maxOuter = options.maxOuter ?? 40, maxInner = options.maxInner ?? 2000;
  const ctolRel = options.constraintTol ?? 1e-10;
  let outer = 0, inner = 0, converged = false, violation = Infinity;
  for (; outer < maxOuter; outer++) {
    // Inexact AL: loose inner solves while the multipliers are far off, tightening 10× per step.
    const innerTol = Math.max(tol, scale * 1e-3 * Math.pow(0.1, outer));
    const res = fistaGroupLasso({ blocks: B, d, beta, lipschitz, smooth }, theta, { maxIterations: maxInner, tol: innerTol });
    inner += res.iterations;
    op.xt(theta, XT);
    let xmax = 0;
    violation = 0;
    let dgamma = 0;
    for (let r = 0; r < n; r++) {
      for (let s = 0; s < 2; s++) for (let i = 0; i < P; i++) {
        const sg = masks[i * n + r] ? 1 : -1;
        for (let k = 0; k < c; k++) {
          const b = r * B + (s * P + i) * c + k, cv = sg * XT[b]!;
          xmax = Math.max(xmax, Math.abs(cv));
          if (-cv > violation) violation = -cv;
          const ng = Math.max(0, gamma[b]! - delta * cv);
          dgamma = Math.max(dgamma, Math.abs(ng - gamma[b]!));
          gamma[b] = ng;
        }
      }
    }
    // Done when the inner solve converged, the cones hold, and the multipliers stopped moving.
    const ctol = ctolRel * Math.max(xmax, 1e-300);
    if (res.converged && innerTol === tol && violation <= ctol && dgamma <= delta * ctol) { converged = true; outer++; break; }
  }
  op.xt(theta, XT); op.predict(XT, Z);
  const primal = loss.value(Z, Y, n, c) + beta * groupNormSum(theta, B, d);
  const certificate = options.certify === false ? undefined : certifyPredictions(data, patterns, Z, beta, loss);
  const dual = certificate ? certificate.dualValue : -Infinity;
  const gap = primal - dual;
  return {
    theta, P, d, c, beta, patterns, loss: loss.name, predictions: Z.slice(), primal, violation, dual, gap,
    relativeGap: Math.abs(gap) / Math.max(1e-300, Math.abs(primal)), certificate,
    outerIterations: outer, innerIterations: inner, converged,
  };
}
