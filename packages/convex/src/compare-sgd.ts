import type { PatternSet } from './arrangements.js';
import { certifyNetwork } from './certify-network.js';
import type { ConvexReluSolution } from './convex-relu.js';
import type { Dataset } from './data.js';
import { squaredLoss, type ConvexLoss } from './losses.js';
import { recoverNetwork } from './network.js';
import { deepToTwoLayer, trainDeep } from './train.js';

/** One row of the SGD-versus-convex table. */
export interface SgdRun {
  readonly seed: number;
  readonly objective: number;
  /** objective − p* (≥ 0 when the pattern set is the full arrangement). */
  readonly excess: number;
  /** objective − dual bound from the run's own residual (certified distance to optimal). */
  readonly certifiedGap: number;
  readonly optimal: boolean;
}

/**
 * Train `runs` SGD/GD networks of the convex solution's width on the same objective
 * ℓ + (β/2)Σ‖·‖² and certify each against the pattern set: the side-by-side of issue 11.
 */
export function compareWithSgd(data: Dataset, patterns: PatternSet, sol: ConvexReluSolution, options: { loss?: ConvexLoss; runs?: number; steps?: number; optimizer?: 'gd' | 'sgd'; batchSize?: number; lr?: number; width?: number } = {}): { width: number; runs: SgdRun[] } {
  const loss = options.loss ?? squaredLoss;
  const width = options.width ?? Math.max(1, recoverNetwork(sol).m);
  const runs: SgdRun[] = [];
  for (let seed = 0; seed < (options.runs ?? 3); seed++) {
    const r = trainDeep(data, {
      sizes: [data.d, width, data.c], beta: sol.beta, loss, steps: options.steps ?? 3000, seed,
      optimizer: options.optimizer ?? 'gd', ...(options.batchSize ? { batchSize: options.batchSize } : {}), ...(options.lr ? { lr: options.lr } : {}),
    });
    const cert = certifyNetwork(deepToTwoLayer(r.net), data, patterns, sol.beta, { loss, optimum: sol.primal });
    runs.push({ seed, objective: cert.objective, excess: cert.objective - sol.primal, certifiedGap: cert.gap, optimal: cert.optimal });
  }
  return { width, runs };
}
