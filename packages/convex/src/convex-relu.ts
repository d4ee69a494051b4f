import type { PatternSet } from './arrangements.js';
import type { Dataset } from './data.js';
import { checkBeta, DEFAULT_MEMORY_BUDGET } from './errors.js';
import { fistaGroupLasso } from './fista.js';
import { checkTargets, squaredLoss, type ConvexLoss } from './losses.js';
import { PatternOperator, spectralNormSquared } from './pattern-operator.js';
import { certifyPredictions, type DualCertificate } from './certificate.js';
import { projectToCones } from './feasible.js';
import { SolveClock, type SolveProgress, type StopReason } from './progress.js';

/** Options of {@link solveConvexReLU}: loss, iteration budgets, tolerances, time limit and progress. */
export interface ConvexReluOptions {
  /** The loss ℓ: {@link squaredLoss} (default) or {@link softmaxLoss} (targets must be probability rows). */
  readonly loss?: ConvexLoss;
  /** Outer augmented-Lagrangian iterations (multiplier updates). Default 60. */
  readonly maxOuter?: number;
  /** FISTA iterations of the first outer step; doubled after each inner solve that runs out, up to maxInnerGrowth×. Default 2000. */
  readonly maxInner?: number;
  /** Cap on the adaptive growth of the inner budget, as a multiple of maxInner. Default 32. */
  readonly maxInnerGrowth?: number;
  /**
   * Stop (and report `certified`) once the certified relative gap (primal − dual)/|primal| of the
   * cone-projected iterate is ≤ gapTol. Default 1e-9. Ignored with `certify: false`.
   */
  readonly gapTol?: number;
  /** Wall-clock limit in seconds; the solve stops and reports `stopReason: 'time-limit'`. Default none. */
  readonly timeLimit?: number;
  /** Called after each outer step (at most every `progressInterval` seconds, and once at the end). */
  readonly onProgress?: (p: SolveProgress) => void;
  /** Seconds between progress calls. Default 1. */
  readonly progressInterval?: number;
  /** Gradient-mapping tolerance of the inner solves, relative to ‖Aᵀ∇ℓ(0)‖∞ + β. Default 1e-11. */
  readonly tol?: number;
  /** Constraint-violation tolerance, relative to max|X θ|. Default 1e-10. */
  readonly constraintTol?: number;
  /** AL penalty δ as a multiple of the balanced value smoothness·‖A‖²/‖X‖². Default 1. */
  readonly penaltyScale?: number;
  /** Warm start θ (B×d, see PatternOperator), e.g. from `toConvexVariables`. */
  readonly warmStart?: Float64Array;
  /**
   * Bytes the pattern operator's work arrays may take (default {@link DEFAULT_MEMORY_BUDGET}, 512 MiB);
   * over it the solve throws a {@link ConvexInputError} before any work.
   */
  readonly memoryBudgetBytes?: number;
  /** Compute the dual certificate (2·P·c cone projections per outer step) and stop on the gap. Default true. */
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
  /**
   * Primal value ℓ(Z) + β Σ(‖v‖ + ‖w‖) of θ. With the certificate, θ is the iterate projected onto
   * the cones, so this is an upper bound on the optimum over the pattern set.
   */
  readonly primal: number;
  /** max over blocks and rows of ((I − 2D_i) X θ_b)_+ (round-off only once projected). */
  readonly violation: number;
  /** Lower bound from the dual point λ = s·(−∇ℓ(Z)) scaled into the dual feasible set. */
  readonly dual: number;
  /** primal − dual ≥ 0: the optimum lies in [dual, primal]. */
  readonly gap: number;
  readonly relativeGap: number;
  /** Absent when solved with `certify: false` (then dual = −∞). */
  readonly certificate: DualCertificate | undefined;
  readonly outerIterations: number;
  readonly innerIterations: number;
  /** Stopped on its own tolerance (not a limit) and, with the certificate, `certified`. */
  readonly converged: boolean;
  /** relativeGap ≤ gapTol at a primal-feasible point with a dual-feasible point: optimal to that tolerance. */
  readonly certified: boolean;
  /** Why the solve stopped. */
  readonly stopReason: StopReason;
  /** One line for users: "certified: …" or "not certified: <why> …". */
  readonly status: string;
  readonly seconds: number;
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
  const delta0 = (options.penaltyScale ?? 1) * loss.smoothness * a2 / Math.max(x2, 1e-300);
  let delta = delta0, lipschitz = 1.02 * (loss.smoothness * a2 + delta * x2);
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

