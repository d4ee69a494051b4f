import { Rng } from '../util/random.js';

/** A small seeded 3-class problem (Gaussian blobs in 6 dimensions) for fast trainer tests. */
export function blobs(n: number, seed = 1, dim = 6, classes = 3): { x: Float64Array; labels: Int32Array } {
  const rng = new Rng(seed), means = rng.normals(classes * dim, 2);
  const x = new Float64Array(n * dim), labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    labels[i] = c;
    for (let j = 0; j < dim; j++) x[i * dim + j] = means[c * dim + j]! + rng.normal();
  }
  return { x, labels };
}
