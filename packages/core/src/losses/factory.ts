import { bernoulliLoss } from './bernoulli.js';
import { entmax15Loss, entmaxLoss, type EntmaxOptions } from './entmax.js';
import type { FYLoss } from './fenchel-young.js';
import { poissonLoss } from './poisson.js';
import { softmaxLoss } from './softmax.js';
import { sparsemaxLoss } from './sparsemax.js';
import { squaredLoss } from './squared.js';
import { LossInputError } from './validate.js';

/** Names accepted by `fyLoss` (also `entmax-<α>`, e.g. 'entmax-1.3'). */
export const FY_LOSS_NAMES = ['softmax', 'sparsemax', 'entmax-1.5', 'squared', 'bernoulli', 'poisson'] as const;
/** A built-in Fenchel–Young loss name accepted by {@link fyLoss}: one of {@link FY_LOSS_NAMES} (an entmax of another α is named `entmax-<α>`, see {@link FYLossSpec}). */
export type FYLossName = (typeof FY_LOSS_NAMES)[number];

/** A loss by name, an entmax with its α (and options), or a ready-made loss object. */
export type FYLossSpec = FYLossName | `entmax-${number}` | ({ kind: 'entmax'; alpha: number } & EntmaxOptions) | FYLoss;

const BY_NAME: Record<FYLossName, FYLoss> = {
  softmax: softmaxLoss, sparsemax: sparsemaxLoss, 'entmax-1.5': entmax15Loss,
  squared: squaredLoss, bernoulli: bernoulliLoss, poisson: poissonLoss,
};

/**
 * Resolve a Fenchel–Young loss: `fyLoss('softmax')`, `fyLoss('entmax-1.3')`,
 * `fyLoss({ kind: 'entmax', alpha: 1.2, method: 'bisect' })`. Objects that are already losses pass
 * through, so APIs can take an `FYLossSpec` and call this once.
 */
export function fyLoss(spec: FYLossSpec): FYLoss {
  if (typeof spec === 'string') {
    if (spec in BY_NAME) return BY_NAME[spec as FYLossName];
    const m = /^entmax-(.+)$/.exec(spec);
    if (m && Number.isFinite(Number(m[1]))) return entmaxLoss(Number(m[1]));
    throw new LossInputError('fyLoss', `unknown loss '${spec}'; use one of ${FY_LOSS_NAMES.join(', ')} or 'entmax-<α>' with α ≥ 1`);
  }
  if (spec && typeof spec === 'object' && 'kind' in spec && spec.kind === 'entmax') {
    const { alpha, ...options } = spec;
    return entmaxLoss(alpha, options);
  }
  if (spec && typeof spec === 'object' && 'ir' in spec && 'host' in spec) return spec;
  throw new LossInputError('fyLoss', `cannot make a loss from ${JSON.stringify(spec)}; give a name (${FY_LOSS_NAMES.join(', ')}), { kind: 'entmax', alpha } or an FYLoss`);
}
