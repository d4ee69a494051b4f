import { batchSize } from './batch-size.js';
import { boundLossCorrelation } from './bound-loss-correlation.js';
import { convexDualityGap } from './convex-duality-gap.js';
import { deepLinearRankOne } from './deep-linear-rank-one.js';
import { depthSkip } from './depth-skip.js';
import { generalizationGap } from './generalization-gap.js';
import { labelNoiseFloor } from './label-noise-floor.js';
import { precursorDepthSkip } from './precursor-depth-skip.js';
import { sparsity } from './sparsity.js';
import { spline1d } from './spline-1d.js';
import type { Recipe } from './types.js';
import { widthKappa } from './width-kappa.js';

export type { DirectRecipe, GeneralizationData, Recipe, RecipeData, RecipeSize, RecipeSpec, StoreRow, SweepRecipe, Verdict, VerdictRow } from './types.js';
export { DEPTH_SKIP_THRESHOLDS, DEPTH_VARIANTS, depthSkip, runDepth } from './depth-skip.js';
export { LABEL_NOISE_THRESHOLDS, conflictOf, labelNoiseFloor } from './label-noise-floor.js';
export { WIDTH_KAPPA_THRESHOLDS, runWidth, widthKappa } from './width-kappa.js';
export { BATCH_SIZE_THRESHOLDS, batchSize } from './batch-size.js';
export { CORRELATION_THRESHOLDS, boundLossCorrelation, runCorrelations } from './bound-loss-correlation.js';
export { generalizationGap, generalizationVerdict, vacuityLimit } from './generalization-gap.js';
export { PRECURSOR_THRESHOLDS, precursorDepthSkip } from './precursor-depth-skip.js';
export { CONVEX_THRESHOLDS, convexDualityGap, type ConvexDualityResult, type ConvexProblemResult } from './convex-duality-gap.js';
export { DEEP_LINEAR_THRESHOLDS, deepLinearRankOne, type DeepLinearResult, type DeepLinearRun } from './deep-linear-rank-one.js';
export { SPLINE_THRESHOLDS, spline1d, splineLasso, type BiasMode, type SplineProblemResult, type SplineResult } from './spline-1d.js';
export { SPARSITY_THRESHOLDS, effectiveParameters, runSparsity, sparsity } from './sparsity.js';
export { spearman } from './stats.js';

/** Every recipe `clt reproduce` knows, in the order `--list` prints them. */
export const RECIPES: readonly Recipe[] = [
  widthKappa, depthSkip, sparsity, labelNoiseFloor, batchSize, boundLossCorrelation, generalizationGap, precursorDepthSkip,
  convexDualityGap, deepLinearRankOne, spline1d,
];

/**
 * The recipe with this id (e.g. `width-kappa`), from {@link RECIPES}.
 * @throws Error naming the known ids when none has this id.
 */
export function findRecipe(id: string): Recipe {
  const r = RECIPES.find((x) => x.id === id);
  if (!r) throw new Error(`unknown recipe "${id}"; known: ${RECIPES.map((x) => x.id).join(', ')} (clt reproduce --list describes them)`);
  return r;
}
