import { describe, expect, it } from 'vitest';
import { grad } from '../ad/transforms.js';
import { symmetricEigen } from '../estimators/symmetric-eigen.js';
import { spec, trace } from '../ir/builder.js';
import type { Tensor } from '../ir/tensor.js';
import { toDense } from '../linop/dense.js';
import { asymmetry } from '../linop/dense.js';
import { ReferenceBackend } from '../reference/backend.js';
import { interpret } from '../reference/interpret.js';
import { Rng } from '../util/random.js';
import type { PerSampleLoss } from './gradient-energy.js';
import { HessianProbe } from './hessian.js';
import { maxRelDiff, mlpCase } from './test-fixtures.js';

const backend = new ReferenceBackend();
const squared: PerSampleLoss = (eta, y) => eta.sub(y).square().sum(-1).mul(0.5);

describe('HessianProbe', () => {
  it('Hessian–vector products match central differences of the gradient', async () => {
    const { model, params, x, n } = mlpCase({ sizes: [3, 5, 2], activation: 'tanh' }, 4);
    const labels = Int32Array.of(0, 1, 1, 0);
    const probe = new HessianProbe(model, backend);
    const op = probe.operator(params, x, labels);
    const P = op.size, v = new Rng(3).normals(P);
    const hv = await op.matvec(v);
    const g = grad(trace({ ...Object.fromEntries(model.params.map((p) => [p.name, spec(p.shape, 'f64')])), x: spec([n, 3], 'f64'), y: spec([n, 2], 'f64') }, (xs) => {
      const { x: xx, y: yy, ...ps } = xs as Record<string, Tensor>;
      const eta = model.apply(ps, xx!);
      return { risk: eta.logsumexp(-1).sub(eta.mul(yy!).sum(-1)).mean() };
    }), { wrt: model.params.map((p) => p.name) });
    const y = Float64Array.of(1, 0, 0, 1, 0, 1, 1, 0);
    const gradAt = (t: number) => {
      const shifted: Record<string, Float64Array> = {};
      let o = 0;
      for (const p of model.params) { const a = Float64Array.from(params[p.name]!); for (let i = 0; i < a.length; i++) a[i]! += t * v[o + i]!; o += a.length; shifted[p.name] = a; }
      const r = interpret(g, { ...shifted, x, y });
      return Float64Array.from(model.params.flatMap((p) => Array.from(r[`grad_${p.name}`] as Float64Array)));
    };
    const h = 1e-4, gp = gradAt(h), gm = gradAt(-h);
    expect(maxRelDiff(hv, gp.map((a, i) => (a - gm[i]!) / (2 * h)))).toBeLessThan(1e-7);
    op.dispose();
  });

  it('a linear model with squared loss has the closed-form Hessian spectrum eig((1/n) X̃ᵀX̃) ⊗ I_d; Lanczos finds its extremes', async () => {
    const { model, params, x, n } = mlpCase({ sizes: [4, 3] }, 9);
    const y = new Rng(2).normals(n * 3);
    const probe = new HessianProbe(model, backend, { loss: squared });
    const dense = await toDense(probe.operator(params, x, y));
    expect(asymmetry(dense)).toBeLessThan(1e-12);
    // X̃ = [x, 1]: (1/n) X̃ᵀ X̃ is 5 × 5; every eigenvalue appears d = 3 times.
    const G = new Float64Array(25);
    for (let i = 0; i < n; i++) for (let a = 0; a < 5; a++) for (let b = 0; b < 5; b++) G[a * 5 + b]! += ((a < 4 ? x[i * 4 + a]! : 1) * (b < 4 ? x[i * 4 + b]! : 1)) / n;
    const base = symmetricEigen({ size: 5, data: G }).values;
    const expected = Float64Array.from([...base, ...base, ...base]).sort();
    expect(maxRelDiff(symmetricEigen(dense).values, expected)).toBeLessThan(1e-12);
    const ex = await probe.extremes(params, x, y);
    expect(Math.abs(ex.largest - base[4]!) / base[4]!).toBeLessThan(1e-6);
    expect(Math.abs(ex.smallest - base[0]!) / base[4]!).toBeLessThan(1e-6);
    expect(ex.smoothness).toBeCloseTo(Math.max(Math.abs(base[0]!), base[4]!), 8);
  });
});
