import { describe, expect, it } from 'vitest';
import { symmetricEigen } from '../estimators/symmetric-eigen.js';
import { softmaxLoss, sparsemaxLoss } from '../losses/index.js';
import { Rng } from '../util/random.js';
import { BoundsInputError } from './errors.js';
import {
  crossEntropyRiskBounds, crossEntropyRiskBoundsAggregate, curvatureRiskBounds, mseRiskBounds, precursorLogBounds,
  residualBounds, residualBoundsPerSample,
} from './trainability.js';

/** A random d×P Jacobian (optionally rank-deficient), its A = J Jᵀ extremes, and g = Jᵀ r. */
function instance(rng: Rng, d: number, P: number, r: Float64Array) {
  const J = rng.normals(d * P, 1 / Math.sqrt(P));
  const A = new Float64Array(d * d);
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) { let s = 0; for (let k = 0; k < P; k++) s += J[a * P + k]! * J[b * P + k]!; A[a * d + b] = s; }
  const ev = symmetricEigen({ size: d, data: A }).values;
  const g = new Float64Array(P);
  for (let k = 0; k < P; k++) for (let a = 0; a < d; a++) g[k] += J[a * P + k]! * r[a]!;
  let g2 = 0, r2 = 0;
  for (const v of g) g2 += v * v;
  for (const v of r) r2 += v * v;
  return { lmin: Math.max(0, ev[0]!), lmax: ev[d - 1]!, g2, r2 };
}

