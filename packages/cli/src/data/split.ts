import { Rng } from '@clt/core';
import { subset, type Dataset } from './dataset.js';

/**
 * A fixed, seeded, stratified train/test split: within each class the rows are permuted by
 * `Rng(seed)` and the first round(testFraction · count) go to the test set, so every class keeps
 * its proportion and the same seed always gives the same split (never Math.random). Both halves
 * are then permuted once more (seeded) so no class is contiguous.
 */
export function stratifiedSplit(d: Dataset, testFraction: number, seed: number): { train: Dataset; test: Dataset } {
  if (!(testFraction > 0 && testFraction < 1)) throw new Error(`split: testFraction must be in (0, 1), got ${testFraction}`);
  const rng = new Rng(seed);
  const byClass: number[][] = Array.from({ length: d.classes }, () => []);
  for (let i = 0; i < d.n; i++) byClass[d.labels[i]!]!.push(i);
  const train: number[] = [], test: number[] = [];
  for (const rows of byClass) {
    rng.shuffle(rows);
    const k = Math.round(testFraction * rows.length);
    test.push(...rows.slice(0, k));
    train.push(...rows.slice(k));
  }
  if (train.length === 0 || test.length === 0) throw new Error(`split: ${d.n} rows and testFraction ${testFraction} leave an empty half; use more data or another fraction`);
  rng.shuffle(train);
  rng.shuffle(test);
  return { train: subset(d, train, `${d.name}/train`), test: subset(d, test, `${d.name}/test`) };
}

/** A seeded stratified subset of exactly min(count, n) rows (class shares kept by largest remainders). */
export function stratifiedSample(d: Dataset, count: number, seed: number): Dataset {
  if (count >= d.n) return d;
  const rng = new Rng(seed ^ 0x5bd1e995);
  const byClass: number[][] = Array.from({ length: d.classes }, () => []);
  for (let i = 0; i < d.n; i++) byClass[d.labels[i]!]!.push(i);
  const exact = byClass.map((rows) => (rows.length * count) / d.n);
  const quota = exact.map(Math.floor);
  const order = exact.map((e, c) => [e - Math.floor(e), c] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0, left = count - quota.reduce((a, b) => a + b, 0); k < left; k++) quota[order[k]![1]]!++;
  const picked: number[] = [];
  byClass.forEach((rows, c) => {
    rng.shuffle(rows);
    picked.push(...rows.slice(0, quota[c]));
  });
  rng.shuffle(picked);
  return subset(d, picked);
}
