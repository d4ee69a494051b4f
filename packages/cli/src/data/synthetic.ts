import { Rng } from '@clt/core';
import { validateDataset, type Dataset } from './dataset.js';

export interface GaussianMixtureOptions {
  readonly n: number;
  readonly dim?: number;
  readonly classes?: number;
  /** Distance scale of the class means (standard normal directions times this); noise is N(0, I). */
  readonly separation?: number;
  readonly seed?: number;
}

/** One Gaussian blob per class: x = μ_c + ε, μ_c ~ separation·N(0, I/dim)·√dim, ε ~ N(0, I). */
export function gaussianMixture(o: GaussianMixtureOptions): Dataset {
  const dim = o.dim ?? 16, classes = o.classes ?? 4, sep = o.separation ?? 3, rng = new Rng(o.seed ?? 0);
  checkCount('gaussianMixture', o.n);
  const means = rng.normals(classes * dim, sep);
  const x = new Float32Array(o.n * dim), labels = new Int32Array(o.n);
  for (let i = 0; i < o.n; i++) {
    const c = i % classes;
    labels[i] = c;
    for (let j = 0; j < dim; j++) x[i * dim + j] = means[c * dim + j]! + rng.normal();
  }
  return validateDataset({ name: `gaussian-mixture(${classes}x${dim})`, n: o.n, dim, classes, x, labels });
}

/** Gaussian inputs with labels drawn uniformly at random: only memorization can fit them (floor 0). */
export function randomLabels(o: { n: number; dim?: number; classes?: number; seed?: number }): Dataset {
  const dim = o.dim ?? 16, classes = o.classes ?? 4, rng = new Rng(o.seed ?? 0);
  checkCount('randomLabels', o.n);
  const x = Float32Array.from(rng.normals(o.n * dim));
  const labels = new Int32Array(o.n);
  for (let i = 0; i < o.n; i++) labels[i] = rng.int(classes);
  return validateDataset({ name: `random-labels(${classes}x${dim})`, n: o.n, dim, classes, x, labels });
}

export interface ConflictingDuplicatesOptions {
  /** Number of distinct inputs. */
  readonly distinct: number;
  /** Copies of each input (≥ 2). */
  readonly copies?: number;
  readonly dim?: number;
  readonly classes?: number;
  /** Fraction of the distinct inputs whose copies disagree: one copy gets another label. */
  readonly conflictFraction?: number;
  readonly seed?: number;
}

/**
 * Each of `distinct` Gaussian inputs repeated `copies` times. In a fraction of the groups one copy
 * carries a different label than the others, so no model can fit every row: the empirical risk
 * under softmax cross-entropy is at least the empirical conditional entropy
 *   R̂* = Σ_x (n_x/n) H(p̂(·|x)) = (conflicting groups / distinct) · H((k−1)/k, 1/k)  (nats, k = copies),
 * a known positive data floor (spec theory.md §4), returned as `floor` in closed form.
 */
export function conflictingDuplicates(o: ConflictingDuplicatesOptions): Dataset & { floor: number; conflictingGroups: number } {
  const k = o.copies ?? 4, dim = o.dim ?? 16, classes = o.classes ?? 2, frac = o.conflictFraction ?? 0.5, rng = new Rng(o.seed ?? 0);
  checkCount('conflictingDuplicates', o.distinct);
  if (!Number.isInteger(k) || k < 2) throw new Error(`conflictingDuplicates: copies must be an integer >= 2, got ${k}`);
  if (classes < 2) throw new Error('conflictingDuplicates: need at least 2 classes for a label conflict');
  if (!(frac >= 0 && frac <= 1)) throw new Error(`conflictingDuplicates: conflictFraction must be in [0, 1], got ${frac}`);
  const n = o.distinct * k, conflicting = Math.round(frac * o.distinct);
  const x = new Float32Array(n * dim), labels = new Int32Array(n);
  for (let g = 0; g < o.distinct; g++) {
    const v = rng.normals(dim), c = rng.int(classes);
    for (let r = 0; r < k; r++) {
      const i = g * k + r;
      for (let j = 0; j < dim; j++) x[i * dim + j] = v[j]!;
      labels[i] = g < conflicting && r === k - 1 ? (c + 1 + rng.int(classes - 1)) % classes : c;
    }
  }
  const p = 1 / k, h = -(p * Math.log(p) + (1 - p) * Math.log(1 - p));
  const d = validateDataset({ name: `conflicting-duplicates(${o.distinct}x${k})`, n, dim, classes, x, labels });
  return { ...d, floor: (conflicting / o.distinct) * h, conflictingGroups: conflicting };
}

function checkCount(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what}: the number of rows must be a positive integer, got ${n}`);
}
