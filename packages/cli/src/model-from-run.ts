import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Option } from 'commander';
import { LeNet, loadCheckpoint, Mlp, modelFromDescription, ResNet, Vit, type Activation, type Checkpoint, type Model } from '@clt/core';
import type { Dataset, SplitDataset } from './data/index.js';
import { loadDataset } from './data/index.js';
import { int, widths } from './options.js';

/** `--model` choices of `clt train` and `clt probe`. */
export const MODEL_CHOICES = ['mlp', 'lenet', 'resnet18', 'vit'] as const;
export type ModelChoice = (typeof MODEL_CHOICES)[number];

/** What each model option means and which models read it (for help and for refusing misplaced options). */
const MODEL_OPTION_USERS: Record<string, readonly ModelChoice[]> = {
  hidden: ['mlp'], skip: ['mlp'], layerNorm: ['mlp'], sparsity: ['mlp'],
  width: ['resnet18', 'vit'], blocks: ['resnet18'], residual: ['resnet18'],
  patch: ['vit'], heads: ['vit'], vitDepth: ['vit'], mlpRatio: ['vit'],
};

/** "k" → [k, 2, 2, 2] (the precursor's sweep over the first stage); "2,2,2,2" → per stage. */
export function parseBlocks(v: string): number[] {
  const parts = v.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.some((s) => !/^\d{1,4}$/.test(s)) || nums.every((x) => x === 0))
    throw new Error(`--blocks must be a block count k (first stage; the others keep ResNet-18's 2) or blocks per stage like 2,2,2,2, got "${v}"`);
  return nums.length === 1 ? [nums[0]!, 2, 2, 2] : nums;
}

/**
 * The model options shared by `clt train` and `clt probe`. None has a commander default (the
 * defaults are applied in `modelFromOptions`), so sweep run ids of MLP configs stay what they were.
 */
export function modelOptions(): Option[] {
  return [
    new Option('--model <kind>', 'model: mlp | lenet (LeNet-5) | resnet18 (ResNet-18 layout, per-sample LayerNorm) | vit (small Vision Transformer); default mlp. See docs/models.md').choices([...MODEL_CHOICES]),
    new Option('--width <n>', 'resnet18: channels of the first stage (default 64; stage s has width·2^s); vit: token width (default 64)').argParser(int('--width')),
    new Option('--blocks <k|list>', 'resnet18: basic blocks in the first stage (k; the others keep 2) or per stage, e.g. 2,2,2,2 (default)'),
    new Option('--residual <on|off>', 'resnet18: skip connections (default on; off removes every shortcut)').choices(['on', 'off']),
    new Option('--patch <p>', 'vit: patch side (default 4; must divide the image side)').argParser(int('--patch')),
    new Option('--heads <n>', 'vit: attention heads (default 4; must divide --width)').argParser(int('--heads')),
    new Option('--vit-depth <n>', 'vit: transformer blocks (default 4)').argParser(int('--vit-depth')),
    new Option('--mlp-ratio <r>', 'vit: MLP width as a multiple of --width (default 2)').argParser(int('--mlp-ratio')),
  ];
}

const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** Defaults of the MLP options as `clt train`/`clt probe` declare them: a value other than these is "given". */
const MLP_DEFAULTS: Record<string, unknown> = { hidden: '256,256', skip: undefined, layerNorm: undefined, sparsity: 0 };

/**
 * The model `opts` describe for data `train` (its width, classes and image shape), seeded like
 * `clt train` (the sparsity mask from --seed). Refuses model options that the chosen model would
 * ignore, and image models on flat data.
 */
