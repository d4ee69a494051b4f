import { describe, expect, it } from 'vitest';
import { Mlp, ReferenceBackend, resolveBackend, riskFloor, softmaxLoss, train, type Backend, type ProbeRecord, type StepRecord } from '@clt/core';
import { loadBackendPackages } from './backends.js';
import { conflictingDuplicates, loadDataset } from './data/index.js';

await loadBackendPackages();
const tryBackend = async (name: string): Promise<Backend | string> => resolveBackend(name).catch((e: Error) => e.message.split('\n').slice(0, 2).join(' '));
const ort = await tryBackend('onnxruntime-cpu');
const tfjsCpu = await tryBackend('tfjs-cpu');

describe('training reaches the data floor', () => {
  it.skipIf(typeof ort === 'string')(`conflicting duplicates plateau at their floor within 5%${typeof ort === 'string' ? ` (onnxruntime-cpu unavailable: ${ort})` : ''}`, async () => {
    const d = conflictingDuplicates({ distinct: 32, copies: 4, dim: 12, classes: 2, conflictFraction: 0.5, seed: 4 });
    // Independent check of the generator's closed form against the bounds module.
    expect(riskFloor(softmaxLoss, { data: d.x, dim: d.dim }, d.labels, { numClasses: 2 }).value).toBeCloseTo(d.floor, 12);
    const r = await train({
      model: new Mlp({ sizes: [12, 64, 64, 2] }), backend: ort as Backend, train: d, batch: 16, steps: 1500, dtype: 'f64',
      schedule: { kind: 'cosine', lr: 0.1, warmup: 50 }, momentum: 0.9, seed: 1, monitor: false, evalEvery: 100, dataFloor: d.floor,
    });
    expect(r.final.trainLoss).toBeGreaterThanOrEqual(d.floor * (1 - 1e-9)); // never below: it is a floor
    expect(r.final.trainLoss).toBeLessThanOrEqual(d.floor * 1.05);
    // A plateau: the last evaluations all sit within 5% of the floor.
    const evals = r.records.filter((x) => x.type === 'eval').slice(-3) as { trainLoss: number }[];
    for (const e of evals) expect(e.trainLoss / d.floor).toBeLessThan(1.05);
  });
});

describe('the same short run on every available backend', () => {
  const ds = loadDataset('synthetic:gaussian?n=240&dim=10&classes=4&separation=1.5', { seed: 3 });
  const run = (backend: Backend, dtype: 'f32' | 'f64') => train({
    model: new Mlp({ sizes: [10, 16, 4], activation: 'tanh' }), backend, train: ds.train, batch: 24, steps: 40, dtype,
    schedule: { kind: 'cosine', lr: 0.1, warmup: 5 }, momentum: 0.9, weightDecay: 1e-3, seed: 2, monitor: { probeEvery: 10, probeSize: 8, budget: 1, hessianEvery: 0 },
  });
  const curve = (r: Awaited<ReturnType<typeof run>>) => r.records.filter((x): x is StepRecord => x.type === 'step').map((s) => s.loss);
  let reference: Awaited<ReturnType<typeof run>>;

  it('reference backend (float64 oracle)', async () => {
    reference = await run(new ReferenceBackend(), 'f64');
    expect(curve(reference).length).toBe(40);
    expect(reference.records.filter((x): x is ProbeRecord => x.type === 'probe').every((p) => p.holds)).toBe(true);
  });

  // Tolerances (relative, every step of the loss curve): float64 backends agree to round-off
  // (measured 2e-14; allowed 1e-10); float32 backends carry ~1e-7 per op, grown by 40 momentum
  // steps (measured 9e-6 on onnxruntime-cpu and tfjs-cpu; allowed 1e-4).
  const cases: [string, Backend | string, 'f32' | 'f64', number][] = [
    ['onnxruntime-cpu f64', ort, 'f64', 1e-10], ['onnxruntime-cpu f32', ort, 'f32', 1e-4], ['tfjs-cpu f32', tfjsCpu, 'f32', 1e-4],
  ];
  for (const [name, b, dtype, tol] of cases) {
    it.skipIf(typeof b === 'string')(`${name} matches the reference loss curve within ${tol} relative${typeof b === 'string' ? ` (unavailable: ${b})` : ''}`, async () => {
      const r = await run(b as Backend, dtype);
      const want = curve(reference), got = curve(r);
      expect(got.length).toBe(want.length);
      let worst = 0;
      got.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - want[i]!) / Math.max(1e-12, Math.abs(want[i]!))); });
      console.log(`${name}: worst relative loss difference ${worst.toExponential(2)} (tolerance ${tol})`);
      expect(worst).toBeLessThan(tol);
      const pr = r.records.filter((x): x is ProbeRecord => x.type === 'probe');
      expect(pr.length).toBeGreaterThan(0);
      expect(pr.every((p) => p.holds), `sandwich on ${name}`).toBe(true);
    });
  }
});