  const maxOuter = options.maxOuter ?? 60, maxInnerBase = options.maxInner ?? 2000;
  const innerCap = options.maxInnerGrowth ?? 32;
  const ctolRel = options.constraintTol ?? 1e-10;
  const certify = options.certify !== false;
  const gapTol = options.gapTol ?? 1e-9;
  const clock = new SolveClock(options.timeLimit, options.onProgress, options.progressInterval);
  let outer = 0, inner = 0, converged = false, violation = Infinity, maxInner = maxInnerBase;
  let stop: StopReason = 'iteration-limit';
  let best: CertifiedPoint | undefined, bestOuter = 0, prevViolation = Infinity;
  let last = { primal: NaN, dual: -Infinity, gap: Infinity, relativeGap: Infinity };
  for (; outer < maxOuter; outer++) {
    // Inexact AL: loose inner solves while the multipliers are far off, tightening 10× per step.
    const innerTol = Math.max(tol, scale * 1e-3 * Math.pow(0.1, outer));
    // Polled every 64 FISTA steps: one inner solve can take minutes on MNIST-sized sets.
    const shouldStop = (it: number): boolean => { clock.progress({ ...last, outer, inner: inner + it, violation }); return clock.expired(); };
    const res = fistaGroupLasso({ blocks: B, d, beta, lipschitz, smooth }, theta, { maxIterations: maxInner, tol: innerTol, shouldStop });
    inner += res.iterations;
    // Adaptive inner budget: an inner solve that ran out of steps gets twice as many next time
    // (up to maxInnerGrowth×), so small but ill-conditioned problems still reach tight gaps.
    if (!res.converged && res.iterations >= maxInner) maxInner = Math.min(maxInner * 2, maxInnerBase * innerCap);
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
    // Adaptive penalty (standard AL practice): when an outer step cut the violation by less than
    // 4×, the multipliers are converging slowly (rate ~ 1/(1 + δσ)), so raise δ, up to 1e4·δ₀.
    if (violation > ctol && violation > 0.25 * prevViolation && delta < PENALTY_GROWTH_CAP * delta0) {
      delta = Math.min(delta * 2, PENALTY_GROWTH_CAP * delta0);
      lipschitz = 1.02 * (loss.smoothness * a2 + delta * x2);
    }
    prevViolation = violation;
    const kkt = res.converged && innerTol === tol && violation <= ctol && dgamma <= delta * ctol;
    if (certify) {
      // The certified gap of the feasible projection decides: it is the quantity users read.
      const pt = certifiedPoint(data, patterns, theta, beta, loss);
      if (!best || pt.gap < best.gap * (1 - 1e-3)) { best = pt; bestOuter = outer; }
      last = { primal: best.primal, dual: best.dual, gap: best.gap, relativeGap: best.relativeGap };
      clock.progress({ outer: outer + 1, inner, primal: pt.primal, dual: pt.dual, gap: pt.gap, relativeGap: pt.relativeGap, violation });
      if (pt.relativeGap <= gapTol) { converged = true; stop = 'gap'; outer++; break; }
    } else {
      clock.progress({ outer: outer + 1, inner, primal: NaN, dual: -Infinity, gap: Infinity, relativeGap: Infinity, violation });
    }
    // With the certificate the gap alone decides: the KKT test can pass while the projected
    // point is still 10× above gapTol, and a few more multiplier steps close it.
    if (kkt && !certify) { converged = true; stop = 'converged'; outer++; break; }
    if (certify && best && outer - bestOuter >= STALL_OUTER) { stop = 'stalled'; outer++; break; }
    if (clock.expired()) { stop = 'time-limit'; outer++; break; }
  }
  const seconds = clock.seconds();
  if (best) clock.progress({ outer, inner, primal: best.primal, dual: best.dual, gap: best.gap, relativeGap: best.relativeGap, violation }, true);
  if (!certify) {
    op.xt(theta, XT); op.predict(XT, Z);
    const primal = loss.value(Z, Y, n, c) + beta * groupNormSum(theta, B, d);
    return {
      theta, P, d, c, beta, patterns, loss: loss.name, predictions: Z.slice(), primal, violation, dual: -Infinity, gap: Infinity,
      relativeGap: Infinity, certificate: undefined, outerIterations: outer, innerIterations: inner, converged,
      certified: false, stopReason: stop, status: 'not certified: solved with certify: false', seconds,
    };
  }
  const pt = best ?? certifiedPoint(data, patterns, theta, beta, loss);
  const certified = pt.relativeGap <= gapTol;
  return {
    theta: pt.theta, P, d, c, beta, patterns, loss: loss.name, predictions: pt.Z, primal: pt.primal, violation: pt.violation,
    dual: pt.dual, gap: pt.gap, relativeGap: pt.relativeGap, certificate: pt.certificate,
    outerIterations: outer, innerIterations: inner, converged: converged && certified, certified, stopReason: stop,
    status: certificateStatus(certified, stop, pt.relativeGap, gapTol, seconds), seconds,
  };
}

