import { Rng } from '@clt/core';
import { describe, expect, it } from 'vitest';
import { coverCount, enumerateArrangements, patternKey, sampleArrangements, type PatternSet } from './arrangements.js';
import { solveConvexReLU } from './convex-relu.js';
import { dataset } from './data.js';
import { networkPredict, nonconvexObjective, recoverNetwork } from './network.js';
import { deepToTwoLayer, trainDeep } from './train.js';

// The spec's C-T1…C-T7 setting: n = 12, d = 3 Gaussian data, no bias, β = 0.05 (our own seed).
const rng = new Rng(7);
const n = 12, d = 3, beta = 0.05;
const data = dataset(rng.normals(n * d), n, d, rng.normals(n));
const ps = enumerateArrangements(data.X, n, d);
const sol = solveConvexReLU(data, ps, beta);

describe('convex program (C4) on n = 12, d = 3 (C-T1…C-T7)', () => {
  it('C-T6: exact enumeration reaches Cover\'s count; Gaussian sampling stays below it', () => {
    expect(BigInt(ps.P)).toBe(coverCount(n, 3));
    expect(ps.P).toBe(134);
    const sampled = sampleArrangements(data.X, n, d, 20000, new Rng(1));
    expect(BigInt(sampled.P)).toBeLessThanOrEqual(coverCount(n, 3));
    // Every sampled pattern is one of the enumerated cells.
    const cells = new Set(Array.from({ length: ps.P }, (_, i) => patternKey(ps.masks, i * n, n)));
    for (let i = 0; i < sampled.P; i++) expect(cells.has(patternKey(sampled.masks, i * n, n))).toBe(true);
  });

  it('C-T1: the recovered network attains the convex optimum', () => {
    expect(sol.converged).toBe(true);
    const net = recoverNetwork(sol);
    expect(Math.abs(nonconvexObjective(net, data, beta) - sol.primal) / sol.primal).toBeLessThan(1e-6);
  });

  it('C-T2: zero duality gap, ½‖y‖² − ½‖ŷ‖² = p*', () => {
    let yy = 0, zz = 0;
    for (let i = 0; i < n; i++) { yy += data.Y[i]! ** 2; zz += sol.predictions[i]! ** 2; }
    expect(Math.abs(0.5 * yy - 0.5 * zz - sol.primal) / sol.primal).toBeLessThan(1e-6);
    expect(sol.relativeGap).toBeLessThan(1e-6);
  });

  it('C-T3: the dual constraint is tight (= β) and holds against random directions', () => {
    const cert = sol.certificate!;
    expect(Math.abs(cert.maxConstraint - beta) / beta).toBeLessThan(1e-6);
    expect(cert.tight).toBeGreaterThan(0);
    // Independent of the cone projections: |λᵀ(Xu)_+| ≤ β for random unit u.
    const r = new Rng(3);
    let worst = 0;
    for (let t = 0; t < 20000; t++) {
      const u = r.normals(d), un = Math.hypot(...u);
      let s = 0;
      for (let k = 0; k < n; k++) {
        let z = 0;
        for (let j = 0; j < d; j++) z += data.X[k * d + j]! * u[j]! / un;
        if (z > 0) s += z * cert.lambda[k]!;
      }
      worst = Math.max(worst, Math.abs(s));
    }
    expect(worst).toBeLessThanOrEqual(beta * (1 + 1e-6));
    expect(worst).toBeGreaterThan(0.9 * beta);
  });

  it('C-T5: every recovered neuron realizes its pattern', () => {
    const net = recoverNetwork(sol);
    expect(net.m).toBeGreaterThan(0);
    for (let j = 0; j < net.m; j++) {
      const i = net.pattern[j]!;
      for (let k = 0; k < n; k++) {
        let z = 0;
        for (let t = 0; t < d; t++) z += data.X[k * d + t]! * net.U[j * d + t]!;
        if (Math.abs(z) > 1e-7) expect(z >= 0 ? 1 : 0).toBe(ps.masks[i * n + k]);
      }
    }
  });

  it('C-T7: adding patterns never increases the optimum', () => {
    const sub = (P: number): PatternSet => ({ n, P, masks: ps.masks.slice(0, P * n) });
    const vals = [20, 60, 100].map((P) => solveConvexReLU(data, sub(P), beta).primal);
    vals.push(sol.primal);
    for (let i = 1; i < vals.length; i++) expect(vals[i]!).toBeLessThanOrEqual(vals[i - 1]! * (1 + 1e-9));
  });

  it('C-T4: gradient descent from random inits (widths 2, 5, 20) never goes below p*', () => {
    const results: string[] = [];
    for (const m of [2, 5, 20]) {
      for (let seed = 0; seed < 3; seed++) {
        const r = trainDeep(data, { sizes: [d, m, 1], beta, steps: 3000, seed });
        const obj = nonconvexObjective(deepToTwoLayer(r.net), data, beta);
        expect(Math.abs(obj - r.objective)).toBeLessThan(1e-9 * obj);
        expect(obj).toBeGreaterThanOrEqual(sol.primal * (1 - 1e-9));
        results.push(`m=${m} seed=${seed}: ${(obj - sol.primal).toExponential(2)}`);
      }
    }
    console.log(`p* = ${sol.primal.toFixed(10)}; GD − p*: ${results.join(', ')}`);
    const net = recoverNetwork(sol);
    expect(networkPredict(net, data.X, n).length).toBe(n);
  });
});

describe('working-set solve (constraint generation over the dual)', () => {
  it('reaches the full-set optimum and certifies it against every pattern', async () => {
    const { solveConvexReLUWorkingSet } = await import('./working-set.js');
    const ws = solveConvexReLUWorkingSet(data, ps, beta, { initial: 10, addPerRound: 10 });
    expect(ws.working).toBeLessThan(ps.P);
    expect(Math.abs(ws.primal - sol.primal) / sol.primal).toBeLessThan(1e-7);
    expect(ws.certificate!.ratio).toBeLessThan(1 + 1e-6);
    expect(ws.relativeGap).toBeLessThan(1e-6);
  });
});
