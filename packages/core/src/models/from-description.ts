import { LeNet, type LeNetOptions } from './lenet.js';
import { Mlp, type MlpOptions } from './mlp.js';
import type { Model } from './model.js';
import { ResNet, type ResNetOptions } from './resnet.js';
import { Vit, type VitOptions } from './vit.js';

/** The model kinds `describe()` can name, each rebuilt by `modelFromDescription`. */
export const MODEL_KINDS = ['mlp', 'lenet', 'resnet', 'vit'] as const;
/** A model kind {@link modelFromDescription} can rebuild: one of {@link MODEL_KINDS}. */
export type ModelKind = (typeof MODEL_KINDS)[number];

/**
 * The model a `describe()` record (as stored in checkpoints and summaries) names, rebuilt with the
 * same options: same parameters, same shapes, same forward pass. Initial values are not part of a
 * description; they come from the checkpoint or a seeded `initParams`.
 */
export function modelFromDescription(description: Record<string, unknown>): Model {
  if (!description || typeof description !== 'object') throw new Error(`model description must be an object with a "kind", got ${JSON.stringify(description)}`);
  const { kind, ...options } = description;
  switch (kind) {
    case 'mlp': return new Mlp(options as unknown as MlpOptions);
    case 'lenet': return new LeNet(options as unknown as LeNetOptions);
    case 'resnet': return new ResNet(options as unknown as ResNetOptions);
    case 'vit': return new Vit(options as unknown as VitOptions);
    default: throw new Error(`unknown model kind ${JSON.stringify(kind)}; this version of clt knows ${MODEL_KINDS.join(', ')}`);
  }
}
