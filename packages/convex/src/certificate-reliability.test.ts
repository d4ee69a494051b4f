import { Rng } from '@clt/core';
import { describe, expect, it } from 'vitest';
import { enumerateArrangements, enumerateArrangements1D } from './arrangements.js';
import { solveConvexReLU } from './convex-relu.js';
import { dataset, withBias, type Dataset } from './data.js';
import { fistaGroupLasso } from './fista.js';
import { nonconvexObjective, recoverNetwork } from './network.js';
import type { SolveProgress } from './progress.js';
import type { ConvexReluSolution } from './convex-relu.js';

/** max over random unit u of |sλᵀ(Xu)_+|: an estimate of the dual constraint that uses no cone projection. */
function dualConstraintBySampling(sol: ConvexReluSolution, data: Dataset, draws = 20000): number {
  const { X, n, d } = data, cert = sol.certificate!, r = new Rng(11);
  let worst = 0;
  for (let t = 0; t < draws; t++) {
    const u = r.normals(d), un = Math.hypot(...u);
    let s = 0;
    for (let k = 0; k < n; k++) {
      let z = 0;
      for (let j = 0; j < d; j++) z += X[k * d + j]! * u[j]! / un;
      if (z > 0) s += z * cert.scale * cert.lambda[k]!;
    }
    worst = Math.max(worst, Math.abs(s));
  }
  return worst;
}

/** −ℓ*(−sλ) for the squared loss, computed here rather than by the loss object. */
function squaredDual(sol: ConvexReluSolution, data: Dataset): number {
  let v = 0;
  for (let i = 0; i < data.n; i++) { const l = sol.certificate!.scale * (data.Y[i]! - sol.predictions[i]!); v += l * data.Y[i]! - 0.5 * l * l; }
  return v;
}

// Issue 17 defect 10: with defaults the solver stopped at gap 4e-5 on n = 8, d = 2 problems.
describe('defaults reach the documented gap on n = 8, d = 2', () => {
  const r1 = new Rng(4);
  const x = Array.from({ length: 8 }, (_, i) => -2 + 0.5 * i + 0.3 * r1.uniform()), y = Array.from({ length: 8 }, () => r1.normal());
  const r2 = new Rng(0);
  const gauss = dataset(r2.normals(16), 8, 2, r2.normals(8));
  it.each([
    ['1-D with a bias (stopped at 2.3e-5 before)', withBias(dataset(x, 8, 1, y)), enumerateArrangements1D(x), 0.1],
    ['2-D Gaussian, no bias', gauss, enumerateArrangements(gauss.X, 8, 2), 0.1],
    ['2-D Gaussian, β = 0.01 (stopped at 5.6e-4 before)', gauss, enumerateArrangements(gauss.X, 8, 2), 0.01],
  ] as const)('%s: certified with relative gap ≤ 1e-9, checked independently', (_name, data, ps, beta) => {
    const sol = solveConvexReLU(data, ps, beta);
    expect(sol.certified).toBe(true);
    expect(sol.stopReason).toBe('gap');
    expect(sol.status).toMatch(/^certified: relative duality gap/);
    expect(sol.gap).toBeGreaterThanOrEqual(0);
    expect(sol.relativeGap).toBeLessThanOrEqual(1e-9);
    // Upper bound: the recovered ReLU network, evaluated with (Xu)_+, attains the primal value.
    expect(Math.abs(nonconvexObjective(recoverNetwork(sol, 0), data, beta) - sol.primal)).toBeLessThan(1e-10);
    // Lower bound: the scaled residual is dual feasible (by sampling, no cone projection) and has this dual value.
    expect(dualConstraintBySampling(sol, data)).toBeLessThanOrEqual(beta * (1 + 1e-9));
    expect(Math.abs(squaredDual(sol, data) - sol.dual)).toBeLessThan(1e-12);
  });
});

// Fixture F3 (cvxpy + Clarabel, spec Appendix A): p* = 0.46782707 over the 12 cells.
describe('a stopped solve is a valid bound, never a negative gap', () => {
  const X = [1, 0, 0, 1, -1, 0.5, 0.3, -1, -0.7, -0.6, 0.9, 0.8], y = [1, -1, 0.5, 0.2, -0.3, 0.9];
  const data = dataset(X, 6, 2, y), ps = enumerateArrangements(data.X, 6, 2), pstar = 0.46782707;
  it.each([1, 2, 3, 5])('maxOuter = %i: dual ≤ p* ≤ primal, gap ≥ 0, the point is feasible, and "not certified" says why', (maxOuter) => {
    const raw = solveConvexReLU(data, ps, 0.1, { maxOuter, certify: false });
    const sol = solveConvexReLU(data, ps, 0.1, { maxOuter });
    // The raw AL iterate is infeasible, which is how "primal − dual" went negative before.
    expect(raw.violation).toBeGreaterThan(0);
    expect(sol.violation).toBeLessThan(1e-14);
    expect(sol.gap).toBeGreaterThanOrEqual(0);
    expect(sol.primal).toBeGreaterThanOrEqual(pstar - 1e-8);
    expect(sol.dual).toBeLessThanOrEqual(pstar + 1e-8);
    expect(sol.certified).toBe(sol.relativeGap <= 1e-9);
    if (!sol.certified) expect(sol.status).toMatch(/^not certified: the iteration limit was reached with relative duality gap/);
  });
});

describe('time limit and progress', () => {
  const rng = new Rng(5), n = 40, d = 2;
  const data = dataset(rng.normals(n * d), n, d, rng.normals(n));
  const ps = enumerateArrangements(data.X, n, d);
  it('timeLimit stops the solve promptly and reports it as not certified', () => {
    const t0 = performance.now();
    const sol = solveConvexReLU(data, ps, 0.5, { timeLimit: 0.2 });
    const wall = (performance.now() - t0) / 1000;
    expect(sol.stopReason).toBe('time-limit');
    expect(sol.certified).toBe(false);
    expect(sol.converged).toBe(false);
    expect(sol.status).toMatch(/^not certified: the time limit was reached after/);
    expect(sol.gap).toBeGreaterThanOrEqual(0);
    // One certificate (80 patterns) after the limit, not another full inner solve.
    expect(wall).toBeLessThan(5);
  });
  it('onProgress is called with growing step counts and ends on the returned bounds', () => {
    const seen: SolveProgress[] = [];
    const sol = solveConvexReLU(data, ps, 0.5, { timeLimit: 1, progressInterval: 0, onProgress: (p) => seen.push(p) });
    expect(seen.length).toBeGreaterThan(2);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.inner).toBeGreaterThanOrEqual(seen[i - 1]!.inner);
    const end = seen[seen.length - 1]!;
    expect(end.gap).toBe(sol.gap);
    expect(end.primal).toBe(sol.primal);
  });
  it('rejects a bad timeLimit with a message', () => {
    expect(() => solveConvexReLU(data, ps, 0.5, { timeLimit: -1 })).toThrow(/timeLimit must be a number of seconds > 0/);
  });
  it('fistaGroupLasso honours shouldStop', () => {
    let polls = 0;
    const res = fistaGroupLasso({ blocks: 1, d: 1, beta: 0, lipschitz: 1, smooth: (t, g) => { g[0] = 1e-3 * t[0]!; return 0; } }, Float64Array.of(1), {
      maxIterations: 1e6, tol: 0, shouldStop: () => ++polls >= 3,
    });
    expect(res.converged).toBe(false);
    expect(res.iterations).toBe(3 * 64 - 1);
  });
});
