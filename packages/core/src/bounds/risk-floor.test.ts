import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entmax15Loss, softmaxLoss, sparsemaxLoss, squaredLoss, bernoulliLoss } from '../losses/index.js';
import { Rng } from '../util/random.js';
import { conditionalEntropy } from './conditional-entropy.js';
import { BoundsInputError } from './errors.js';
import { riskFloor } from './risk-floor.js';
import { groupRows } from './row-groups.js';

/** Rows from a list of distinct prototypes: sample i is prototype proto[i]. */
function rowsFrom(protos: number[][], proto: number[], Arr: Float32ArrayConstructor | Float64ArrayConstructor = Float32Array) {
  const dim = protos[0]!.length, data = new Arr(proto.length * dim);
  proto.forEach((k, i) => data.set(protos[k]!, i * dim));
  return { data, dim };
}

const ln = Math.log;
// Four distinct inputs: a (proto 0) 4× with labels 0,1,2,0; b (proto 1) 2× with 1,1; c (proto 2) 3× with 0,2,0; d once.
const protos = [[0.5, -1, 3], [0.5, -1, 3.0000005], [2, 2, 2], [-7, 0, 1]];
const order = [0, 2, 1, 0, 2, 3, 0, 1, 0, 2];
const labels = [0, 0, 1, 1, 2, 1, 2, 1, 0, 0];
// (the two prototypes that differ only in the last coordinate differ by 2 float32 ulps)

describe('riskFloor: hand-derived values', () => {
  // Group a (proto 0): samples 0,3,6,8 → labels 0,1,2,0 → counts [2,1,1]
  // Group c (proto 2... index 1 in protos is b): samples 1,4,9 → labels 0,2,0 → counts [2,0,1]
  // Group b (proto 1): samples 2,7 → labels 1,1 → no conflict; group d: sample 5 alone.
  const x = rowsFrom(protos, order);

  it('Shannon (softmax): the empirical conditional entropy in nats', () => {
    const hA = -(0.5 * ln(0.5) + 0.25 * ln(0.25) + 0.25 * ln(0.25)); // 1.5 ln 2
    const hC = -((2 / 3) * ln(2 / 3) + (1 / 3) * ln(1 / 3));
    const expected = (4 / 10) * hA + (3 / 10) * hC;
    const r = riskFloor(softmaxLoss, x, labels);
    expect(r.value).toBeCloseTo(expected, 14);
    expect(r.value).toBeCloseTo(0.4 * 1.5 * Math.LN2 + 0.3 * (ln(3) - (2 / 3) * Math.LN2), 14);
    expect(r.groups).toBe(4);
    expect(r.conflictingGroups).toBe(2);
    expect(r.conflictingSamples).toBe(7);
    expect(r.conflicts.map((c) => c.size)).toEqual([4, 3]);
    expect(Array.from(r.conflicts[0]!.samples)).toEqual([0, 3, 6, 8]);
    expect(Array.from(r.conflicts[0]!.histogram!)).toEqual([2, 1, 1]);
    expect(Array.from(r.conflicts[1]!.histogram!)).toEqual([2, 0, 1]);
    expect(r.conflicts[0]!.contribution).toBeCloseTo(0.4 * hA, 14);
  });

  it('Gini (sparsemax, one-hot MSE) and Tsallis-1.5 (entmax)', () => {
    const gini = 0.4 * 0.5 * (1 - (0.25 + 1 / 16 + 1 / 16)) + 0.3 * 0.5 * (1 - (4 / 9 + 1 / 9));
    expect(riskFloor(sparsemaxLoss, x, labels).value).toBeCloseTo(gini, 14);
    expect(riskFloor(squaredLoss, x, labels).value).toBeCloseTo(gini, 14);
    const ts = (p: number[]) => (1 - p.reduce((s, v) => s + v ** 1.5, 0)) / (1.5 * 0.5);
    expect(riskFloor(entmax15Loss, x, labels).value).toBeCloseTo(0.4 * ts([0.5, 0.25, 0.25]) + 0.3 * ts([2 / 3, 1 / 3]), 12);
  });

  it('rows that differ in one float32 bit are different inputs (exact grouping)', () => {
    expect(Math.fround(3) !== Math.fround(3.0000005)).toBe(true);
    expect(groupRows(x).count).toBe(4);
    expect(groupRows(rowsFrom(protos, order, Float64Array)).count).toBe(4);
  });

  it('soft targets: the Jensen gap; one-hot soft targets agree with class labels', () => {
    const oneHot = new Float64Array(30);
    labels.forEach((c, i) => { oneHot[i * 3 + c] = 1; });
    expect(riskFloor(softmaxLoss, x, { targets: oneHot, d: 3 }).value).toBeCloseTo(riskFloor(softmaxLoss, x, labels).value, 13);
    // Two samples with the same input and soft targets u, v: Shannon Jensen gap = H((u+v)/2) − (H(u)+H(v))/2.
    const H = (p: number[]) => -p.reduce((s, v) => s + (v > 0 ? v * ln(v) : 0), 0);
    const u = [0.7, 0.2, 0.1], v = [0.1, 0.3, 0.6], m = u.map((a, j) => (a + v[j]!) / 2);
    const r = riskFloor(softmaxLoss, { data: new Float64Array([1, 1]), dim: 1 }, { targets: [...u, ...v], d: 3 });
    expect(r.value).toBeCloseTo(H(m) - (H(u) + H(v)) / 2, 14);
    expect(Array.from(r.conflicts[0]!.meanTarget)).toEqual(m.map((a) => expect.closeTo(a, 15)));
  });

  it('squared loss with real targets: half the within-group variance', () => {
    const y = [1, 3, 10, -2, 4, 4]; // groups by input: {1,3}, {10}, {-2,4,4}
    const xs = new Float64Array([0, 0, 5, 7, 7, 7]);
    const halfVar = (a: number[]) => { const mu = a.reduce((s, v) => s + v, 0) / a.length; return a.reduce((s, v) => s + (v - mu) ** 2, 0) / (2 * a.length); };
    const expected = (2 / 6) * halfVar([1, 3]) + (3 / 6) * halfVar([-2, 4, 4]);
    expect(riskFloor(squaredLoss, { data: xs, dim: 1 }, { targets: y, d: 1 }).value).toBeCloseTo(expected, 13);
  });

  it('Bernoulli with 0/1 targets: binary entropy of the group rate', () => {
    const r = riskFloor(bernoulliLoss, { data: new Float64Array([2, 2, 2, 9]), dim: 1 }, { targets: [1, 0, 1, 1], d: 1 });
    const h = -((2 / 3) * ln(2 / 3) + (1 / 3) * ln(1 / 3));
    expect(r.value).toBeCloseTo((3 / 4) * h, 14);
  });
});

