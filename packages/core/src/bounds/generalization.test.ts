import { describe, expect, it } from 'vitest';
import { entmax15Loss, softmaxLoss, sparsemaxLoss } from '../losses/index.js';
import { Rng } from '../util/random.js';
import { conditionalEntropy } from './conditional-entropy.js';
import { BoundsInputError } from './errors.js';
import { deterministicGeneralizationRange, probabilisticGeneralizationRange } from './generalization.js';
import { maxLossEmpirical, maxLossSimplex, maxLossSoftmax, maxLossSquared } from './max-loss.js';
import { OutOfBatchChange, sgdNeighbourhoodTerm } from './sgd-neighbourhood.js';

const gini = (p: ArrayLike<number>) => { let s = 0; for (let j = 0; j < p.length; j++) s += p[j]! ** 2; return 0.5 * (1 - s); };

describe('generalization ranges (reconstructions)', () => {
  // A known distribution: X uniform on K = 5 points, Y | x ~ p_x on 3 classes. Sparsemax loss with
  // predictions η on the simplex: L = ½‖e_y − η‖² ∈ [0, 1], so ℓ_max = 1 and the Bayes predictor is in the class.
  const K = 5, d = 3;
  const px = [[0.8, 0.1, 0.1], [0.2, 0.5, 0.3], [1 / 3, 1 / 3, 1 / 3], [0, 0.9, 0.1], [0.45, 0.1, 0.45]];
  const H = px.reduce((s, p) => s + gini(p) / K, 0);
  const popRisk = (pred: Float64Array[]) => px.reduce((s, p, x) => {
    let r = 0;
    for (let y = 0; y < d; y++) { const t = new Float64Array(d); t[y] = 1; r += p[y]! * sparsemaxLoss.host.loss(pred[x]!, t); }
    return s + r / K;
  }, 0);

  it('deterministic: every predictor of X has population risk in [H(Y|X) + Δ, ℓ_max]', () => {
    const rng = new Rng(1);
    const range = deterministicGeneralizationRange({ conditionalEntropy: H, informationLoss: 0, ellMax: 1, empiricalRisk: 0.2 });
    expect(range.gap.lower).toBeCloseTo(H - 0.2, 15);
    for (let t = 0; t < 200; t++) {
      const pred = px.map(() => { const v = Float64Array.from({ length: d }, () => rng.uniform()); const s = v.reduce((a, b) => a + b); return v.map((a) => a / s); });
      const R = popRisk(pred);
      expect(R).toBeGreaterThanOrEqual(range.risk.lower - 1e-12);
      expect(R).toBeLessThanOrEqual(range.risk.upper);
    }
    // A map g merging points 0 and 1: Δ = H(Y|g(X)) − H(Y|X); predictors of g(X) stay above H + Δ.
    const merged = px[0]!.map((v, j) => (v + px[1]![j]!) / 2);
    const delta = (2 * gini(merged) - gini(px[0]!) - gini(px[1]!)) / K;
    const r2 = deterministicGeneralizationRange({ conditionalEntropy: H, informationLoss: delta, ellMax: 1, empiricalRisk: 0 });
    const pred = px.map((p) => Float64Array.from(p)); pred[0] = Float64Array.from(merged); pred[1] = Float64Array.from(merged);
    expect(popRisk(pred)).toBeCloseTo(r2.risk.lower, 14); // the best predictor of g(X) attains it
  });

  it('probabilistic: covers the risk of the LEARNED predictor at ≥ 1 − δ, and E Ĥ ≤ H', () => {
    const rng = new Rng(7), n = 120, trials = 400, deltaFloor = 0.05, deltaUpper = 0.05;
    let miss = 0, meanHhat = 0, missFloor = 0;
    for (let t = 0; t < trials; t++) {
      const x = new Float64Array(n), y = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const k = rng.int(K), u = rng.uniform();
        x[i] = k; y[i] = u < px[k]![0]! ? 0 : u < px[k]![0]! + px[k]![1]! ? 1 : 2;
      }
      const h = conditionalEntropy(sparsemaxLoss, { data: x, dim: 1 }, y, { numClasses: d });
      meanHhat += h.value / trials;
      // Learned predictor: the group means p̂(·|x) (uniform on unseen x). Its training risk is Ĥ.
      const pred = px.map(() => new Float64Array(d).fill(1 / d)), cnt = new Float64Array(K);
      for (let i = 0; i < n; i++) cnt[x[i]!]++;
      for (let k = 0; k < K; k++) if (cnt[k]) pred[k]!.fill(0);
      for (let i = 0; i < n; i++) pred[x[i]!]![y[i]!] += 1 / cnt[x[i]!]!;
      const range = probabilisticGeneralizationRange({
        conditionalEntropy: h.value, informationLoss: 0, ellMax: 1, empiricalRisk: h.value, n,
        deltaFloor, deltaUpper, upper: { kind: 'cells', cells: K, classes: d },
      });
      const R = popRisk(pred);
      if (R < range.risk.lower || R > range.risk.upper) miss++;
      if (H < h.value - range.floorSlack) missFloor++;
    }
    expect(meanHhat).toBeLessThan(H); // plug-in is biased low
    expect(miss / trials).toBeLessThanOrEqual(deltaFloor + deltaUpper);
    expect(missFloor / trials).toBeLessThanOrEqual(deltaFloor);
  });

  it('coarser representations: fewer cells shrink the deviation; the δ split is explicit', () => {
    const base = { conditionalEntropy: 0.1, informationLoss: 0.05, ellMax: 2, empiricalRisk: 0.3, n: 1000, deltaFloor: 0.01, deltaUpper: 0.04 };
    const fine = probabilisticGeneralizationRange({ ...base, upper: { kind: 'cells', cells: 100, classes: 10 } });
    const coarse = probabilisticGeneralizationRange({ ...base, upper: { kind: 'cells', cells: 10, classes: 10 } });
    expect(coarse.upperSlack).toBeLessThan(fine.upperSlack);
    expect(fine.delta).toBeCloseTo(0.05, 15);
    expect(fine.floorSlack).toBeCloseTo(2 * Math.sqrt(Math.log(100) / 2000), 15);
    const hoeff = probabilisticGeneralizationRange({ ...base, upper: { kind: 'hoeffding' } });
    expect(hoeff.upperSlack).toBeCloseTo(2 * Math.sqrt(Math.log(25) / 2000), 15);
    const pb = probabilisticGeneralizationRange({ ...base, upper: { kind: 'pac-bayes-kl', kl: 3 } });
    expect(pb.risk.upper).toBeGreaterThan(0.3);
    expect(() => probabilisticGeneralizationRange({ ...base, deltaFloor: 0.6, deltaUpper: 0.5, upper: { kind: 'hoeffding' } })).toThrow(/total failure probability/);
    expect(() => probabilisticGeneralizationRange({ ...base, deltaFloor: 0, upper: { kind: 'hoeffding' } })).toThrow(/deltaFloor is 0/);
    expect(() => deterministicGeneralizationRange({ ...base, informationLoss: -0.1 })).toThrow(/zIsFunctionOfX/);
    expect(() => deterministicGeneralizationRange({ ...base, ellMax: 0.1 })).toThrow(BoundsInputError);
  });
});

