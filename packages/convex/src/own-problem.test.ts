import { Rng } from '@clt/core';
import { describe, expect, it } from 'vitest';
import { coverCount, enumerateArrangements } from './arrangements.js';
import { certifyNetwork } from './certify-network.js';
import { solveConvexReLU } from './convex-relu.js';
import { dataset } from './data.js';
import { nonconvexObjective, recoverNetwork, toConvexVariables } from './network.js';
import { deepToTwoLayer, trainDeep } from './train.js';

// A problem the spec does not list: 40 Gaussian points in 2-D (seeded), Gaussian targets, no
// bias, β = 0.5. The arrangement is enumerated exactly (80 cells = Cover's count), so the convex
// optimum is the global optimum of the non-convex problem of any width ≥ m*.
function ownProblem() {
  const rng = new Rng(5), n = 40;
  return dataset(rng.normals(n * 2), n, 2, rng.normals(n));
}

describe('own problem: 2-D, 40 points, beta = 0.5', () => {
  const data = ownProblem(), beta = 0.5;
  const ps = enumerateArrangements(data.X, data.n, data.d);
  const sol = solveConvexReLU(data, ps, beta, { maxOuter: 100, tol: 1e-8, constraintTol: 1e-9 });
  const net = recoverNetwork(sol);

  it('enumerates every cell (Cover count 80)', () => {
    expect(BigInt(ps.P)).toBe(coverCount(40, 2));
  });

  it('the recovered network attains the convex optimum with gap ≤ 1e-6 relative', () => {
    expect(sol.relativeGap).toBeLessThan(1e-6);
    expect(sol.gap).toBeGreaterThan(-1e-9 * sol.primal);
    expect(Math.abs(nonconvexObjective(net, data, beta) - sol.primal) / sol.primal).toBeLessThan(1e-6);
    const cert = certifyNetwork(net, data, ps, beta);
    expect(cert.optimal).toBe(true);
    console.log(`own problem: p* = ${sol.primal.toFixed(8)}, dual = ${sol.dual.toFixed(8)}, width ${net.m}, ${sol.outerIterations} AL steps, ${sol.innerIterations} FISTA steps`);
  });

  it('every SGD run of the same width ends at or above the optimum, and the certificate says by how much', () => {
    const lines: string[] = [];
    for (let seed = 0; seed < 4; seed++) {
      const r = trainDeep(data, { sizes: [data.d, net.m, 1], beta, steps: 4000, seed, optimizer: seed % 2 ? 'sgd' : 'gd', batchSize: 20, ...(seed % 2 ? { lr: 0.004 } : {}) });
      const two = deepToTwoLayer(r.net);
      const obj = nonconvexObjective(two, data, beta);
      expect(obj).toBeGreaterThanOrEqual(sol.primal * (1 - 1e-9));
      const cert = certifyNetwork(two, data, ps, beta, { optimum: sol.primal });
      // The dual bound from the SGD residual never exceeds p* (weak duality over all patterns).
      expect(cert.dualValue).toBeLessThanOrEqual(sol.primal * (1 + 1e-9));
      expect(cert.convexObjective).toBeLessThanOrEqual(obj * (1 + 1e-12));
      lines.push(`seed ${seed}: ${obj.toFixed(6)} (+${(obj - sol.primal).toExponential(2)}, certified gap ${cert.gap.toExponential(2)})`);
    }
    console.log(`SGD width ${net.m} vs p* = ${sol.primal.toFixed(6)}: ${lines.join('; ')}`);
  });

  it('a warm start from an SGD network heads to the same optimum', () => {
    const r = trainDeep(data, { sizes: [data.d, 10, 1], beta, steps: 500, seed: 9 });
    const mapped = toConvexVariables(deepToTwoLayer(r.net), data.X, data.n, ps);
    expect(mapped.patterns.P).toBe(ps.P);
    const warm = solveConvexReLU(data, mapped.patterns, beta, { warmStart: mapped.theta, certify: false, maxOuter: 5 });
    // A short warm-started solve (5 AL steps, iterates may still violate the cones slightly)
    // lands near p*, below the SGD objective it started from.
    expect(warm.primal).toBeLessThan(r.objective);
    expect(Math.abs(warm.primal - sol.primal) / sol.primal).toBeLessThan(1e-2);
  });
});