describe('trainability sandwich', () => {
  it('returns +∞ (not NaN) at λ_min = 0, also with zero energy', () => {
    expect(residualBounds({ energy: 2, lambdaMin: 0, lambdaMax: 4 })).toEqual({ lower: 0.5, upper: Infinity });
    expect(residualBounds({ energy: 0, lambdaMin: 0, lambdaMax: 4 })).toEqual({ lower: 0, upper: Infinity });
    expect(mseRiskBounds({ energy: 1, lambdaMin: 0, lambdaMax: 1 }).upper).toBe(Infinity);
    expect(curvatureRiskBounds({ energy: 1, lambdaMin: 0, lambdaMax: 1 }, { mu: 1, beta: 3 }).upper).toBe(Infinity);
    expect(crossEntropyRiskBoundsAggregate({ energy: 1, lambdaMin: 0.5, lambdaMax: 1, pMin: 0 }).upper).toBe(Infinity);
    const ce = crossEntropyRiskBounds({ gradSqNorms: [1, 0], lambdaMin: [0, 0], lambdaMax: [1, 1], pMin: [0.1, 0.1] });
    expect(ce.upper).toBe(Infinity); expect(ce.upperPMinFree).toBe(Infinity);
    expect(Number.isNaN(ce.lower)).toBe(false);
    expect(precursorLogBounds(1, 0, 2).U).toBe(Infinity);
  });

  it('brackets the true residual on random PSD instances (per sample and averaged), MSE exactly', () => {
    const rng = new Rng(5);
    for (let trial = 0; trial < 40; trial++) {
      const n = 1 + rng.int(6), d = 1 + rng.int(5), P = d + rng.int(12);
      const g2 = new Float64Array(n), lmin = new Float64Array(n), lmax = new Float64Array(n);
      let r2sum = 0;
      for (let i = 0; i < n; i++) {
        const r = rng.normals(d);
        const inst = instance(rng, d, P, r);
        g2[i] = inst.g2; lmin[i] = inst.lmin; lmax[i] = inst.lmax; r2sum += inst.r2;
        const b = residualBoundsPerSample([inst.g2], inst.lmin, inst.lmax);
        expect(b.lower[0]!).toBeLessThanOrEqual(inst.r2 * (1 + 1e-9));
        expect(b.upper[0]!).toBeGreaterThanOrEqual(inst.r2 * (1 - 1e-9));
      }
      const E = g2.reduce((s, v) => s + v, 0) / n, meanR2 = r2sum / n;
      const s = { energy: E, lambdaMin: Math.min(...lmin), lambdaMax: Math.max(...lmax) };
      const b = residualBounds(s);
      expect(b.lower).toBeLessThanOrEqual(meanR2 * (1 + 1e-9));
      expect(b.upper).toBeGreaterThanOrEqual(meanR2 * (1 - 1e-9));
      const m = mseRiskBounds(s); // squared loss: R̂ = mean ½‖r‖² exactly
      expect(m.lower).toBeLessThanOrEqual(meanR2 / 2 * (1 + 1e-9));
      expect(m.upper).toBeGreaterThanOrEqual(meanR2 / 2 * (1 - 1e-9));
    }
  });

  it('rank-deficient J (P < d) gives λ_min ≈ 0 and an infinite or huge upper bound, never NaN', () => {
    const rng = new Rng(9), r = rng.normals(5), inst = instance(rng, 5, 3, r);
    const b = residualBounds({ energy: inst.g2, lambdaMin: inst.lmin, lambdaMax: inst.lmax });
    expect(Number.isNaN(b.upper)).toBe(false);
    expect(b.upper).toBeGreaterThan(1e6 * inst.r2);
  });

  it('cross-entropy: brackets the softmax risk (p_min and p_min-free), sparsemax lower bound with μ = 1', () => {
    const rng = new Rng(21);
    let freeFinite = 0;
    for (let trial = 0; trial < 60; trial++) {
      const n = 1 + rng.int(5), d = 2 + rng.int(4), P = 40 + rng.int(40);
      const g2 = new Float64Array(n), lmin = new Float64Array(n), lmax = new Float64Array(n), pmin = new Float64Array(n);
      let risk = 0, spRisk = 0, spG2 = 0;
      for (let i = 0; i < n; i++) {
        const y = rng.int(d), t = new Float64Array(d); t[y] = 1;
        const eta = rng.normals(d, trial % 2 ? 0.5 : 3); eta[y] += trial % 3 === 0 ? 6 : 0; // some confident, some not
        const p = softmaxLoss.host.predict(eta), r = softmaxLoss.host.grad(eta, t);
        const inst = instance(rng, d, P, r);
        g2[i] = inst.g2; lmin[i] = inst.lmin; lmax[i] = inst.lmax; pmin[i] = Math.min(...p);
        risk += softmaxLoss.host.loss(eta, t);
        const rs = sparsemaxLoss.host.grad(eta, t), is = instance(rng, d, P, rs);
        spRisk += sparsemaxLoss.host.loss(eta, t); spG2 += is.g2 / is.lmax;
      }
      risk /= n;
      const b = crossEntropyRiskBounds({ gradSqNorms: g2, lambdaMin: lmin, lambdaMax: lmax, pMin: pmin });
      expect(b.lower).toBeLessThanOrEqual(risk * (1 + 1e-9));
      expect(b.upper).toBeGreaterThanOrEqual(risk * (1 - 1e-9));
      expect(b.upperPMinFree).toBeGreaterThanOrEqual(risk * (1 - 1e-9));
      if (Number.isFinite(b.upperPMinFree)) freeFinite++;
      const agg = crossEntropyRiskBoundsAggregate({ energy: g2.reduce((s, v) => s + v, 0) / n, lambdaMin: Math.min(...lmin), lambdaMax: Math.max(...lmax), pMin: Math.min(...pmin) });
      expect(agg.lower).toBeLessThanOrEqual(risk * (1 + 1e-9));
      expect(agg.upper).toBeGreaterThanOrEqual(risk * (1 - 1e-9));
      // Sparsemax: L ≥ ½‖r‖² ≥ ½‖g‖²/λ_max per sample (μ = 1).
      expect(spG2 / (2 * n)).toBeLessThanOrEqual(spRisk / n * (1 + 1e-9) + 1e-15);
    }
    expect(freeFinite).toBeGreaterThan(0); // the p_min-free branch was exercised
  });

  it('rejects negative, NaN and out-of-order inputs with clear errors', () => {
    const bad = (f: () => unknown, re: RegExp) => { expect(f).toThrow(BoundsInputError); expect(f).toThrow(re); };
    bad(() => residualBounds({ energy: -1, lambdaMin: 1, lambdaMax: 2 }), /gradient energy E is -1 < 0/);
    bad(() => residualBounds({ energy: NaN, lambdaMin: 1, lambdaMax: 2 }), /NaN/);
    bad(() => residualBounds({ energy: 1, lambdaMin: -1e-14, lambdaMax: 2 }), /round-off: clamp/);
    bad(() => residualBounds({ energy: 1, lambdaMin: 3, lambdaMax: 2 }), /exceeds λ_max/);
    bad(() => residualBounds({ energy: 1, lambdaMin: 0, lambdaMax: 0 }), /impossible/);
    bad(() => curvatureRiskBounds({ energy: 1, lambdaMin: 1, lambdaMax: 2 }, { mu: 2, beta: 1 }), /μ = 2 exceeds β/);
    bad(() => crossEntropyRiskBounds({ gradSqNorms: [], lambdaMin: 1, lambdaMax: 1 }), /no samples/);
    bad(() => crossEntropyRiskBounds({ gradSqNorms: [1, 2], lambdaMin: [1], lambdaMax: 1 }), /1 entries for 2 samples/);
    bad(() => crossEntropyRiskBounds({ gradSqNorms: [1], lambdaMin: 1, lambdaMax: 1, pMin: [2] }), /p_min\[0\] = 2/);
  });
});
