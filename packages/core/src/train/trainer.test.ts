import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointError, DivergenceError, GradientEnergyProbe, loadCheckpoint, Mlp, NoCheckpointError, readJsonl, ReferenceBackend, softmaxLoss, sparsemaxLoss, stepNames, train, type ProbeRecord, type TrainerOptions } from '../index.js';
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
    const probe = new GradientEnergyProbe(o.model, o.backend, { dtype: 'f64', batchGradient: true });
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

  // Weights after step s are first judged by step s + 1 (whose loss is computed on them), so the
  // last healthy checkpoint before a divergence flagged at step k is that of step k − 2.
  it('divergence leaves the last healthy checkpoint behind, and --resume starts from it (issue 17, defect 3)', async () => {
    const dir = tmp(), o = { ...base(), schedule: { kind: 'cosine' as const, lr: 20, warmup: 10 }, monitor: false as const, checkpointEvery: 1 };
    const err = await train({ ...o, runDir: dir }).catch((e) => e);
    expect(err).toBeInstanceOf(DivergenceError);
    const k = err.values.step as number;
    expect(k).toBeGreaterThan(3);
    const c = loadCheckpoint(join(dir, 'checkpoint')); // loads: checksum and finiteness verified
    expect(c.step).toBe(k - 2);
    // Bit-equal to the state an independent run reaches after k − 2 steps (velocity included).
    const ref = await train({ ...o, haltAfter: k - 2 });
    for (const [name, v] of Object.entries(ref.params)) expect(Array.from(c.tensors[name]!)).toEqual(Array.from(v));
    expect(Object.keys(c.tensors)).toContain(stepNames.velocity('W0'));
    for (const t of Object.values(c.tensors)) expect(t.every(Number.isFinite)).toBe(true);
    // Resuming runs healthy steps again (it used to diverge at once, from blown-up weights) and,
    // deterministic, diverges at the same step.
    const again = await train({ ...o, runDir: dir, resume: true }).catch((e) => e);
    expect(again).toBeInstanceOf(DivergenceError);
    expect(again.values.step).toBe(k);
    expect(loadCheckpoint(join(dir, 'checkpoint')).step).toBe(k - 2);
    // The suggestion scales the user's base rate (20), not the warm-up-scaled rate of step k.
    expect(err.values.lr).not.toBe(20);
    expect(err.suggestion).toMatch(/base rate 20, [\d.]+ at this step; try 2\)/);
  });

  it('a run whose last step blows up is reported as diverged; its checkpoint is the step before', async () => {
    // Constant lr 20 diverges at step 5 (the loss of the weights after step 4): stop the run at 4.
    const o = { ...base(), schedule: { kind: 'constant' as const, lr: 20 }, monitor: false as const, checkpointEvery: 1 };
    const first = await train(o).catch((e) => e);
    expect(first.values.step).toBe(5);
    const dir = tmp();
    const err = await train({ ...o, steps: 4, runDir: dir }).catch((e) => e);
    expect(err).toBeInstanceOf(DivergenceError);
    expect(err.values.step).toBe(4);
    expect(loadCheckpoint(join(dir, 'checkpoint')).step).toBe(3);
    expect(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).status).toBe('diverged');
    expect(err.suggestion).toMatch(/now 20; try 2\)/);
  });

  it('resume with no checkpoint is an error, not a silent fresh start (issue 17, defect 9)', async () => {
    const dir = tmp();
    const err = await train({ ...base(), runDir: dir, resume: true }).catch((e) => e);
    expect(err).toBeInstanceOf(NoCheckpointError);
    expect(err.message).toBe(`no checkpoint in ${dir} to resume; run without --resume to start it`);
    expect(existsSync(join(dir, 'metrics.jsonl'))).toBe(false);
    await expect(train({ ...base(), resume: true })).rejects.toThrow(/resume needs runDir/);
  });

  it('a resumed run reports the records of the whole run, probes included (issue 17, defect 9)', async () => {
    const full = await train({ ...base(), runDir: tmp() });
    const dir = tmp(), seen: string[] = [];
    await train({ ...base(), runDir: dir, haltAfter: 13 }); // last checkpoint at 10 (written after step 11)
    const resumed = await train({ ...base(), runDir: dir, resume: true, onRecord: (r) => seen.push(`${r.type}@${r.step}`) });
    expect(seen[0]).toBe('resume@10');
    const probes = (r: typeof full) => r.records.filter((x): x is ProbeRecord => x.type === 'probe');
    expect(probes(resumed).map((p) => p.step)).toEqual(probes(full).map((p) => p.step));
    expect(probes(resumed).filter((p) => p.holds).length).toBe(probes(full).filter((p) => p.holds).length);
    // Probe values match too: the monitor's pending M update survives the checkpoint.
    const values = (r: typeof full) => probes(r).map((p) => [p.M, p.smoothness, p.energy]);
    expect(values(resumed)).toEqual(values(full));
    expect(resumed.records.filter((r) => r.type === 'step').map((r) => r.step)).toEqual(full.records.filter((r) => r.type === 'step').map((r) => r.step));
    // The same records as metrics.jsonl holds.
    expect(readJsonl(join(dir, 'metrics.jsonl')).map((r) => `${r.type}@${r.step}`)).toEqual(resumed.records.map((r) => `${r.type}@${r.step}`));
  });

  it('refuses to resume from a damaged checkpoint, naming it and what to do', async () => {
    const dir = tmp();
    await train({ ...base(), runDir: dir, haltAfter: 13 });
    const path = join(dir, 'checkpoint'), bytes = readFileSync(path);
    bytes[bytes.length - 3]! ^= 0x10; // one flipped bit in the last tensor
    writeFileSync(path, bytes);
    const err = await train({ ...base(), runDir: dir, resume: true }).catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toBe(`${path} is corrupt (checksum mismatch); delete it or start without --resume`);
  });
});
