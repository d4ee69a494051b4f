import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { softmaxLoss, sparsemaxLoss, entmax15Loss } from '../losses/index.js';
import { Rng } from '../util/random.js';
import { conditionalEntropy } from './conditional-entropy.js';
import { informationLoss } from './risk-floor.js';

/** Plug-in mutual information Î(A;Y) in nats from integer codes, computed from joint counts. */
function mutualInformation(a: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = a.length, joint = new Map<string, number>(), pa = new Map<number, number>(), py = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const k = `${a[i]}|${y[i]}`;
    joint.set(k, (joint.get(k) ?? 0) + 1);
    pa.set(a[i]!, (pa.get(a[i]!) ?? 0) + 1); py.set(y[i]!, (py.get(y[i]!) ?? 0) + 1);
  }
  let mi = 0;
  for (const [k, c] of joint) {
    const [u, v] = k.split('|').map(Number) as [number, number];
    mi += (c / n) * Math.log((c * n) / (pa.get(u)! * py.get(v)!));
  }
  return mi;
}

describe('information loss Δ = Ĥ(Y|g(X)) − Ĥ(Y|X)', () => {
  const rng = new Rng(11), n = 400;
  const xi = Int32Array.from({ length: n }, () => rng.int(64));         // 64 possible inputs, duplicated
  const y = Int32Array.from(xi, (v) => (rng.uniform() < 0.7 ? v % 3 : rng.int(3)));
  const X = { data: Float64Array.from(xi), dim: 1 };

  it('equals Î(X;Y) − Î(g(X);Y) for Shannon, by independent joint counts', () => {
    const g = Float64Array.from(xi, (v) => Math.floor(v / 8));
    const r = informationLoss(softmaxLoss, X, { data: g, dim: 1 }, y);
    expect(r.zIsFunctionOfX).toBe(true);
    expect(r.value).toBeCloseTo(mutualInformation(xi, y) - mutualInformation(g, y), 12);
  });

  it('is 0 for an injective map, and H(Y) − Ĥ(Y|X) for a constant map', () => {
    const inj = { data: Float64Array.from(xi, (v) => 3 * v + 1000), dim: 1 };
    expect(informationLoss(softmaxLoss, X, inj, y).value).toBe(0);
    const cst = informationLoss(sparsemaxLoss, X, { data: new Float64Array(n), dim: 1 }, y);
    const p = [0, 1, 2].map((c) => y.filter((v) => v === c).length / n);
    const giniY = 0.5 * (1 - p.reduce((s, v) => s + v * v, 0));
    expect(cst.hZ.value).toBeCloseTo(giniY, 14);
    expect(cst.value).toBeCloseTo(giniY - conditionalEntropy(sparsemaxLoss, X, y).value, 14);
  });

  it('reports when Z is not a function of X (Δ may then be negative)', () => {
    const noisy = { data: Float64Array.from(xi, () => rng.int(1000)), dim: 1 };
    expect(informationLoss(softmaxLoss, X, noisy, y).zIsFunctionOfX).toBe(false);
  });

  for (const loss of [softmaxLoss, sparsemaxLoss, entmax15Loss]) {
    it(`${loss.name}: never decreases along a data-processing chain (property: random layers, coarser grids)`, () => {
      fc.assert(fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 2, max: 60 }), (seed, n) => {
        const r = new Rng(seed), dim = 3, distinct = 1 + r.int(12);
        const protos = Array.from({ length: distinct }, () => r.normals(dim));
        const idx = Int32Array.from({ length: n }, () => r.int(distinct));
        const labels = Int32Array.from({ length: n }, () => r.int(3));
        const x = new Float64Array(n * dim);
        idx.forEach((k, i) => x.set(protos[k]!, i * dim));
        // g1: a random tanh layer (a function of x); then nested grids of step s, 2s, 4s on g1(x).
        const w = r.normals(dim * 2), z = new Float64Array(n * 2);
        for (let i = 0; i < n; i++) for (let j = 0; j < 2; j++) {
          let s = 0;
          for (let k = 0; k < dim; k++) s += x[i * dim + k]! * w[k * 2 + j]!;
          z[i * 2 + j] = Math.tanh(s);
        }
        const s0 = 0.05 + r.uniform() * 0.3;
        const chain = [
          conditionalEntropy(loss, { data: x, dim }, labels).value,
          conditionalEntropy(loss, { data: z, dim: 2 }, labels).value,
          conditionalEntropy(loss, { data: z, dim: 2 }, labels, { grouping: { step: s0 } }).value,
          conditionalEntropy(loss, { data: z, dim: 2 }, labels, { grouping: { step: 2 * s0 } }).value,
          conditionalEntropy(loss, { data: z, dim: 2 }, labels, { grouping: { step: 4 * s0 } }).value,
          conditionalEntropy(loss, { data: new Float64Array(n), dim: 1 }, labels).value,
        ];
        for (let k = 1; k < chain.length; k++) expect(chain[k]!).toBeGreaterThanOrEqual(chain[k - 1]! - 1e-12);
        const d = informationLoss(loss, { data: x, dim }, { data: z, dim: 2 }, labels, { zGrouping: { step: 2 * s0 } });
        expect(d.zIsFunctionOfX).toBe(true);
        expect(d.value).toBeGreaterThanOrEqual(-1e-12);
      }), { numRuns: 100 });
    });
  }
});