describe('maximum attainable loss', () => {
  it('softmax: log(1 + (d−1)e^{2B}) is attained and never exceeded, ≤ log d + 2B', () => {
    const rng = new Rng(3);
    for (const [d, B] of [[2, 0.5], [10, 3], [5, 40]] as const) {
      const eta = new Float64Array(d).fill(B); eta[0] = -B;
      const t = new Float64Array(d); t[0] = 1;
      expect(softmaxLoss.host.loss(eta, t)).toBeCloseTo(maxLossSoftmax(d, B), 12);
      expect(maxLossSoftmax(d, B)).toBeLessThanOrEqual(Math.log(d) + 2 * B + 1e-12);
      for (let k = 0; k < 200; k++) {
        const e = Float64Array.from({ length: d }, () => B * (2 * rng.uniform() - 1));
        const y = new Float64Array(d); y[rng.int(d)] = 1;
        expect(softmaxLoss.host.loss(e, y)).toBeLessThanOrEqual(maxLossSoftmax(d, B) * (1 + 1e-12));
      }
    }
  });

  it('simplex losses: H_Ω(uniform) + 2B bounds sparsemax and entmax on the box (corners included)', () => {
    const rng = new Rng(6);
    for (const loss of [sparsemaxLoss, entmax15Loss, softmaxLoss]) for (const [d, B] of [[3, 1], [6, 0.2], [4, 5]] as const) {
      const bound = maxLossSimplex(loss, d, B);
      for (let k = 0; k < 300; k++) {
        const e = Float64Array.from({ length: d }, () => (k % 2 ? B * Math.sign(rng.uniform() - 0.5) : B * (2 * rng.uniform() - 1)));
        const y = new Float64Array(d); y[rng.int(d)] = 1;
        expect(loss.host.loss(e, y)).toBeLessThanOrEqual(bound + 1e-9);
      }
    }
    expect(maxLossSimplex(softmaxLoss, 10, 2)).toBeCloseTo(Math.log(10) + 4, 14);
    expect(maxLossSquared(3, 1, 1)).toBe(6);
    expect(maxLossEmpirical([0.1, 3, 2])).toBe(3);
    expect(() => maxLossEmpirical([])).toThrow(/no losses/);
    expect(() => maxLossEmpirical([1, NaN])).toThrow(/losses\[1\] is NaN/);
  });
});

