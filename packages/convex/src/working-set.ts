import type { PatternSet } from './arrangements.js';
import { certifyPredictions } from './certificate.js';
import { certificateStatus, solveConvexReLU, type ConvexReluOptions, type ConvexReluSolution } from './convex-relu.js';
import { SolveClock, type StopReason } from './progress.js';
import type { Dataset } from './data.js';
import { checkBeta } from './errors.js';
import { squaredLoss } from './losses.js';

/**
 * Options of {@link solveConvexReLUWorkingSet}: those of {@link solveConvexReLU} (applied to each
 * working-set solve; `timeLimit` bounds all rounds together) plus the working-set schedule.
 */
export interface WorkingSetOptions extends ConvexReluOptions {
  /** Patterns in the first working set (those with the largest dual constraint at θ = 0). Default min(P, 2n). */
  readonly initial?: number;
  /** Most violated patterns added per round. Default 2n. */
  readonly addPerRound?: number;
  /** Most working-set rounds (solve, certify, add). Default 100. */
  readonly maxRounds?: number;
  /** A pattern violates when its constraint exceeds β(1 + tol). Default 1e-7. */
  readonly tol?: number;
}

/**
 * (C4) over a large pattern set by constraint generation on the dual: solve on a working set,
 * certify the solution against EVERY pattern (cone projections only, no solve), add the patterns
 * whose dual constraint ‖Π_{K_i}(±(D_iX)ᵀλ)‖ exceeds β, and repeat. When no pattern violates,
 * the working-set solution (padded with zero blocks) is optimal for the whole set: it is primal
 * feasible there and its residual is dual feasible for all patterns with the same objective.
 * This makes the full arrangement of 2-D data with a bias (thousands of patterns) tractable
 * because optimal solutions use few patterns.
 *
 * `timeLimit` bounds the whole run (all rounds); `onProgress` reports cumulative steps.
 *
 * Cost: rounds × (a (C4) solve on the working set + 2·P·c cone projections).
 */
export function solveConvexReLUWorkingSet(data: Dataset, patterns: PatternSet, beta: number, options: WorkingSetOptions = {}): ConvexReluSolution & { rounds: number; working: number } {
  checkBeta(beta);
  const loss = options.loss ?? squaredLoss;
  const { n, c, d } = data, P = patterns.P;
  const score = (constraint: Float64Array): Float64Array => {
    const s = new Float64Array(P);
    for (let i = 0; i < P; i++) for (let k = 0; k < c; k++) s[i] = Math.max(s[i]!, constraint[i * c + k]!, constraint[(P + i) * c + k]!);
    return s;
  };
  const initScore = score(certifyPredictions(data, patterns, new Float64Array(n * c), beta, loss).constraint);
  const order = Array.from({ length: P }, (_, i) => i).sort((a, b) => initScore[b]! - initScore[a]!);
  const inSet = new Uint8Array(P), working: number[] = [];
  for (const i of order.slice(0, Math.min(P, options.initial ?? 2 * n))) { inSet[i] = 1; working.push(i); }
  const tol = options.tol ?? 1e-7, add = options.addPerRound ?? 2 * n, maxRounds = options.maxRounds ?? 100;
  let theta: Float64Array = new Float64Array(0), rounds = 0;
  let sol: ConvexReluSolution | undefined;
  const clock = new SolveClock(options.timeLimit);
  const gapTol = options.gapTol ?? 1e-9;
  let innerTotal = 0, outerTotal = 0;
  for (; rounds < maxRounds; rounds++) {
    const Pw = working.length, masks = new Uint8Array(Pw * n);
    working.forEach((i, w) => masks.set(patterns.masks.subarray(i * n, (i + 1) * n), w * n));
    // Warm start: previous blocks in their old slots, new patterns at zero.
    const warm = new Float64Array(2 * Pw * c * d);
    const prevP = theta.length / (2 * c * d);
    for (let s = 0; s < 2; s++) for (let w = 0; w < prevP; w++) for (let k = 0; k < c; k++) {
      warm.set(theta.subarray(((s * prevP + w) * c + k) * d, ((s * prevP + w) * c + k + 1) * d), ((s * Pw + w) * c + k) * d);
    }
    // The working-set solve certifies itself on its own patterns (so it stops on its gap) and
    // returns a point projected onto those cones: padded with zeros it is feasible for the whole
    // set, so its primal value and the full-set dual below bound the same optimum.
    const left = options.timeLimit === undefined ? undefined : Math.max(1e-3, options.timeLimit - clock.seconds());
    sol = solveConvexReLU(data, { n, P: Pw, masks }, beta, {
      ...options, certify: true, warmStart: warm, ...(left !== undefined ? { timeLimit: left } : {}),
      ...(options.onProgress ? { onProgress: (p) => options.onProgress!({ ...p, outer: outerTotal + p.outer, inner: innerTotal + p.inner, seconds: clock.seconds() }) } : {}),
    });
    innerTotal += sol.innerIterations; outerTotal += sol.outerIterations;
    theta = sol.theta;
    const cert = certifyPredictions(data, patterns, sol.predictions, beta, loss);
    const sc = score(cert.constraint);
    const viol = order.filter((i) => !inSet[i] && sc[i]! > beta * (1 + tol)).sort((a, b) => sc[b]! - sc[a]!);
    const timeUp = clock.expired();
    if (viol.length === 0 || rounds + 1 === maxRounds || timeUp) {
      // Pad to the full pattern set so pattern indices refer to `patterns`.
      const full = new Float64Array(2 * P * c * d);
      for (let s = 0; s < 2; s++) working.forEach((i, w) => { for (let k = 0; k < c; k++) full.set(theta.subarray(((s * Pw + w) * c + k) * d, ((s * Pw + w) * c + k + 1) * d), ((s * P + i) * c + k) * d); });
      const gap = Math.max(0, sol.primal - cert.dualValue);
      const relativeGap = gap / Math.max(1e-300, Math.abs(sol.primal));
      const certified = relativeGap <= gapTol;
      const stopReason: StopReason = timeUp && !certified ? 'time-limit' : viol.length > 0 && !certified ? 'iteration-limit' : sol.stopReason;
      return {
        ...sol, theta: full, P, patterns, certificate: cert, dual: cert.dualValue, gap, relativeGap,
        converged: sol.converged && viol.length === 0 && certified, certified, stopReason,
        status: certificateStatus(certified, stopReason, relativeGap, gapTol, clock.seconds()),
        innerIterations: innerTotal, outerIterations: outerTotal, seconds: clock.seconds(),
        rounds: rounds + 1, working: Pw,
      };
    }
    for (const i of viol.slice(0, add)) { inSet[i] = 1; working.push(i); }
  }
  throw new Error('unreachable');
}
