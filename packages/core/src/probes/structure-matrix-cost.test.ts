import { describe, expect, it } from 'vitest';
import { symmetricEigen } from '../estimators/symmetric-eigen.js';
import { ReferenceBackend } from '../reference/backend.js';
import { chooseExtremesMethod, StructureMatrixProbe } from './structure-matrix.js';
import { mlpCase } from './test-fixtures.js';

// MLP 784-256-256-10: P = 785·256 + 257·256 + 257·10, Σ out_l = 256 + 256 + 10.
const mnistMlp = { d: 10, parameterCount: 785 * 256 + 257 * 256 + 257 * 10, algorithm: 'layerwise-gram', denseLayers: true, tapWidth: 522, denseFits: true } as const;

describe('extremes: method chosen by stated cost', () => {
  it('forms Θ and solves densely for a small NTK, iterates for a large one, crossing over near n ≈ 160 for the MNIST MLP', () => {
    // n = 32 (Θ 320²): 100 products of 5n passes each (≈ 8.6e9 flops) dwarf forming + 8·(4/3)N³ (≈ 1e9).
    const small = chooseExtremesMethod({ ...mnistMlp, n: 32 });
    expect(small.method).toBe('dense');
    expect(small.iterative).toBeCloseTo(100 * 5 * 32 * 2 * mnistMlp.parameterCount, -3);
    expect(small.iterative / small.dense).toBeGreaterThan(5);
    expect(chooseExtremesMethod({ ...mnistMlp, n: 128 }).method).toBe('dense');
    expect(chooseExtremesMethod({ ...mnistMlp, n: 150 }).method).toBe('dense');
    // n = 256 (the 2560² case): 8·(4/3)·2560³ ≈ 1.8e11 > 100·5·256·2P ≈ 6.9e10.
    expect(chooseExtremesMethod({ ...mnistMlp, n: 256 }).method).toBe('lobpcg');
    expect(chooseExtremesMethod({ ...mnistMlp, n: 32, denseFits: false }).method).toBe('lobpcg');
    expect(chooseExtremesMethod({ ...mnistMlp, n: 1000, denseLayers: false, algorithm: 'jacobian-contraction' }).method).toBe('lanczos');
    // A tiny model: a product costs its graph run's floor (2e7), so 100 of them (2e9) lose to a
    // 400² dense solve (≈ 6.9e8) but win against a 1200² one (≈ 1.8e10).
    const tiny = { d: 4, parameterCount: 68, algorithm: 'layerwise-gram', denseLayers: true, tapWidth: 12, denseFits: true } as const;
    expect(chooseExtremesMethod({ ...tiny, n: 100 }).method).toBe('dense');
    expect(chooseExtremesMethod({ ...tiny, n: 300 }).method).toBe('lobpcg');
  });

  it('with Θ formed for the products (formedFits), the iterative side is the cheaper product source and the crossover moves to n ≈ 57', () => {
    const formed = { ...mnistMlp, formedFits: true };
    // Forming Θ layer-wise: n(1 + d) passes + N²·Σ out_l, shared by both sides.
    const form = (n: number) => n * 11 * 2 * mnistMlp.parameterCount + (10 * n) ** 2 * 522;
    const small = chooseExtremesMethod({ ...formed, n: 32 });
    expect(small.method).toBe('dense');
    // 100 products by the formed 320² Θ cost the per-run floor each (2e7 > 10·2N²).
    expect(small.iterative).toBeCloseTo(form(32) + 100 * 2e7, -3);
    expect(small.dense).toBeCloseTo(form(32) + 8 * (4 / 3) * 320 ** 3, -3);
    expect(chooseExtremesMethod({ ...formed, n: 48 }).method).toBe('dense');
    for (const n of [64, 96, 128, 256]) expect(chooseExtremesMethod({ ...formed, n }).method).toBe('lobpcg');
    // At n = 256 the products by Θ (10·2N² each) win over NTK–vector products (5n passes each).
    expect(chooseExtremesMethod({ ...formed, n: 256 }).iterative).toBeCloseTo(form(256) + 100 * 10 * 2 * 2560 ** 2, -3);
    // Without the layer-wise algorithm there is no formed source, whatever fits.
    expect(chooseExtremesMethod({ ...formed, n: 128, algorithm: 'jacobian-contraction' }).iterative).toBeCloseTo(100 * 5 * 128 * 2 * mnistMlp.parameterCount, -3);
  });

  it('auto picks dense on a small MLP and its extremes are the dense spectrum\'s ends', async () => {
    const backend = new ReferenceBackend();
    const { model, params, x, n } = mlpCase({ sizes: [3, 8, 4], activation: 'tanh' }, 6);
    const probe = new StructureMatrixProbe(model, backend);
    const ex = await probe.extremes(params, x);
    expect(ex.method).toBe('dense');
    expect(ex.products).toBe(0);
    const exact = symmetricEigen(await probe.ntk(params, x)).values;
    expect(ex.largest).toBe(exact[n * 4 - 1]);
    expect(ex.smallest).toBe(exact[0]);
  });
});
