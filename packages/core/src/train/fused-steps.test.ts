import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DivergenceError, inputSpecs, loadCheckpoint, Mlp, readJsonl, ReferenceBackend, sgdStepGraph, stepNames, train, type Backend, type MetricRecord, type TrainerOptions } from '../index.js';
import { blobs } from './train-fixtures.js';

const dirs: string[] = [];
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'clt-fused-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** The reference backend, counting the runs of fused-step graphs (inputs named x_s0, …) and of single steps. */
function counting(): { backend: Backend; runs: { fused: number[]; single: number } } {
  const inner = new ReferenceBackend(), runs = { fused: [] as number[], single: 0 };
  const backend: Backend = Object.assign(Object.create(inner) as Backend, {
    async compile(graph: Parameters<Backend['compile']>[0]) {
      const exe = await inner.compile(graph); // the reference backend takes no compile options
      const names = Object.keys(inputSpecs(graph));
      const steps = names.filter((nm) => /^x_s\d+$/.test(nm)).length;
      const isStep = names.includes('lr') || steps > 0;
      return Object.assign(Object.create(exe), {
        run: (...a: Parameters<typeof exe.run>) => {
          if (steps > 0) runs.fused.push(steps); else if (isStep) runs.single++;
          return exe.run(...a);
        },
      });
    },
  });
  return { backend, runs };
}

const data = blobs(48);
// Probes every 6 steps, evaluations every 8, checkpoints every 5: spans of 4 fit only between them.
const base = (): TrainerOptions => ({
  model: new Mlp({ sizes: [6, 8, 3], activation: 'tanh' }), backend: new ReferenceBackend(), train: data, batch: 8, steps: 30,
  schedule: { kind: 'cosine', lr: 0.2, warmup: 3 }, momentum: 0.9, weightDecay: 1e-3, seed: 5, dtype: 'f64',
  monitor: { probeEvery: 6, probeSize: 6, budget: 1, hessianEvery: 2 }, evalEvery: 8, checkpointEvery: 5,
});
/** Records without wall-clock fields, for comparing two runs. */
const timeless = (rs: readonly MetricRecord[]) => rs.map((r) => {
  const { time: _t, seconds: _s, ...rest } = r as unknown as Record<string, unknown>;
  return rest;
});

describe('fused SGD steps (fuseSteps)', () => {
  it('sgdStepGraph with steps: K makes one graph of K steps, each with its own batch, rate and outputs', () => {
    const g = sgdStepGraph(new Mlp({ sizes: [4, 5, 3] }), { batch: 2, momentum: 0.9, monitors: true, steps: 3 });
    const inputs = Object.keys(inputSpecs(g));
    for (let k = 0; k < 3; k++) for (const nm of ['x', 'y', 'lr']) expect(inputs).toContain(stepNames.at(nm, k));
    expect(inputs).not.toContain('x');
    const outputs = g.outputs.map((o) => o.name);
    for (let k = 0; k < 3; k++) for (const nm of ['loss', 'gradSqNorm', 'correct', 'residualSq', 'energy']) expect(outputs).toContain(stepNames.at(nm, k));
    expect(outputs).toContain(stepNames.newParam('W0'));
    expect(outputs).toContain(stepNames.newVelocity('W0'));
    expect(() => sgdStepGraph(new Mlp({ sizes: [4, 3] }), { batch: 2, steps: 0 })).toThrow(/steps must be a whole number from 1 to 64, got 0/);
  });

  it('ends with the very weights and records of single steps (float64 reference), in fewer backend runs', async () => {
    const single = counting(), fused = counting();
    const a = await train({ ...base(), backend: single.backend, runDir: tmp() });
    const b = await train({ ...base(), backend: fused.backend, runDir: tmp(), fuseSteps: 4 });
    for (const [k, v] of Object.entries(a.params)) expect(Array.from(b.params[k]!), k).toEqual(Array.from(v));
    expect(timeless(b.records)).toEqual(timeless(a.records).map((r) => (r.type === 'start' ? { ...r, config: { ...(r.config as object), fuseSteps: 4 } } : r)));
    // Spans of 4 between the events (probe after 6, 12, …, its follow-up step, evaluations after 8,
    // 16, 24, checkpoints after 5, 10, …): 30 steps in fewer runs, every step done once.
    expect(single.runs.fused).toEqual([]);
    expect(fused.runs.fused.length).toBeGreaterThan(0);
    expect(fused.runs.fused.every((k) => k === 4)).toBe(true);
    expect(fused.runs.single + 4 * fused.runs.fused.length).toBe(single.runs.single);
    expect(fused.runs.single + fused.runs.fused.length).toBeLessThan(single.runs.single);
    expect(b.stepTimes.steps).toBe(30);
  });

  it('a fused run killed mid-way resumes to the weights of an uninterrupted fused run; another fuseSteps refuses to resume', async () => {
    const o = { ...base(), fuseSteps: 4 };
    const full = await train({ ...o, runDir: tmp() });
    const dir = tmp();
    expect((await train({ ...o, runDir: dir, haltAfter: 23 })).status).toBe('halted');
    const resumed = await train({ ...o, runDir: dir, resume: true });
    for (const [k, v] of Object.entries(full.params)) expect(Array.from(resumed.params[k]!)).toEqual(Array.from(v));
    expect(readJsonl(join(dir, 'metrics.jsonl')).filter((r) => r.type === 'step').map((r) => r.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const other = tmp();
    await train({ ...o, runDir: other, haltAfter: 12 });
    await expect(train({ ...base(), runDir: other, resume: true })).rejects.toThrow(/configuration changed \(fuseSteps/);
  });

  it('divergence inside a fused span is caught at the same step, with the same last healthy checkpoint', async () => {
    const o = { ...base(), schedule: { kind: 'constant' as const, lr: 20 }, monitor: false as const, evalEvery: 100, checkpointEvery: 50, steps: 40 };
    const a = await train({ ...o, runDir: tmp() }).catch((e) => e);
    const dir = tmp();
    const b = await train({ ...o, runDir: dir, fuseSteps: 8 }).catch((e) => e);
    expect(a).toBeInstanceOf(DivergenceError);
    expect(b).toBeInstanceOf(DivergenceError);
    expect(b.values).toEqual(a.values);
    expect(b.message).toBe(a.message);
    // No checkpoint was due before the divergence: none is on disk, as without fusion.
    expect(() => loadCheckpoint(join(dir, 'checkpoint'))).toThrow();
  });

  it('rejects fuseSteps outside 1 … 64', async () => {
    for (const f of [0, 1.5, 65]) await expect(train({ ...base(), fuseSteps: f })).rejects.toThrow(`train: fuseSteps must be a whole number from 1 to 64 (got ${f})`);
  });
});
