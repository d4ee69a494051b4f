import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DivergenceError, GradientEnergyProbe, Mlp, readJsonl, ReferenceBackend, softmaxLoss, sparsemaxLoss, train, type ProbeRecord, type TrainerOptions } from '../index.js';
import { blobs } from './train-fixtures.js';

const dirs: string[] = [];
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'clt-train-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const data = blobs(48);
const base = (): TrainerOptions => ({
  model: new Mlp({ sizes: [6, 8, 3], activation: 'tanh' }), backend: new ReferenceBackend(), train: data, batch: 8, steps: 24,
  schedule: { kind: 'cosine', lr: 0.2, warmup: 3 }, momentum: 0.9, weightDecay: 1e-3, seed: 5, dtype: 'f64',
  monitor: { probeEvery: 4, probeSize: 6, budget: 1, hessianEvery: 3 }, checkpointEvery: 5,
});

describe('train (reference backend, float64)', () => {
  it('resumes from a checkpoint to exactly the weights of an uninterrupted run', async () => {
    const full = await train({ ...base(), runDir: tmp() });
    const dir = tmp();
    const halted = await train({ ...base(), runDir: dir, haltAfter: 13 }); // killed after step 13; last checkpoint at 10
    expect(halted.status).toBe('halted');
    const resumed = await train({ ...base(), runDir: dir, resume: true });
    expect(resumed.status).toBe('completed');
    for (const [k, v] of Object.entries(full.params)) expect(Array.from(resumed.params[k]!)).toEqual(Array.from(v));
    // The time series continues without duplicated steps.
    const steps = readJsonl(join(dir, 'metrics.jsonl')).filter((r) => r.type === 'step').map((r) => r.step);
    expect(steps).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    // A different configuration refuses to resume.
    await expect(train({ ...base(), runDir: dir, resume: true, batch: 4 })).rejects.toThrow(/configuration changed \(batch/);
  });

  it('stops at the diverging step with its values and a suggestion', async () => {
    const err = await train({ ...base(), schedule: { kind: 'constant', lr: 500 }, monitor: false }).catch((e) => e);
    expect(err).toBeInstanceOf(DivergenceError);
    expect(err.values.step).toBeGreaterThan(0);
    expect(err.values.step).toBeLessThan(24);
    expect(err.message).toMatch(/diverged at step \d+/);
    expect(err.suggestion).toMatch(/Lower the learning rate/);
  });

  it('the sandwich holds at every probe and the loss stays above the data floor', async () => {
    const r = await train(base());
    const probes = r.records.filter((x): x is ProbeRecord => x.type === 'probe');
    expect(probes.length).toBeGreaterThanOrEqual(6);
    for (const p of probes) {
      expect(p.holds, `step ${p.step}`).toBe(true);
      expect(p.riskLower).toBeLessThanOrEqual(p.risk);
      expect(p.risk).toBeLessThanOrEqual(p.riskUpper);
      expect(p.lambdaMinStar).toBeLessThanOrEqual(p.lambdaMaxStar);
    }
    expect(probes.at(-1)!.neighbourhood).not.toBeNull();
    expect(r.final.trainLoss).toBeGreaterThanOrEqual(r.dataFloor);
    expect(r.final.trainLoss).toBeLessThan(Math.log(3)); // it learned something
  });

  it('per-step energy and residuals match the gradient-energy probe on the same batch', async () => {
    // One step with lr = 0 leaves θ unchanged, so the step's monitors describe θ₀ on batch 0.
    const o = { ...base(), steps: 1, schedule: { kind: 'constant' as const, lr: 1e-300 }, monitor: false as const, momentum: 0 };
    const r = await train(o);
    const step = r.records.find((x) => x.type === 'step') as { energy: number; residualSq: number; gradSq: number; rayleigh: number };
    const { BatchOrder } = await import('./batches.js');
    const rows = new BatchOrder(48, 8, 5).rows(0);
    const x = new Float64Array(8 * 6), y = new Int32Array(8);
    rows.forEach((row, k) => { x.set(data.x.subarray(row * 6, row * 6 + 6), k * 6); y[k] = data.labels[row]!; });
    const probe = new GradientEnergyProbe(o.model, o.backend, { dtype: 'f64' });
    const ge = await probe.measure(r.params, x, y);
    expect(step.energy).toBeCloseTo(ge.energy, 10);
    expect(step.residualSq).toBeCloseTo(ge.residualSqNorm, 10);
    expect(step.gradSq).toBeCloseTo(ge.batchGradSqNorm, 12);
    expect(step.rayleigh).toBeCloseTo(ge.rayleighQuotient!, 8);
  });

  it('trains with any FY loss from the losses module; the Shannon one reproduces the built-in cross-entropy', async () => {
    const o = { ...base(), steps: 8, monitor: false as const };
    const builtIn = await train(o), fy = await train({ ...o, loss: softmaxLoss });
    for (const [k, v] of Object.entries(builtIn.params)) v.forEach((w, i) => expect(fy.params[k]![i]).toBeCloseTo(w, 12));
    const sp = await train({ ...o, loss: sparsemaxLoss });
    expect(sp.final.trainLoss).toBeLessThan(sp.records.find((r) => r.type === 'step')!.loss as number);
    expect(sp.dataFloor).toBe(0); // distinct inputs: the Gini floor is 0 too
  });
});