describe('riskFloor: zero, grids and keys', () => {
  it('is exactly 0 when all inputs are distinct, for every loss', () => {
    const rng = new Rng(3), n = 500, dim = 20;
    const x = { data: Float32Array.from(rng.normals(n * dim)), dim };
    const y = Int32Array.from({ length: n }, () => rng.int(10));
    for (const loss of [softmaxLoss, sparsemaxLoss, entmax15Loss, squaredLoss]) {
      const r = riskFloor(loss, x, y, { numClasses: 10 });
      expect(r.value).toBe(0);
      expect(r.conflicts).toHaveLength(0);
      expect(r.groups).toBe(n);
    }
  });

  it('is 0 when duplicated inputs always carry the same label', () => {
    const x = rowsFrom([[1, 2], [3, 4]], [0, 1, 0, 1, 0]);
    expect(riskFloor(softmaxLoss, x, [5, 2, 5, 2, 5]).value).toBe(0);
  });

  it('grid grouping merges nearby inputs; keys group by caller ids', () => {
    const x = { data: new Float64Array([0.1, 0.2, 0.15, 0.22, 0.9, 0.1]), dim: 2 };
    expect(groupRows(x, { step: 0.5 }).count).toBe(2);
    expect(groupRows(x, { step: 0.01 }).count).toBe(3);
    const r = riskFloor(softmaxLoss, x, [0, 1, 1], { grouping: { step: 0.5 } });
    expect(r.value).toBeCloseTo((2 / 3) * Math.LN2, 15);
    const k = conditionalEntropy(softmaxLoss, x, [0, 1, 1], { grouping: { keys: [7, 7, 7] } });
    expect(k.value).toBeCloseTo(-((1 / 3) * ln(1 / 3) + (2 / 3) * ln(2 / 3)), 15);
  });

  it('per-column grid steps, unaligned byte rows and plain arrays group like their definitions', () => {
    const x = { data: new Float64Array([0.4, 10, 0.6, 19, 0.4, 21]), dim: 2 };
    // Column 0 on a grid of 1, column 1 on a grid of 10: cells (0,1), (0,1), (0,2).
    expect(Array.from(groupRows(x, { step: [1, 10] }).groupOf)).toEqual([0, 0, 1]);
    expect(Array.from(groupRows(x, { step: [1, 10], offset: [0, 5] }).groupOf)).toEqual([0, 1, 1]);
    const buf = new Uint8Array(1 + 9);
    buf.set([7, 1, 2, 3, 1, 2, 3, 1, 2, 4]);
    const bytes = buf.subarray(1); // byteOffset 1: hashed byte by byte
    expect(Array.from(groupRows({ data: bytes, dim: 3 }).groupOf)).toEqual([0, 0, 1]);
    expect(Array.from(groupRows({ data: [1, 2, 1, 2, 1, 3], dim: 2 }).groupOf)).toEqual([0, 0, 1]);
  });

  it('hashes 60000 × 784 float32 rows (MNIST size) quickly and exactly', () => {
    const n = 60000, dim = 784, distinct = 20000, data = new Float32Array(n * dim);
    let s = 12345;
    for (let k = 0; k < distinct * dim; k++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; data[k] = (s >>> 24) / 255; }
    for (let i = distinct; i < n; i++) data.copyWithin(i * dim, (i % distinct) * dim, (i % distinct + 1) * dim);
    const y = Int32Array.from({ length: n }, (_, i) => (i < distinct ? i % 10 : (i % distinct) % 10));
    y[distinct] = (y[distinct]! + 1) % 10; // one conflict: sample `distinct` duplicates sample 0 with another label
    const t0 = performance.now();
    const r = riskFloor(softmaxLoss, { data, dim }, y, { numClasses: 10 });
    const ms = performance.now() - t0;
    console.log(`riskFloor on 60000 × 784 float32: ${ms.toFixed(0)} ms`);
    expect(r.groups).toBe(distinct);
    expect(r.conflictingGroups).toBe(1);
    // Group of sample 0 has 3 members (0, 20000, 40000) with labels 0, 1, 0.
    expect(r.value).toBeCloseTo((3 / n) * -((2 / 3) * ln(2 / 3) + (1 / 3) * ln(1 / 3)), 15);
    expect(ms).toBeLessThan(10_000);
  });
});

