/**
 * A labelled classification data set held in typed arrays: row-major features `x` [n·dim] in
 * float32 and integer class labels in [0, classes). Everything the trainer and the probes take.
 */
export interface Dataset {
  readonly name: string;
  readonly n: number;
  readonly dim: number;
  readonly classes: number;
  /** Row-major [n, dim]. */
  readonly x: Float32Array;
  /** Class index per row, in [0, classes). */
  readonly labels: Int32Array;
  /** Human-readable class names (index = label), when the source has them. */
  readonly classNames?: readonly string[];
  /**
   * Image layout [channels, height, width] of each row (row-major C·H·W: channel planes of
   * row-major pixels), for image data sets; absent for flat features. Conv models need it.
   */
  readonly image?: readonly [number, number, number];
}

/** A fixed train/test split plus how it was made (so a report can say it). */
export interface SplitDataset {
  readonly train: Dataset;
  readonly test: Dataset;
  readonly info: {
    readonly source: string;
    readonly seed: number;
    readonly testFraction: number;
    readonly standardized: boolean;
    /** A data set whose floor is known by construction (synthetic conflicting duplicates). */
    readonly knownFloor?: number;
    readonly note?: string;
    /** Per-channel normalisation applied (see NORMALIZATION), when not none. */
    readonly normalization?: 'standard';
    /** Rows kept before splitting (--limit), when given. */
    readonly limit?: number;
    /** Training rows of a mini set drawn from the training half (--mini), when given. */
    readonly mini?: number;
    /** Folder the files were read from (CIFAR), when the set is not shipped by a package. */
    readonly dataPath?: string;
  };
}

/** Check the invariants of a data set; throws a message naming the first broken one. */
export function validateDataset(d: Dataset): Dataset {
  if (!Number.isInteger(d.n) || d.n < 1) throw new Error(`${d.name}: empty data set (n = ${d.n})`);
  if (d.x.length !== d.n * d.dim) throw new Error(`${d.name}: ${d.x.length} feature values, expected n·dim = ${d.n}·${d.dim}`);
  if (d.labels.length !== d.n) throw new Error(`${d.name}: ${d.labels.length} labels for ${d.n} rows`);
  for (let i = 0; i < d.n; i++) {
    const c = d.labels[i]!;
    if (!(c >= 0 && c < d.classes)) throw new Error(`${d.name}: label ${c} of row ${i} is outside [0, ${d.classes})`);
  }
  for (let i = 0; i < d.x.length; i++)
    if (!Number.isFinite(d.x[i]!)) throw new Error(`${d.name}: feature ${i % d.dim} of row ${Math.floor(i / d.dim)} is ${d.x[i]} (not finite)`);
  return d;
}

/** The rows `idx` of `d`, in that order, as a new data set. */
export function subset(d: Dataset, idx: ArrayLike<number>, name = d.name): Dataset {
  const x = new Float32Array(idx.length * d.dim), labels = new Int32Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    x.set(d.x.subarray(i * d.dim, (i + 1) * d.dim), k * d.dim);
    labels[k] = d.labels[i]!;
  }
  return { ...d, name, n: idx.length, x, labels };
}

/** Number of rows per class. */
export function classCounts(d: Dataset): Int32Array {
  const c = new Int32Array(d.classes);
  for (let i = 0; i < d.n; i++) c[d.labels[i]!]!++;
  return c;
}

/**
 * Per-feature standardization (x − μ)/σ with μ, σ from the TRAINING rows only (so no test
 * information leaks into training). Constant features (σ < 1e-6, e.g. MNIST's border pixels) are
 * centred but not scaled, which keeps them at exactly 0 instead of dividing by ~0.
 */
export function standardize(split: { train: Dataset; test: Dataset }): { train: Dataset; test: Dataset; mean: Float64Array; std: Float64Array } {
  const { train, test } = split, w = train.dim;
  if (test.dim !== w) throw new Error(`standardize: train has ${w} features, test has ${test.dim}`);
  const mean = new Float64Array(w), sq = new Float64Array(w);
  for (let i = 0; i < train.n; i++)
    for (let j = 0; j < w; j++) { const v = train.x[i * w + j]!; mean[j]! += v; sq[j]! += v * v; }
  const std = new Float64Array(w);
  for (let j = 0; j < w; j++) {
    mean[j]! /= train.n;
    const s = Math.sqrt(Math.max(0, sq[j]! / train.n - mean[j]! * mean[j]!));
    std[j] = s < 1e-6 ? 1 : s;
  }
  const apply = (d: Dataset): Dataset => {
    const x = new Float32Array(d.x.length);
    for (let i = 0; i < d.n; i++) for (let j = 0; j < w; j++) x[i * w + j] = (d.x[i * w + j]! - mean[j]!) / std[j]!;
    return { ...d, x };
  };
  return { train: apply(train), test: apply(test), mean, std };
}

/**
 * The standard per-channel normalisation x ↦ (x − mean_c) / std_c of each image data set, with the
 * commonly published constants (pixels in [0, 1]; mean and std over the training images).
 */
export const NORMALIZATION: Readonly<Record<string, { readonly mean: readonly number[]; readonly std: readonly number[] }>> = {
  mnist: { mean: [0.1307], std: [0.3081] },
  'fashion-mnist': { mean: [0.2860], std: [0.3530] },
  cifar10: { mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616] },
  cifar100: { mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762] },
};

/** `d` with every channel c of every image mapped to (x − mean[c]) / std[c]. */
export function normalizeChannels(d: Dataset, mean: readonly number[], std: readonly number[]): Dataset {
  if (!d.image) throw new Error(`${d.name}: per-channel normalisation needs an image data set`);
  const [c, h, w] = d.image, plane = h * w;
  if (mean.length !== c || std.length !== c) throw new Error(`${d.name}: ${c} channels but ${mean.length} means and ${std.length} standard deviations`);
  const x = new Float32Array(d.x.length);
  for (let i = 0; i < d.n; i++)
    for (let ch = 0; ch < c; ch++) {
      const o = (i * c + ch) * plane, m = mean[ch]!, s = std[ch]!;
      for (let p = 0; p < plane; p++) x[o + p] = (d.x[o + p]! - m) / s;
    }
  return { ...d, x };
}