/** The adaptive AL penalty never exceeds this multiple of its balanced start (it slows FISTA). */
const PENALTY_GROWTH_CAP = 1e4;

/** Outer steps without a 0.1% better certified gap after which a solve counts as stalled. */
const STALL_OUTER = 8;

/** A primal-feasible point with its dual bound: p* ∈ [dual, primal] over the pattern set. */
interface CertifiedPoint {
  readonly theta: Float64Array;
  readonly Z: Float64Array;
  readonly primal: number;
  readonly dual: number;
  readonly gap: number;
  readonly relativeGap: number;
  readonly violation: number;
  readonly certificate: DualCertificate;
}

/**
 * Project θ onto the cones (so the primal value is an upper bound on p*), then build the dual
 * point from its residual scaled into the dual feasible set (a lower bound). Both are bounds on
 * the same optimum, so the gap is ≥ 0 up to round-off.
 */
export function certifiedPoint(data: Dataset, patterns: PatternSet, theta: Float64Array, beta: number, loss: ConvexLoss): CertifiedPoint {
  const { X, Y, n, d, c } = data;
  const B = 2 * patterns.P * c;
  const th = projectToCones(theta, X, n, d, patterns, c);
  const Z = convexPredict(X, n, d, patterns, c, th);
  const primal = loss.value(Z, Y, n, c) + beta * groupNormSum(th, B, d);
  const certificate = certifyPredictions(data, patterns, Z, beta, loss);
  const dual = certificate.dualValue;
  const raw = primal - dual;
  // Round-off: both values are sums of O(n·c) terms of size ≤ |primal|.
  const roundoff = 64 * Number.EPSILON * Math.max(1, Math.abs(primal)) * Math.max(1, n * c);
  if (raw < -roundoff) {
    throw new Error(`internal error: the certified duality gap is negative (${raw.toExponential(3)}) at a primal-feasible point with a scaled dual point; please report this with the data`);
  }
  const gap = Math.max(0, raw);
  return { theta: th, Z, primal, dual, gap, relativeGap: gap / Math.max(1e-300, Math.abs(primal)), violation: coneViolation(X, n, d, patterns, c, th), certificate };
}

/** Z = Σ_i D_i X (v_i − w_i) for a B×d θ (B = 2·P·c). */
function convexPredict(X: Float64Array, n: number, d: number, patterns: PatternSet, c: number, theta: Float64Array): Float64Array {
  const P = patterns.P, Z = new Float64Array(n * c);
  for (let i = 0; i < P; i++) for (let k = 0; k < c; k++) {
    const bv = (i * c + k) * d, bw = ((P + i) * c + k) * d;
    for (let r = 0; r < n; r++) {
      if (!patterns.masks[i * n + r]) continue;
      let z = 0;
      for (let j = 0; j < d; j++) z += X[r * d + j]! * (theta[bv + j]! - theta[bw + j]!);
      Z[r * c + k]! += z;
    }
  }
  return Z;
}

/** max over blocks and rows of ((I − 2D_i) X θ_b)_+. */
function coneViolation(X: Float64Array, n: number, d: number, patterns: PatternSet, c: number, theta: Float64Array): number {
  const P = patterns.P;
  let v = 0;
  for (let s = 0; s < 2; s++) for (let i = 0; i < P; i++) for (let k = 0; k < c; k++) {
    const o = ((s * P + i) * c + k) * d;
    for (let r = 0; r < n; r++) {
      let z = 0;
      for (let j = 0; j < d; j++) z += X[r * d + j]! * theta[o + j]!;
      const sv = patterns.masks[i * n + r] ? -z : z;
      if (sv > v) v = sv;
    }
  }
  return v;
}

/** The one-line verdict the CLI prints: certified, or not certified and why. */
export function certificateStatus(certified: boolean, stop: StopReason, relativeGap: number, gapTol: number, seconds: number): string {
  if (certified) return `certified: relative duality gap ${relativeGap.toExponential(2)} ≤ ${gapTol.toExponential(0)}`;
  const why = stop === 'time-limit' ? `the time limit was reached after ${seconds.toFixed(1)} s`
    : stop === 'iteration-limit' ? 'the iteration limit was reached'
      : stop === 'stalled' ? `the gap stopped shrinking for ${STALL_OUTER} outer steps (round-off or an ill-conditioned pattern set)`
        : 'the KKT tolerances were met first';
  return `not certified: ${why} with relative duality gap ${relativeGap.toExponential(2)} > ${gapTol.toExponential(0)} (the bounds dual ≤ p* ≤ primal still hold); raise the time limit or the iteration budget (maxOuter/maxInner), or loosen gapTol`;
}