describe('riskFloor: never above the empirical risk of any predictor (property)', () => {
  const arb = fc.record({
    seed: fc.integer({ min: 0, max: 1e9 }),
    distinct: fc.integer({ min: 1, max: 6 }),
    n: fc.integer({ min: 1, max: 40 }),
    d: fc.integer({ min: 2, max: 5 }),
    scale: fc.double({ min: 0.01, max: 20, noNaN: true }),
  });
  for (const loss of [softmaxLoss, sparsemaxLoss, entmax15Loss]) {
    it(`${loss.name}: R̂(f) ≥ R̂* for random predictors f(x) (a function of x), and the group optimum attains R̂*`, () => {
      fc.assert(fc.property(arb, ({ seed, distinct, n, d, scale }) => {
        const rng = new Rng(seed);
        const proto = Array.from({ length: n }, () => rng.int(distinct));
        const protos = Array.from({ length: distinct }, (_, k) => [k, k * k]);
        const y = Int32Array.from({ length: n }, () => rng.int(d));
        const floor = riskFloor(loss, rowsFrom(protos, proto), y, { numClasses: d }).value;
        const logits = Array.from({ length: distinct }, () => rng.normals(d, scale));
        let risk = 0;
        for (let i = 0; i < n; i++) { const t = new Float64Array(d); t[y[i]!] = 1; risk += loss.host.loss(logits[proto[i]!]!, t); }
        risk /= n;
        expect(risk).toBeGreaterThanOrEqual(floor - 1e-12 * (1 + floor));
        if (loss === sparsemaxLoss) {
          // η = p̂(·|x) lies on the simplex, so sparsemax(η) = p̂: the floor is attained.
          let best = 0;
          for (let k = 0; k < distinct; k++) {
            const p = new Float64Array(d), idx = proto.flatMap((q, i) => (q === k ? [i] : []));
            idx.forEach((i) => { p[y[i]!] += 1 / idx.length; });
            for (const i of idx) { const t = new Float64Array(d); t[y[i]!] = 1; best += loss.host.loss(p, t); }
          }
          expect(best / n).toBeCloseTo(floor, 12);
        }
      }), { numRuns: 150 });
    });
  }
});

describe('riskFloor: bad input', () => {
  const x = { data: new Float64Array([1, 2, 3, 4]), dim: 2 };
  const expectErr = (f: () => unknown, re: RegExp) => { expect(f).toThrow(BoundsInputError); expect(f).toThrow(re); };
  it('rejects empty data, NaN, shapes and labels with a clear message', () => {
    expectErr(() => riskFloor(softmaxLoss, { data: new Float64Array(0), dim: 2 }, []), /empty/);
    expectErr(() => riskFloor(softmaxLoss, { data: new Float64Array([1, NaN, 3, 4]), dim: 2 }, [0, 1]), /row 0, column 1 is NaN/);
    expectErr(() => riskFloor(softmaxLoss, { data: new Float64Array(5), dim: 2 }, [0, 1]), /whole number of rows/);
    expectErr(() => riskFloor(softmaxLoss, x, [0, 1, 1]), /3 labels for 2 samples/);
    expectErr(() => riskFloor(softmaxLoss, x, [0, 1.5]), /integers ≥ 0/);
    expectErr(() => riskFloor(softmaxLoss, x, [0, 4], { numClasses: 3 }), /labels must lie in 0..2/);
    expectErr(() => riskFloor(softmaxLoss, x, { targets: [1, 0, 0], d: 2 }), /give n·d values/);
    expectErr(() => riskFloor(bernoulliLoss, x, [0, 1]), /0\/1 targets/);
    expectErr(() => riskFloor(softmaxLoss, x, [0, 1], { grouping: { step: 0 } }), /step\[0\] is 0/);
    expectErr(() => riskFloor(softmaxLoss, { data: new Float64Array([1, 2, 3, Infinity]), dim: 2 }, [0, 1], { grouping: { step: 1 } }), /must be finite/);
  });
});
