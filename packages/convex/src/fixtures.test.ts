import { describe, expect, it } from 'vitest';
import { enumerateArrangements, enumerateArrangements1D } from './arrangements.js';
import { solveConvexReLU } from './convex-relu.js';
import { dataset, withBias } from './data.js';
import { minNormInterpolation } from './min-norm.js';
import { networkPredict, nonconvexObjective, recoverNetwork } from './network.js';
import { checkSpline1D } from './spline.js';
import { solveTwoLayerLinear } from './linear-networks.js';

// Appendix A of spec/related-papers.md: values computed with cvxpy + Clarabel, not by this code.
describe('fixture F1: 1-D data with a bias column, program (C4)', () => {
  const x = [-1, -0.2, 0.5, 1], y = [1, 0.2, 0.8, -0.5];
  const data = withBias(dataset(x, 4, 1, y));
  const ps = enumerateArrangements1D(x);

  it('has 8 patterns including all-zeros and all-ones', () => {
    expect(ps.P).toBe(8);
    const rows = Array.from({ length: ps.P }, (_, i) => Array.from(ps.masks.subarray(i * 4, i * 4 + 4)).join(''));
    expect(rows).toContain('0000');
    expect(rows).toContain('1111');
  });

  it.each([
    [0.1, 0.37089922, [0.872525, 0.49945, 0.3179, -0.276393]],
    [0.01, 0.05726136, [0.987252, 0.233482, 0.747099, -0.477639]],
  ])('beta = %s: p* and predictions match, with zero gap', (beta, pstar, yhat) => {
    const s = solveConvexReLU(data, ps, beta);
    expect(s.converged).toBe(true);
    expect(Math.abs(s.primal - pstar)).toBeLessThan(1e-6);
    expect(Math.abs(s.dual - pstar)).toBeLessThan(1e-6);
    expect(s.relativeGap).toBeLessThan(1e-8);
    // The fixture prints ŷ to ~6 digits; the middle entries vary ~1e-6 across solvers (spec).
    yhat.forEach((v, i) => expect(Math.abs(s.predictions[i]! - v)).toBeLessThan(2e-5));
    // The recovered network realizes the convex optimum.
    const net = recoverNetwork(s);
    expect(Math.abs(nonconvexObjective(net, data, beta) - s.primal)).toBeLessThan(1e-8);
  });

  it('minimum-norm interpolation: Σ‖·‖ = 5.95524089 and f is the linear interpolant on [−1, 1]', () => {
    const mn = minNormInterpolation(data, ps);
    expect(mn.residual).toBeLessThan(1e-8);
    expect(Math.abs(mn.norm - 5.95524089)).toBeLessThan(1e-6);
    expect(Math.abs(mn.gap)).toBeLessThan(1e-6);
    const rep = checkSpline1D(recoverNetwork(mn), x, y);
    expect(rep.maxDeviation).toBeLessThan(1e-6);
    expect(rep.isLinearSpline).toBe(true);
  });
});

describe('fixture F2: two-layer linear network (B3)/(B5)', () => {
  const X = [1, 0, 2, 0, 1, 1, 1, 1, 0, 2, -1, 1, 0, 0, 1], y = [1, 2, 0, -1, 1];
  const data = dataset(X, 5, 3, y);
  it.each([
    [0.5, 0.74892505, [-0.57828728, 0.71247126, 0.85323919]],
    [5.0, 3.49892204, [-0.00449431, 0.01291748, 0.01703101]],
    [100, 3.5, [0, 0, 0]],
  ])('beta = %s', (beta, pstar, wstar) => {
    const s = solveTwoLayerLinear(data, beta);
    expect(Math.abs(s.primal - pstar)).toBeLessThan(1e-6);
    // The fixture's w* is cvxpy's, accurate to ~3e-6 (its p* to 1e-8); ours is checked directly
    // against the optimality condition Xᵀ(Xw − y) + β w/‖w‖ = 0 below.
    wstar.forEach((v, i) => expect(Math.abs(s.w[i]! - v)).toBeLessThan(5e-6));
    const wn = Math.hypot(...s.w);
    for (let j = 0; j < 3 && wn > 0; j++) {
      let g = beta * s.w[j]! / wn;
      for (let r = 0; r < 5; r++) g -= X[r * 3 + j]! * s.lambda[r]!;
      expect(Math.abs(g)).toBeLessThan(1e-10);
    }
    expect(Math.abs(s.primal - s.dual)).toBeLessThan(1e-9 * Math.max(1, s.primal));
    if (beta < 5.099020) expect(Math.abs(s.dualNorm - beta)).toBeLessThan(1e-8);
  });
});

describe('fixture F3: 2-D ReLU without bias, 12 patterns (C-T9)', () => {
  const X = [1, 0, 0, 1, -1, 0.5, 0.3, -1, -0.7, -0.6, 0.9, 0.8], y = [1, -1, 0.5, 0.2, -0.3, 0.9];
  const data = dataset(X, 6, 2, y);
  it('enumerates the 12 cells and reproduces p* and ŷ', () => {
    const ps = enumerateArrangements(data.X, 6, 2);
    expect(ps.P).toBe(12);
    const s = solveConvexReLU(data, ps, 0.1);
    expect(Math.abs(s.primal - 0.46782707)).toBeLessThan(1e-6);
    expect(s.relativeGap).toBeLessThan(1e-8);
    [1.192161, -0.600229, 0.284953, 0.147844, -0.135647, 0.592762].forEach((v, i) => expect(Math.abs(s.predictions[i]! - v)).toBeLessThan(2e-6));
    const net = recoverNetwork(s);
    const f = networkPredict(net, data.X, 6);
    for (let i = 0; i < 6; i++) expect(Math.abs(f[i]! - s.predictions[i]!)).toBeLessThan(1e-8);
  });
});