export function modelFromOptions(opts: Record<string, any>, train: Dataset): Model {
  const kind: ModelChoice = opts.model ?? 'mlp';
  if (!MODEL_CHOICES.includes(kind)) throw new Error(`--model must be one of ${MODEL_CHOICES.join(', ')}, got "${kind}"`);
  const misplaced = Object.entries(MODEL_OPTION_USERS).filter(([k, users]) => {
    if (users.includes(kind)) return false;
    const v = opts[k];
    return v !== undefined && v !== false && (k in MLP_DEFAULTS ? v !== MLP_DEFAULTS[k] : true);
  });
  if (misplaced.length)
    throw new Error(misplaced.map(([k, users]) => `${flag(k)} applies to --model ${users.join('/')}, not ${kind}`).join('; ') + '; drop it or choose that model');
  const activation = (opts.activation ?? 'relu') as Activation;
  if (kind === 'mlp') return new Mlp({ sizes: [train.dim, ...widths(opts.hidden ?? '256,256'), train.classes], activation, skip: !!opts.skip, layerNorm: !!opts.layerNorm, sparsity: opts.sparsity ?? 0, maskSeed: opts.seed ?? 0 });
  const input = train.image;
  if (!input) throw new Error(`--model ${kind} needs an image data set (mnist, fashion-mnist, cifar10 or cifar100); ${train.name} has ${train.dim} flat features and no image shape`);
  if (kind === 'lenet') return new LeNet({ input, classes: train.classes, activation });
  if (kind === 'resnet18') return new ResNet({ input, classes: train.classes, activation, width: opts.width ?? 64, blocks: opts.blocks !== undefined ? parseBlocks(String(opts.blocks)) : [2, 2, 2, 2], residual: opts.residual !== 'off' });
  return new Vit({ input, classes: train.classes, activation, width: opts.width ?? 64, patch: opts.patch ?? 4, heads: opts.heads ?? 4, depth: opts.vitDepth ?? 4, mlpRatio: opts.mlpRatio ?? 2 });
}

/** One line naming the model: "MLP 784-256-256-10 relu", "LeNet-5 relu", "ResNet (width 16, blocks 2,2,2,2, residual) relu", … */
export function modelLine(model: Model): string {
  if (model instanceof Mlp) return `MLP ${model.options.sizes.join('-')} ${model.activation}${model.options.skip ? ', skip' : ''}${model.options.layerNorm ? ', LayerNorm' : ''}`;
  if (model instanceof LeNet) return `LeNet-5 ${model.activation}, ${model.pool}-pool`;
  if (model instanceof ResNet) return `ResNet (width ${model.width}, blocks ${model.blocks.join(',')}, ${model.residual ? 'residual' : 'no skips'}, per-sample LayerNorm) ${model.activation}`;
  if (model instanceof Vit) return `ViT (patch ${model.patch}, width ${model.width}, depth ${model.depth}, ${model.heads} heads, MLP ×${model.mlpRatio}, mean pooling) ${model.activation}`;
  return model.kind;
}

/** The model, trained weights and data split of a run directory (from its checkpoint). */
export function loadRun(dir: string): { model: Model; checkpoint: Checkpoint; data: SplitDataset } {
  const path = join(dir, 'checkpoint');
  if (!existsSync(path)) throw new Error(`${dir} has no checkpoint; train first with \`clt train --name ...\`, or pass --data/--hidden to probe a freshly initialized model`);
  const checkpoint = loadCheckpoint(path);
  const c = checkpoint.config as { model: Record<string, unknown>; data?: SplitDataset['info'] };
  const model = modelFromDescription(c.model);
  if (!c.data) throw new Error(`${path} does not record its data set; it was not written by \`clt train\``);
  const d = c.data;
  const data = loadDataset(d.source, {
    seed: d.seed, testFraction: d.testFraction || 0.15, standardize: d.standardized,
    ...(d.limit !== undefined ? { limit: d.limit } : {}), ...(d.mini !== undefined ? { mini: d.mini } : {}),
    ...(d.dataPath !== undefined ? { dataPath: d.dataPath } : {}), normalize: d.normalization ?? 'none',
  });
  return { model, checkpoint, data };
}
