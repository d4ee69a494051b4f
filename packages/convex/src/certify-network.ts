import type { PatternSet } from './arrangements.js';
import { certifyPredictions, type DualCertificate } from './certificate.js';
import { groupNormSum } from './convex-relu.js';
import type { Dataset } from './data.js';
import { squaredLoss, type ConvexLoss } from './losses.js';
import { networkPredict, nonconvexObjective, toConvexVariables, type TwoLayerNet } from './network.js';

/** Is a trained two-layer ReLU network (e.g. from SGD) globally optimal? */
export interface NetworkCertificate {
  /** The (C1) objective of the network. */
  readonly objective: number;
  /** The (C4) objective of its convex variables (≤ objective for c = 1). */
  readonly convexObjective: number;
  /** Lower bound on the (C4) optimum over `patterns` ∪ the network's own patterns. */
  readonly dualValue: number;
  /** objective − dualValue: the network is within this of optimal (over the pattern set). */
  readonly gap: number;
  readonly relativeGap: number;
  /** relativeGap ≤ tol. */
  readonly optimal: boolean;
  /** If p* is known: objective − p*. */
  readonly excess?: number;
  readonly certificate: DualCertificate;
  readonly patterns: PatternSet;
}

/**
 * Certificate for a given network: map it to convex variables (merging its activation patterns
 * into `patterns`), build the dual point from its residual, and compare. A zero gap proves the
 * network optimal over the pattern set (globally when the set is the full arrangement); a positive
 * gap bounds how far it can be from optimal, and an `optimum` (from `solveConvexReLU`) above the
 * network's objective by more than tol proves it suboptimal.
 * @see spec/related-papers.md §C.4 "Forward map", "Dual certificate"
 */
export function certifyNetwork(net: TwoLayerNet, data: Dataset, patterns: PatternSet, beta: number, options: { loss?: ConvexLoss; optimum?: number; tol?: number } = {}): NetworkCertificate {
  const loss = options.loss ?? squaredLoss, tol = options.tol ?? 1e-6;
  const objective = nonconvexObjective(net, data, beta, loss);
  const mapped = toConvexVariables(net, data.X, data.n, patterns);
  const Z = networkPredict(net, data.X, data.n);
  const certificate = certifyPredictions(data, mapped.patterns, Z, beta, loss);
  const convexObjective = loss.value(Z, data.Y, data.n, data.c) + beta * groupNormSum(mapped.theta, 2 * mapped.patterns.P * data.c, data.d);
  const gap = objective - certificate.dualValue;
  const relativeGap = gap / Math.max(1e-300, Math.abs(objective));
  return {
    objective, convexObjective, dualValue: certificate.dualValue, gap, relativeGap, optimal: relativeGap <= tol,
    ...(options.optimum !== undefined ? { excess: objective - options.optimum } : {}),
    certificate, patterns: mapped.patterns,
  };
}
