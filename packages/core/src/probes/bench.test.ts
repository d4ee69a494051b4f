import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../reference/backend.js';
import { benchStructureMatrix } from './bench.js';

describe('benchStructureMatrix (smoke run on tiny sizes; timings are not asserted)', () => {
  it('runs every algorithm, which agree, and Lanczos agrees with the dense eigensolver', async () => {
    const lines: string[] = [];
    const r = await benchStructureMatrix(new ReferenceBackend(), { sizes: [6, 8, 3], n: 5, activation: 'tanh', log: (l) => lines.push(l) });
    expect(r.algorithms.map((a) => a.algorithm)).toEqual(['jacobian-contraction', 'ntk-vp', 'layerwise-gram']);
    for (const a of r.algorithms) expect(a.maxRelDiff).toBeLessThan(1e-10);
    expect(r.lanczos.relErrLargest).toBeLessThan(1e-6);
    expect(r.lanczos.relErrSmallest).toBeLessThan(1e-6);
    expect(r.lobpcg!.relErrSmallest).toBeLessThan(1e-6);
    expect(r.lobpcg!.productsToAccuracy).toBeLessThanOrEqual(r.lobpcg!.products);
    expect(r.lobpcg!.seeds.map((s) => s.seed)).toEqual([0, 1, 2, 3, 4]);
    expect(r.lobpcg!.medianProductsToAccuracy).toBeLessThanOrEqual(Math.max(...r.lobpcg!.seeds.map((s) => s.products)));
    expect(lines.length).toBe(6);
  });
});
