import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FYLoss } from './fenchel-young.js';
import { dot } from './numerics.js';
import { ALL_LOSSES, fdGrad, maxAbsDiff, randomInteriorSimplex, randomLogits, randomTarget } from './test-fixtures.js';

/**
 * Fenchel–Young properties of every loss's float64 host functions, over random inputs
 * (fast-check draws seeds, sizes and scales; inputs are seeded normals so sparse maps are hit away
 * from their measure-zero kinks).
 */
const RUNS = { numRuns: 60 };
const arb = fc.record({ seed: fc.integer({ min: 0, max: 2 ** 30 }), d: fc.integer({ min: 1, max: 9 }), scale: fc.double({ min: 0.05, max: 8, noNaN: true }) });
/** Poisson's e^η makes large scales test float64 overflow, not the loss. */
const scaleFor = (loss: FYLoss, s: number) => (loss.name === 'poisson' ? Math.min(s, 2) : s);

/** η* with ŷ(η*) = p for p in the interior of the domain: η* = ∇Ω(p). */
function inverseMap(loss: FYLoss, p: Float64Array): Float64Array {
  const n = loss.name;
  if (n === 'softmax' || n === 'poisson') return p.map(Math.log);
  if (n === 'sparsemax' || n === 'squared') return Float64Array.from(p);
  if (n === 'bernoulli') return p.map((q) => Math.log(q / (1 - q)));
  const alpha = Number(n.slice('entmax-'.length));
  return p.map((q) => Math.pow(q, alpha - 1) / (alpha - 1));
}

function uniformEntropy(loss: FYLoss, d: number): number {
  const n = loss.name;
  if (n === 'softmax' || n === 'poisson') return Math.log(d);
  if (n === 'sparsemax' || n === 'squared') return 0.5 * (1 - 1 / d);
  if (n === 'bernoulli') { const q = 1 / d; return d === 1 ? 0 : -d * (q * Math.log(q) + (1 - q) * Math.log(1 - q)); }
  const alpha = Number(n.slice('entmax-'.length));
  return (1 - Math.pow(d, 1 - alpha)) / (alpha * (alpha - 1));
}

describe.each(ALL_LOSSES.map((l) => [l.name + ('method' in l ? ` (${(l as { method: string }).method})` : ''), l] as const))('%s host', (_, loss) => {
  it('L ≥ 0, and L = 0 at y = ŷ(η)', () => {
    fc.assert(fc.property(arb, ({ seed, d, scale }) => {
      const eta = randomLogits(seed, d, scaleFor(loss, scale)), y = randomTarget(loss, seed, d);
      const l = loss.host.loss(eta, y);
      expect(l).toBeGreaterThanOrEqual(-1e-12 * (1 + Math.abs(dot(eta, y))));
      expect(Math.abs(loss.host.loss(eta, loss.host.predict(eta)))).toBeLessThan(1e-11 * (1 + scale * scale));
    }), RUNS);
  });

  it('gradient ŷ − y matches central finite differences of the loss', () => {
    fc.assert(fc.property(arb, ({ seed, d, scale }) => {
      const eta = randomLogits(seed, d, scaleFor(loss, scale)), y = randomTarget(loss, seed, d);
      const g = loss.host.grad(eta, y), fd = fdGrad((x) => loss.host.loss(x, y), eta);
      const big = Math.max(1, Math.abs(loss.host.loss(eta, y)), ...g.map(Math.abs));
      expect(maxAbsDiff(g, fd)).toBeLessThan(2e-6 * big);
    }), RUNS);
  });

  it('Ω*(η) = ⟨η, ŷ⟩ − Ω(ŷ) (conjugate attained at the prediction map) and L = Ω(y) + Ω*(η) − ⟨η, y⟩', () => {
    fc.assert(fc.property(arb, ({ seed, d, scale }) => {
      const eta = randomLogits(seed, d, scaleFor(loss, scale)), y = randomTarget(loss, seed, d);
      const p = loss.host.predict(eta), conj = loss.host.conjugate(eta);
      const tol = 1e-10 * (1 + Math.abs(conj) + Math.abs(dot(eta, p)));
      expect(Math.abs(conj - (dot(eta, p) - loss.host.regularizer(p)))).toBeLessThan(tol);
      const composed = loss.host.regularizer(y) + conj - dot(eta, y);
      expect(Math.abs(loss.host.loss(eta, y) - composed)).toBeLessThan(1e-10 * (1 + Math.abs(conj) + Math.abs(dot(eta, y)) + Math.abs(loss.host.regularizer(y))));
    }), RUNS);
  });

  it('H_Ω of a one-hot is 0 and of the uniform distribution has its closed form', () => {
    for (const d of [1, 2, 3, 7, 50]) {
      for (let k = 0; k < d; k += Math.max(1, d >> 2)) {
        const e = new Float64Array(d); e[k] = 1;
        expect(Math.abs(loss.host.entropy(e))).toBeLessThan(1e-15);
      }
      expect(loss.host.entropy(new Float64Array(d).fill(1 / d))).toBeCloseTo(uniformEntropy(loss, d), 12);
    }
  });

  it('H_Ω(p) is the Bayes risk: = E_p L(∇Ω(p); T) = bayesRisk(one-hots weighted by p), and ∇Ω(p) is a minimizer', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 2, max: 8 }), (seed, d) => {
      const p = randomInteriorSimplex(seed, d), h = loss.host.entropy(p);
      const etaStar = inverseMap(loss, p);
      expect(maxAbsDiff(loss.host.predict(etaStar), p)).toBeLessThan(1e-10);
      const onehots = Array.from({ length: d }, (_, j) => { const e = new Float64Array(d); e[j] = 1; return e; });
      const risk = (eta: Float64Array) => onehots.reduce((s, e, j) => s + p[j]! * loss.host.loss(eta, e), 0);
      expect(risk(etaStar)).toBeCloseTo(h, 9);
      expect(loss.host.bayesRisk(onehots, p)).toBeCloseTo(h, 12);
      const moved = randomLogits(seed + 1, d, 0.1).map((v, j) => v + etaStar[j]!);
      expect(risk(moved)).toBeGreaterThanOrEqual(h - 1e-12);
    }), { numRuns: 30 });
  });

  it('batched helpers agree with the per-sample functions', () => {
    const d = 4, n = 3, eta = randomLogits(7, n * d, 2), y = new Float64Array(n * d);
    for (let i = 0; i < n; i++) y.set(randomTarget(loss, 11 + i, d), i * d);
    const losses = loss.host.lossMany(eta, y, d), preds = loss.host.predictMany(eta, d);
    for (let i = 0; i < n; i++) {
      expect(losses[i]).toBe(loss.host.loss(eta.subarray(i * d, (i + 1) * d), y.subarray(i * d, (i + 1) * d)));
      expect(Array.from(preds.subarray(i * d, (i + 1) * d))).toEqual(Array.from(loss.host.predict(eta.subarray(i * d, (i + 1) * d))));
    }
  });
});
