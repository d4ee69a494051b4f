import { depthSkip } from './depth-skip.js';
import { labelNoiseFloor } from './label-noise-floor.js';
import type { Recipe } from './types.js';
import { widthKappa } from './width-kappa.js';

export type { Recipe, RecipeData, RecipeSize, RecipeSpec, StoreRow, Verdict, VerdictRow } from './types.js';
export { DEPTH_SKIP_THRESHOLDS, depthSkip, runDepth } from './depth-skip.js';
export { LABEL_NOISE_THRESHOLDS, conflictOf, labelNoiseFloor } from './label-noise-floor.js';
export { WIDTH_KAPPA_THRESHOLDS, runWidth, widthKappa } from './width-kappa.js';
export { spearman } from './stats.js';

/** Every recipe `clt reproduce` knows, in the order `--list` prints them. */
export const RECIPES: readonly Recipe[] = [widthKappa, depthSkip, labelNoiseFloor];

export function findRecipe(id: string): Recipe {
  const r = RECIPES.find((x) => x.id === id);
  if (!r) throw new Error(`unknown recipe "${id}"; known: ${RECIPES.map((x) => x.id).join(', ')} (clt reproduce --list describes them)`);
  return r;
}
