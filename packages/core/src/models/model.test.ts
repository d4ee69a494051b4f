import { describe, expect, it } from 'vitest';
import { describeParameterCount, initParams, Mlp, Rng, parameterCount, parameterCounts } from '../index.js';

describe('parameter counts', () => {
  it('dense: effective = total = Σ (in·out + out)', () => {
    const m = new Mlp({ sizes: [784, 256, 256, 10] });
    const total = 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10;
    expect(total).toBe(269_322);
    expect(parameterCounts(m)).toEqual({ total, effective: total, masked: 0 });
    expect(describeParameterCount(m)).toBe('269,322 parameters');
  });

  it('sparse: the masked hidden weights are left out of the effective count (issue 18: --sparsity 0.9 reported 269,322)', () => {
    const m = new Mlp({ sizes: [784, 256, 256, 10], sparsity: 0.9, maskSeed: 0 });
    const c = parameterCounts(m);
    expect(c.total).toBe(269_322);
    expect(parameterCount(m)).toBe(269_322);
    // The output layer is never masked; the hidden weights (784·256 + 256·256 = 266,240) keep ~10%.
    const hidden = 784 * 256 + 256 * 256;
    expect(c.masked).toBeGreaterThan(0.88 * hidden);
    expect(c.masked).toBeLessThan(0.92 * hidden);
    expect(c.effective).toBe(c.total - c.masked);
    // Independent count: the zeros a fresh initialisation actually has in W0 and W1 (masked entries are set to 0).
    const w = initParams(m, new Rng(3));
    const zeros = [...w.W0!, ...w.W1!].filter((v) => v === 0).length;
    expect(c.masked).toBe(zeros);
    expect(describeParameterCount(m)).toBe(`${c.effective.toLocaleString('en-US')} effective of 269,322 parameters (${c.masked.toLocaleString('en-US')} masked to zero)`);
  });
});
