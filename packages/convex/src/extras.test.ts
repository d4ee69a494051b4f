import { Mlp, Rng, interpret, spec, trace } from '@clt/core';
import { describe, expect, it } from 'vitest';
import { enumerateArrangements, sampleArrangements } from './arrangements.js';
import { solveConvexReLU } from './convex-relu.js';
import { dataset, oneHotTargets, withBias } from './data.js';
import { ConvexInputError } from './errors.js';
import { solveGatedGroupLasso } from './gated.js';
import { softmaxLoss } from './losses.js';
import { fromMlpParams, networkPredict, nonconvexObjective, recoverNetwork, toMlpParams } from './network.js';

const rng = new Rng(21);

describe('softmax cross-entropy, multi-class without one-vs-all', () => {
  it('the loss gradient matches finite differences', () => {
    const n = 3, c = 4, Z = rng.normals(n * c), Y = oneHotTargets([0, 3, 1], c), G = new Float64Array(n * c);
    softmaxLoss.value(Z, Y, n, c, G);
    for (let i = 0; i < n * c; i++) {
      const h = 1e-6, zp = Z.slice(), zm = Z.slice();
      zp[i]! += h; zm[i]! -= h;
      expect(Math.abs((softmaxLoss.value(zp, Y, n, c) - softmaxLoss.value(zm, Y, n, c)) / (2 * h) - G[i]!)).toBeLessThan(1e-7);
    }
  });
  it('3 classes in 2-D: zero gap, and the recovered network attains the convex value', () => {
    const n = 9, X = rng.normals(n * 2), labels = Array.from({ length: n }, (_, i) => i % 3);
    const data = withBias(dataset(X, n, 2, oneHotTargets(labels, 3), 3));
    const ps = enumerateArrangements(data.X, n, 3), beta = 0.3;
    const s = solveConvexReLU(data, ps, beta, { loss: softmaxLoss, maxOuter: 100 });
    console.log(`softmax 3-class: primal ${s.primal}, gap ${s.relativeGap.toExponential(2)}, ${s.innerIterations} FISTA steps`);
    expect(s.relativeGap).toBeLessThan(1e-6);
    const net = recoverNetwork(s);
    expect(Math.abs(nonconvexObjective(net, data, beta, softmaxLoss) - s.primal) / s.primal).toBeLessThan(1e-6);
  });
});

describe('gated ReLU (C6)', () => {
  it('FISTA reaches zero gap and never beats the ReLU program on the same gates', () => {
    const n = 15, data = dataset(rng.normals(n * 3), n, 3, rng.normals(n));
    const ps = sampleArrangements(data.X, n, 3, 30, new Rng(2));
    const g = solveGatedGroupLasso(data, ps, 0.1);
    expect(g.converged).toBe(true);
    expect(g.gap / g.primal).toBeLessThan(1e-8);
    // (C4) adds the cone constraints (u = v − w with v, w in the cone): its feasible set is a subset, cost ≥.
    const r = solveConvexReLU(data, ps, 0.1);
    expect(r.primal).toBeGreaterThanOrEqual(g.primal * (1 - 1e-7));
  });
});

describe('map to the clt Mlp', () => {
  it('the Mlp built from the recovered weights computes the same predictions', () => {
    const n = 6, x = rng.normals(n * 2), y = rng.normals(n);
    const data = withBias(dataset(x, n, 2, y));
    const net = recoverNetwork(solveConvexReLU(data, enumerateArrangements(data.X, n, 3), 0.05));
    for (const bias of [true, false]) {
      const w = toMlpParams(net, bias);
      const mlp = new Mlp({ sizes: w.sizes, bias: w.bias, activation: 'relu' });
      const inputs = bias ? x : data.X;
      const specs: Record<string, ReturnType<typeof spec>> = { x: spec([n, w.sizes[0]], 'f64') };
      for (const p of mlp.params) specs[p.name] = spec(p.shape, 'f64');
      const g = trace(specs, (t) => ({ out: mlp.apply(t as never, t['x']!) }));
      const out = interpret(g, { x: inputs, ...w.params })['out']!;
      const ref = networkPredict(net, data.X, n);
      for (let i = 0; i < n; i++) expect(Math.abs(out[i]! - ref[i]!)).toBeLessThan(1e-12);
      const back = fromMlpParams(w.params, w.sizes);
      if (bias) expect(Array.from(back.U)).toEqual(Array.from(net.U));
    }
  });
});

describe('bad input gets a clear error', () => {
  const data = dataset([1, 2, 3, 4], 2, 2, [1, 0]);
  const ps = enumerateArrangements(data.X, 2, 2);
  it.each([0, -1, NaN])('beta = %s', (b) => expect(() => solveConvexReLU(data, ps, b)).toThrow(/beta must be a finite number > 0/));
  it('empty, NaN, mismatched', () => {
    expect(() => dataset([], 0, 2, [])).toThrow(ConvexInputError);
    expect(() => dataset([1, NaN], 1, 2, [1])).toThrow(/non-finite value/);
    expect(() => dataset([1, 2, 3], 2, 2, [1, 2])).toThrow(/shape says 2×2/);
    expect(() => dataset([1, 2, 3, 4], 2, 2, [1])).toThrow(/shapes must match/);
    expect(() => solveConvexReLU(dataset([1, 2, 3, 4, 5, 6], 3, 2, [1, 2, 3]), ps, 1)).toThrow(/pattern set is for 2 samples/);
  });
  it('too many patterns for the memory budget', () => {
    expect(() => solveConvexReLU(data, ps, 1, { memoryBudgetBytes: 100 })).toThrow(/over the memory budget/);
  });
  it('softmax targets must be probabilities', () => {
    expect(() => solveConvexReLU(dataset([1, 2, 3, 4], 2, 2, [1, 1, 0, 2], 2), ps, 1, { loss: softmaxLoss })).toThrow(/probability rows|sum to 1/);
  });
});
