import { Rng } from '../util/random.js';
import { bernoulliLoss } from './bernoulli.js';
import { entmax15Loss, entmaxLoss } from './entmax.js';
import type { FYLoss } from './fenchel-young.js';
import { poissonLoss } from './poisson.js';
import { softmaxLoss } from './softmax.js';
import { sparsemaxLoss } from './sparsemax.js';
import { squaredLoss } from './squared.js';

/** Every loss (and the non-default entmax paths) that the generic property tests cover. */
export const ALL_LOSSES: readonly FYLoss[] = [
  softmaxLoss, sparsemaxLoss, entmax15Loss, entmaxLoss(1.5, { method: 'bisect' }), entmaxLoss(1.3), entmaxLoss(4),
  squaredLoss, bernoulliLoss, poissonLoss,
];

/** Logits scale·N(0,1) from a seed (random normals avoid the measure-zero kinks of sparse maps). */
export function randomLogits(seed: number, d: number, scale: number): Float64Array {
  const rng = new Rng(seed), x = new Float64Array(d);
  for (let j = 0; j < d; j++) x[j] = scale * rng.normal();
  return x;
}

/** A target in the loss's domain: one-hot or soft for the simplex, {0,1} or [0,1], counts, reals. */
export function randomTarget(loss: FYLoss, seed: number, d: number): Float64Array {
  const rng = new Rng(seed ^ 0x5bd1e995), y = new Float64Array(d);
  const kind = rng.int(2);
  switch (loss.domain) {
    case 'simplex': {
      if (kind === 0) { y[rng.int(d)] = 1; return y; }
      let s = 0;
      for (let j = 0; j < d; j++) s += (y[j] = rng.uniform() < 0.3 ? 0 : rng.uniform());
      if (s === 0) { y[0] = 1; return y; }
      for (let j = 0; j < d; j++) y[j] = y[j]! / s;
      return y;
    }
    case 'binary': for (let j = 0; j < d; j++) y[j] = kind === 0 ? rng.int(2) : rng.uniform(); return y;
    case 'nonnegative': for (let j = 0; j < d; j++) y[j] = kind === 0 ? rng.int(5) : 3 * rng.uniform(); return y;
    case 'real': for (let j = 0; j < d; j++) y[j] = 2 * rng.normal(); return y;
  }
}

/** A point in the interior of the simplex (all entries > 0). */
export function randomInteriorSimplex(seed: number, d: number): Float64Array {
  const rng = new Rng(seed), p = new Float64Array(d);
  let s = 0;
  for (let j = 0; j < d; j++) s += (p[j] = 0.05 + rng.uniform());
  for (let j = 0; j < d; j++) p[j] = p[j]! / s;
  return p;
}

/** Central finite-difference gradient of a scalar function. */
export function fdGrad(f: (x: Float64Array) => number, x: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(x.length), xp = Float64Array.from(x);
  for (let j = 0; j < x.length; j++) {
    xp[j] = x[j]! + h; const fp = f(xp);
    xp[j] = x[j]! - h; const fm = f(xp);
    xp[j] = x[j]!;
    g[j] = (fp - fm) / (2 * h);
  }
  return g;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) { const e = Math.abs(a[i]! - b[i]!); if (!(e <= m)) m = e; }
  return m;
}