describe('SGD neighbourhood term and the M accumulator', () => {
  it('ε² + 4L(n − m)M/m, ε² at full batch', () => {
    expect(sgdNeighbourhoodTerm({ epsilon: 0.1, smoothness: 2, n: 100, batchSize: 4, M: 0.5 })).toBeCloseTo(0.01 + (4 * 2 * 96 * 0.5) / 4, 12);
    expect(sgdNeighbourhoodTerm({ epsilon: 0.3, smoothness: 2, n: 10, batchSize: 10, M: 7 })).toBeCloseTo(0.09, 15);
    expect(() => sgdNeighbourhoodTerm({ epsilon: 0, smoothness: 1, n: 10, batchSize: 11, M: 0 })).toThrow(/exceeds n/);
    expect(() => sgdNeighbourhoodTerm({ epsilon: 0, smoothness: -1, n: 10, batchSize: 1, M: 0 })).toThrow(/smoothness L is -1/);
  });

  it('tracks the largest out-of-batch change from per-sample losses', () => {
    const acc = new OutOfBatchChange();
    // n = 4; step 1: batch {0}: out-of-batch mean (2+3+4)/3 → (1+3+4)/3, change 1/3.
    expect(acc.observeLosses([1, 2, 3, 4], [0, 1, 3, 4], [0])).toBeCloseTo(1 / 3, 15);
    // step 2: batch {2, 3}: out-of-batch {0, 1} sum 1 → 4 with reduce 'sum': change 3.
    expect(acc.observeLosses([0, 1, 3, 4], [2, 2, 0, 0], [2, 3], 'sum')).toBe(3);
    acc.observe(5, 4.5);
    expect(acc.M).toBe(3); expect(acc.steps).toBe(3); expect(acc.last).toBe(0.5);
    expect(acc.meanChange).toBeCloseTo((1 / 3 + 3 + 0.5) / 3, 15);
    expect(acc.term({ epsilon: 0, smoothness: 1, n: 4, batchSize: 1 })).toBeCloseTo(4 * 3 * 3, 12);
    expect(() => acc.observe(NaN, 1)).toThrow(/must be finite/);
    expect(() => acc.observeLosses([1, 2], [1], [0])).toThrow(/after/);
    expect(() => acc.observeLosses([1, 2], [1, 2], [5])).toThrow(/not a sample index/);
    acc.reset(); expect(acc.M).toBe(0); expect(acc.steps).toBe(0);
  });
});
