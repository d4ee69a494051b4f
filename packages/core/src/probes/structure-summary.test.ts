import { describe, expect, it } from 'vitest';
import { symmetricEigen } from '../estimators/symmetric-eigen.js';
import { withSpectrum } from '../estimators/test-matrices.js';
import { ReferenceBackend } from '../reference/backend.js';
import { Rng } from '../util/random.js';
import { gershgorinDiscs } from './gershgorin.js';
import { StructureMatrixProbe } from './structure-matrix.js';
import { aggregate, conditionNumber, summarizeBlocks } from './structure-summary.js';
import { mlpCase } from './test-fixtures.js';

describe('Gershgorin discs and summaries', () => {
  it('every eigenvalue lies in the union of the discs, and within [lower, upper]', () => {
    const rng = new Rng(1);
    for (let t = 0; t < 20; t++) {
      const n = 2 + rng.int(10);
      const m = withSpectrum(rng.normals(n, 3), t);
      const g = gershgorinDiscs(m);
      for (const l of symmetricEigen(m).values) {
        expect(l).toBeGreaterThanOrEqual(g.lower - 1e-12);
        expect(l).toBeLessThanOrEqual(g.upper + 1e-12);
        expect(Array.from(g.centers).some((c, k) => Math.abs(l - c) <= g.radii[k]! + 1e-12)).toBe(true);
      }
    }
  });

  it('summarizes real structure matrices: Gershgorin brackets each λ, κ = λ_max/λ_min, aggregates are consistent', async () => {
    const { model, params, x, n } = mlpCase({ sizes: [5, 16, 4], activation: 'tanh' }, 7);
    const blocks = await new StructureMatrixProbe(model, new ReferenceBackend()).blocks(params, x);
    const s = summarizeBlocks(blocks);
    for (let i = 0; i < n; i++) {
      expect(s.gershgorinLower[i]!).toBeLessThanOrEqual(s.lambdaMin[i]! + 1e-12);
      expect(s.gershgorinUpper[i]!).toBeGreaterThanOrEqual(s.lambdaMax[i]! - 1e-12);
      expect(s.lambdaMin[i]!).toBeGreaterThan(0);
      expect(s.condition[i]).toBeCloseTo(s.lambdaMax[i]! / s.lambdaMin[i]!, 10);
    }
    expect(s.lambdaMinStar).toBe(Math.min(...s.lambdaMin));
    expect(s.lambdaMaxStar).toBe(Math.max(...s.lambdaMax));
    expect(s.aggregate.condition.min).toBeLessThanOrEqual(s.aggregate.condition.median);
    expect(s.rankDeficient).toBe(false);
  });

  it('κ is +∞ (not NaN) for singular blocks; medians are exact', () => {
    expect(conditionNumber(0, 3)).toBe(Infinity);
    expect(conditionNumber(0, 0)).toBe(Infinity);
    expect(aggregate([3, 1, 2, 10])).toEqual({ min: 1, max: 10, median: 2.5 });
    expect(aggregate([Infinity, 1, Infinity]).median).toBe(Infinity);
  });
});
