import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { spec, trace } from '../ir/builder.js';
import { interpret } from '../reference/interpret.js';
import { entmax15Loss, entmaxLoss } from './entmax.js';
import { softmaxLoss } from './softmax.js';
import { sparsemaxHost, sparsemaxLoss } from './sparsemax.js';
import { maxAbsDiff, randomLogits, randomTarget } from './test-fixtures.js';

const seedArb = fc.integer({ min: 0, max: 2 ** 30 });
const sum = (p: ArrayLike<number>) => Array.from(p).reduce((a, b) => a + b, 0);
const support = (p: ArrayLike<number>) => Array.from(p).filter((v) => v > 0).length;

/** Sparsemax support size from its defining threshold condition, computed independently of the map. */
function sparsemaxSupportSize(eta: Float64Array): number {
  const z = Array.from(eta).sort((a, b) => b - a);
  let cum = 0, k = 0;
  z.forEach((v, i) => { cum += v; if (1 + (i + 1) * v > cum) k = i + 1; });
  return k;
}

describe('sparse prediction maps', () => {
  const maps = [sparsemaxLoss, entmax15Loss, ...[1.05, 1.3, 2.5, 4, 10].map((a) => entmaxLoss(a))];
  it.each(maps.map((l) => [l.name, l] as const))('%s outputs lie on the simplex', (_, loss) => {
    fc.assert(fc.property(seedArb, fc.integer({ min: 1, max: 40 }), fc.double({ min: 0.01, max: 50, noNaN: true }), (seed, d, scale) => {
      const p = loss.host.predict(randomLogits(seed, d, scale));
      expect(Math.min(...p)).toBeGreaterThanOrEqual(0);
      expect(Math.abs(sum(p) - 1)).toBeLessThan(1e-12);
    }), { numRuns: 50 });
  });

  it('sparsemax support size equals the sorted threshold condition k* = max{k : 1 + k z_(k) > Σ_{i≤k} z_(i)}', () => {
    fc.assert(fc.property(seedArb, fc.integer({ min: 1, max: 30 }), fc.double({ min: 0.05, max: 5, noNaN: true }), (seed, d, scale) => {
      const eta = randomLogits(seed, d, scale);
      expect(support(sparsemaxLoss.host.predict(eta))).toBe(sparsemaxSupportSize(eta));
    }), { numRuns: 100 });
  });

  it('well-separated logits give a one-hot: gap ≥ 1/(α−1) for α-entmax (≥ 1 for sparsemax); a smaller gap does not', () => {
    for (const alpha of [1.2, 1.5, 2, 3, 10]) {
      const loss = entmaxLoss(alpha), gap = 1 / (alpha - 1);
      const eta = new Float64Array([0.3, 0.3 - gap * 1.0001, 0.3 - 3 * gap, -5 * gap]);
      const p = loss.host.predict(eta);
      expect(Array.from(p)).toEqual([1, 0, 0, 0]);
      // Not 0.9·gap: at α = 10 the root would lie within 1e-18 of the support boundary, below
      // float64 resolution (see the residual test below).
      eta[1] = 0.3 - gap * 0.5;
      expect(support(loss.host.predict(eta))).toBe(2);
    }
  });

  it('entmax support: ŷ_j > 0 exactly where (α−1)(η_j − max η) > τ, the bisection threshold', () => {
    fc.assert(fc.property(seedArb, fc.integer({ min: 2, max: 30 }), fc.constantFrom(1.25, 1.5, 3, 8), (seed, d, alpha) => {
      const eta = randomLogits(seed, d, 3), loss = entmaxLoss(alpha);
      const { tau } = loss.bisect(eta), m = Math.max(...eta);
      const p = loss.host.predict(eta);
      eta.forEach((v, j) => { if (Math.abs((alpha - 1) * (v - m) - tau) > 1e-9) expect(p[j]! > 0).toBe((alpha - 1) * (v - m) > tau); });
    }), { numRuns: 50 });
  });

  it('bisection agrees with the exact sort-based 1.5-entmax to 1e-10 and reports a tiny residual', () => {
    const bis = entmaxLoss(1.5, { method: 'bisect' });
    fc.assert(fc.property(seedArb, fc.integer({ min: 1, max: 60 }), fc.double({ min: 0.01, max: 100, noNaN: true }), (seed, d, scale) => {
      const eta = randomLogits(seed, d, scale);
      expect(maxAbsDiff(bis.host.predict(eta), entmax15Loss.host.predict(eta))).toBeLessThan(1e-10);
      const y = randomTarget(bis, seed, d);
      expect(Math.abs(bis.host.loss(eta, y) - entmax15Loss.host.loss(eta, y))).toBeLessThan(1e-10 * (1 + scale));
      expect(bis.bisect(eta).residual).toBeLessThan(1e-12);
    }), { numRuns: 100 });
  });

  it('the bisection residual reports an ill-conditioned threshold (α = 10, root 1e-18 from a support change)', () => {
    const loss = entmaxLoss(10), gap = 1 / 9;
    const eta = new Float64Array([0.3, 0.3 - gap * 0.9, 0.3 - 3 * gap]);
    // Exact answer: ŷ₂ = (0.1 − 9t)^{1/9} with 0.1 − 9t ≈ 5e-18, so ŷ ≈ (0.988, 0.012, 0): not resolvable in float64.
    expect(loss.bisect(eta).residual).toBeGreaterThan(1e-3);
    // At 0.5·gap the root is 7e-11 from the boundary: float64 resolves ŷ to ~1e-8, and the residual says so.
    expect(loss.bisect(new Float64Array([0.3, 0.3 - gap * 0.5, 0.3 - 3 * gap])).residual).toBeLessThan(1e-6);
  });

  it('bisection at α = 2 agrees with the exact sparsemax sort to 1e-10', () => {
    const bis = entmaxLoss(2, { method: 'bisect' });
    fc.assert(fc.property(seedArb, fc.integer({ min: 1, max: 40 }), (seed, d) => {
      const eta = randomLogits(seed, d, 2);
      expect(maxAbsDiff(bis.host.predict(eta), sparsemaxHost(eta).p)).toBeLessThan(1e-10);
    }), { numRuns: 50 });
  });

  it('α = 1 dispatches to softmax exactly; α = 1 + 1e-6 agrees with softmax to 1e-5 (host and IR)', () => {
    expect(entmaxLoss(1).method).toBe('softmax');
    expect(entmaxLoss(1).host.predict(new Float64Array([1, 2, 3]))).toEqual(softmaxLoss.host.predict(new Float64Array([1, 2, 3])));
    const near = entmaxLoss(1 + 1e-6);
    const n = 5, d = 12, eta = randomLogits(3, n * d, 6), y = new Float64Array(n * d);
    for (let i = 0; i < n; i++) y.set(randomTarget(softmaxLoss, 40 + i, d), i * d);
    let worstP = 0, worstL = 0;
    for (let i = 0; i < n; i++) {
      const e = eta.subarray(i * d, (i + 1) * d), t = y.subarray(i * d, (i + 1) * d);
      worstP = Math.max(worstP, maxAbsDiff(near.host.predict(e), softmaxLoss.host.predict(e)));
      worstL = Math.max(worstL, Math.abs(near.host.loss(e, t) - softmaxLoss.host.loss(e, t)));
    }
    expect(worstP).toBeLessThan(1e-5);
    expect(worstL).toBeLessThan(1e-5);
    const g = trace({ eta: spec([n, d], 'f64'), y: spec([n, d], 'f64') }, ({ eta: e, y: t }) => ({
      p: near.ir.predict(e), l: near.ir.loss(e, t), ps: softmaxLoss.ir.predict(e), ls: softmaxLoss.ir.loss(e, t),
    }));
    const r = interpret(g, { eta, y });
    expect(maxAbsDiff(r.p!, r.ps!)).toBeLessThan(1e-5);
    expect(maxAbsDiff(r.l!, r.ls!)).toBeLessThan(1e-5);
  });

  it('stable at |logits| = 1e4 for α in [1, 10]: finite, on the simplex, L ≥ 0, host = IR', () => {
    const d = 7, rows = [
      Array.from({ length: d }, (_, j) => (j % 2 ? 1e4 : -1e4)),
      Array.from({ length: d }, () => 1e4),
      Array.from({ length: d }, (_, j) => 1e4 - j * 1e-3),
      Array.from(randomLogits(5, d, 1e4)),
    ];
    const eta = Float64Array.from(rows.flat()), y = new Float64Array(rows.length * d);
    rows.forEach((_, i) => { y[i * d + i] = 1; });
    for (const alpha of [1, 1 + 1e-9, 1 + 1e-6, 1.01, 1.5, 2, 3, 7, 10]) {
      const loss = entmaxLoss(alpha);
      const g = trace({ eta: spec([rows.length, d], 'f64'), y: spec([rows.length, d], 'f64') }, ({ eta: e, y: t }) => ({ p: loss.ir.predict(e), l: loss.ir.loss(e, t) }));
      const r = interpret(g, { eta, y });
      rows.forEach((_, i) => {
        const e = eta.subarray(i * d, (i + 1) * d), t = y.subarray(i * d, (i + 1) * d);
        const p = loss.host.predict(e), l = loss.host.loss(e, t);
        expect(p.every(Number.isFinite) && Number.isFinite(l)).toBe(true);
        expect(Math.abs(sum(p) - 1)).toBeLessThan(1e-12);
        expect(l).toBeGreaterThanOrEqual(-1e-9);
        expect(maxAbsDiff(r.p!.subarray(i * d, (i + 1) * d), p), `α=${alpha} row ${i}`).toBeLessThan(1e-9);
        expect(Math.abs(r.l![i]! - l)).toBeLessThan(1e-9 * (1 + Math.abs(l)));
      });
    }
  });
});
