import { describe, expect, it } from 'vitest';
import { detectStall, Mlp, ReferenceBackend, train, validateStallOptions, type TrainerOptions } from '../index.js';
import { blobs } from './train-fixtures.js';

const pts = (losses: number[]) => losses.map((loss, i) => ({ step: i * 5, loss }));
const o = { warmup: 0, dataFloor: 0, series: 'probe-set loss' as const };

describe('stall detection', () => {
  it('flags a flat loss with the numbers, and not a falling or a converged one', () => {
    const flat = detectStall(pts(Array.from({ length: 15 }, (_, i) => 2.3026 - 1e-4 * i)), o);
    expect(flat).toMatchObject({ fraction: 0.01, probes: 10, fromStep: 20, step: 70, series: 'probe-set loss' });
    expect(flat!.lossFrom).toBeCloseTo(2.3022, 10);
    expect(flat!.lossTo).toBeCloseTo(2.3012, 10);
    // Falls 1.1% over the last 10 points: not stalled (the threshold is strict: 1 − 0.01).
    expect(detectStall(pts(Array.from({ length: 11 }, (_, i) => 2 * (1 - 0.011 * i / 10))), o)).toBeUndefined();
    expect(detectStall(pts(Array.from({ length: 11 }, (_, i) => 2 * (1 - 0.009 * i / 10))), o)).toBeDefined();
    // Learned (below half of the first loss), then flat: converged, not stalled.
    expect(detectStall(pts([2, 1.5, 0.9, ...Array(12).fill(0.8)]), o)).toBeUndefined();
    // A plateau on a positive data floor is converged too: only the loss above the floor counts.
    expect(detectStall(pts([1.2, 0.9, 0.75, ...Array(12).fill(0.7)]), { ...o, dataFloor: 0.69 })).toBeUndefined();
  });

  it('needs K + 1 points after warm-up; K = 0 or fraction 0 disables it; bad options are refused', () => {
    const flat = pts(Array(12).fill(2.3));
    expect(detectStall(flat, o)).toBeDefined();
    expect(detectStall(flat, { ...o, warmup: 10 })).toBeUndefined(); // 10 points left after step 10
    expect(detectStall(flat, { ...o, options: { probes: 0 } })).toBeUndefined();
    expect(detectStall(flat, { ...o, options: { fraction: 0 } })).toBeUndefined();
    expect(detectStall(flat, { ...o, options: false })).toBeUndefined();
    expect(detectStall(flat, { ...o, options: { probes: 3, fraction: 0.5 } })).toMatchObject({ probes: 3, fraction: 0.5, fromStep: 40 });
    expect(() => validateStallOptions({ probes: 2.5 })).toThrow(/probes must be a non-negative integer/);
    expect(() => validateStallOptions({ fraction: 1 })).toThrow(/fraction must be in \[0, 1\)/);
  });

  it('a run that cannot learn (lr 1e-6) ends stalled; the same run with a working lr completes', async () => {
    const base: TrainerOptions = {
      model: new Mlp({ sizes: [6, 8, 3], activation: 'tanh' }), backend: new ReferenceBackend(), train: blobs(48), batch: 8, steps: 40,
      schedule: { kind: 'constant', lr: 0.2 }, momentum: 0.9, seed: 5, dtype: 'f64', monitor: { probeEvery: 2, probeSize: 12, budget: 1, hessianEvery: 0 },
    };
    const stuck = await train({ ...base, schedule: { kind: 'constant', lr: 1e-6 } });
    expect(stuck.status).toBe('stalled');
    expect(stuck.stall).toMatchObject({ probes: 10, fraction: 0.01, fromStep: 20, step: 40, series: 'probe-set loss' });
    expect(stuck.records.at(-1)).toMatchObject({ type: 'end', status: 'stalled' });
    const ok = await train(base);
    expect(ok.status).toBe('completed');
    expect(ok.stall).toBeUndefined();
    expect((await train({ ...base, schedule: { kind: 'constant', lr: 1e-6 }, stall: false })).status).toBe('completed');
  });
});
