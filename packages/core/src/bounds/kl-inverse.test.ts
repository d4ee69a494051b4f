import { describe, expect, it } from 'vitest';
import { Rng } from '../util/random.js';
import { hoeffdingBound, hoeffdingRadius, mcAllesterBound, pacBayesComplexity, pacBayesKlBound } from './classical.js';
import { BoundsInputError } from './errors.js';
import { binaryKl, klInverseLower, klInverseUpper } from './kl-inverse.js';

/** Brute force over a uniform grid of p: the largest / smallest grid point with kl(q‖p) ≤ c. */
function gridInverse(q: number, c: number, steps = 200000): { up: number; lo: number } {
  let up = q, lo = q;
  for (let k = 0; k <= steps; k++) {
    const p = k / steps;
    const kl = (q > 0 ? q * Math.log(q / p) : 0) + (q < 1 ? (1 - q) * Math.log((1 - q) / (1 - p)) : 0);
    if (kl <= c) { if (p > up) up = p; if (p < lo) lo = p; }
  }
  return { up, lo };
}

describe('binary kl and its inverses', () => {
  it('binaryKl matches the definition, with 0·log 0 = 0 and ∞ off the support', () => {
    expect(binaryKl(0.3, 0.6)).toBeCloseTo(0.3 * Math.log(0.5) + 0.7 * Math.log(0.7 / 0.4), 15);
    expect(binaryKl(0, 0.25)).toBeCloseTo(-Math.log(0.75), 15);
    expect(binaryKl(0.5, 0)).toBe(Infinity);
    expect(binaryKl(0.5, 0.5)).toBe(0);
  });

  it('closed forms: q = 0 → 1 − e^{−c}; q = 1 → e^{−c} (lower); c = 0 → q; c = ∞ → [0, 1]', () => {
    for (const c of [1e-6, 0.01, 0.3, 1, 5, 40]) {
      expect(klInverseUpper(0, c)).toBeCloseTo(-Math.expm1(-c), 14);
      expect(klInverseLower(1, c)).toBeCloseTo(Math.exp(-c), 14);
    }
    for (const q of [0, 0.1, 0.5, 0.99, 1]) {
      expect(klInverseUpper(q, 0)).toBeCloseTo(q, 7);
      expect(klInverseLower(q, 0)).toBeCloseTo(q, 7);
      expect(klInverseUpper(q, Infinity)).toBe(1);
      expect(klInverseLower(q, Infinity)).toBe(0);
    }
  });

  it('matches a brute-force grid search, is conservative, and sits inside Pinsker', () => {
    const rng = new Rng(2);
    for (let t = 0; t < 25; t++) {
      const q = t < 3 ? [0, 1, 0.5][t]! : rng.uniform(), c = 10 ** (-3 + 3.5 * rng.uniform());
      const up = klInverseUpper(q, c), lo = klInverseLower(q, c), grid = gridInverse(q, c);
      expect(up).toBeGreaterThanOrEqual(grid.up);            // grid points with kl ≤ c are below the sup
      expect(up - grid.up).toBeLessThan(1e-5 + 1e-9);        // ... by at most one grid step
      expect(lo).toBeLessThanOrEqual(grid.lo);
      expect(grid.lo - lo).toBeLessThan(1e-5 + 1e-9);
      if (up < 1) expect(binaryKl(q, up)).toBeCloseTo(c, 8);
      expect(up).toBeLessThanOrEqual(Math.min(1, q + Math.sqrt(c / 2)) + 1e-12);
      expect(lo).toBeGreaterThanOrEqual(Math.max(0, q - Math.sqrt(c / 2)) - 1e-12);
    }
  });

  it('rejects q outside [0, 1] and negative c', () => {
    expect(() => klInverseUpper(1.2, 0.1)).toThrow(/divide a bounded loss by its maximum/);
    expect(() => klInverseLower(0.2, -1)).toThrow(BoundsInputError);
    expect(() => klInverseUpper(NaN, 0.1)).toThrow(BoundsInputError);
  });
});

describe('classical bounds', () => {
  it('Hoeffding radius is ℓ_max·√(log(2/δ)/(2n)) and covers a Bernoulli mean at ≥ 1 − δ', () => {
    expect(hoeffdingRadius({ n: 100, delta: 0.05, range: 3 })).toBeCloseTo(3 * Math.sqrt(Math.log(40) / 200), 15);
    expect(hoeffdingRadius({ n: 100, delta: 0.05, sided: 'one' })).toBeCloseTo(Math.sqrt(Math.log(20) / 200), 15);
    const rng = new Rng(8), p = 0.3, n = 60, delta = 0.1;
    let miss = 0;
    for (let t = 0; t < 2000; t++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += rng.uniform() < p ? 1 : 0;
      const b = hoeffdingBound({ empiricalRisk: s / n, n, delta });
      if (p < b.lower || p > b.upper) miss++;
    }
    expect(miss / 2000).toBeLessThanOrEqual(delta);
  });

  it('PAC-Bayes-kl is never looser than McAllester and contains R̂; scaling by ℓ_max is consistent', () => {
    const rng = new Rng(4);
    for (let t = 0; t < 50; t++) {
      const q = rng.uniform(), kl = 20 * rng.uniform(), n = 10 + rng.int(5000), delta = 0.01 + 0.2 * rng.uniform();
      const b = pacBayesKlBound({ empiricalRisk: q, kl, n, delta });
      expect(b.upper).toBeLessThanOrEqual(mcAllesterBound({ empiricalRisk: q, kl, n, delta }) + 1e-12);
      expect(b.lower).toBeLessThanOrEqual(q); expect(b.upper).toBeGreaterThanOrEqual(q);
      expect(binaryKl(q, Math.min(1, b.upper))).toBeLessThanOrEqual(pacBayesComplexity({ kl, n, delta }) * (1 + 1e-9) + 1e-15);
      const s = pacBayesKlBound({ empiricalRisk: 5 * q, kl, n, delta, range: 5 });
      expect(s.upper).toBeCloseTo(5 * b.upper, 12);
    }
    expect(pacBayesComplexity({ kl: 2, n: 100, delta: 0.05 })).toBeCloseTo((2 + Math.log(20 / 0.05)) / 100, 15);
  });

  it('rejects δ outside (0, 1), empty samples and risks above ℓ_max', () => {
    for (const delta of [0, 1, -0.1, 1.5, NaN])
      expect(() => hoeffdingRadius({ n: 10, delta })).toThrow(/must lie in \(0, 1\)/);
    expect(() => hoeffdingRadius({ n: 0, delta: 0.1 })).toThrow(/n is 0/);
    expect(() => pacBayesKlBound({ empiricalRisk: 2, kl: 0, n: 10, delta: 0.1 })).toThrow(/exceeds the loss range/);
    expect(() => mcAllesterBound({ empiricalRisk: 0.1, kl: -1, n: 10, delta: 0.1 })).toThrow(/KL/);
  });
});
