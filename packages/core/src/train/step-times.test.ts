import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { describeStepTimes, Mlp, ReferenceBackend, STEP_CAUSES, StepClock, train, type TrainerOptions } from '../index.js';
import { blobs } from './train-fixtures.js';

/** Busy-wait so a step has a known minimum length (no timers: the clock reads wall time). */
const spin = (ms: number) => { const t = performance.now(); while (performance.now() - t < ms) { /* wait */ } };

describe('StepClock', () => {
  it('counts the steps slower than 3× the median and names the marked work', () => {
    const clock = new StepClock(0, 12);
    for (let s = 1; s <= 12; s++) {
      clock.begin(s);
      spin(1);
      clock.compute(1);
      if (s === 5) { spin(12); clock.mark('probe', 12); }
      if (s === 9) { spin(12); clock.mark('checkpoint', 12); }
      clock.end();
    }
    const t = clock.summary();
    expect(t.steps).toBe(12);
    expect(t.slowFactor).toBe(3);
    expect(t.carried).toEqual({ probe: [5], checkpoint: [9], eval: [] });
    // Steps 5 and 9 are slow with their causes; any other slow step (a busy machine) has a cause
    // from the clock's own observations or is counted as unexplained, never silently dropped.
    const byStep = new Map(t.slowest.map((x) => [x.step, x]));
    expect(byStep.get(5)?.causes.probe).toBeGreaterThan(0);
    expect(byStep.get(9)?.causes.checkpoint).toBeGreaterThan(0);
    expect(t.slow).toBe(t.slowest.length);
    expect(t.unexplained).toBe(t.slowest.filter((x) => x.unexplained).length);
    for (const x of t.slowest) {
      // Both figures are rounded to 0.01 ms: a step just past 3× the median may print at or below it.
      expect(x.ms).toBeGreaterThan(3 * t.medianMs - 0.02);
      expect(x.unexplained).toBe(Object.keys(x.causes).length === 0);
      for (const c of Object.keys(x.causes)) expect(STEP_CAUSES).toContain(c);
    }
    for (const c of STEP_CAUSES) expect(t.slowByCause[c] ?? 0).toBe(t.slowest.filter((x) => x.causes[c] !== undefined).length);
    expect(t.medianMs).toBeLessThanOrEqual(t.p90Ms);
    expect(t.p90Ms).toBeLessThanOrEqual(t.p99Ms);
    expect(t.p99Ms).toBeLessThanOrEqual(t.maxMs);
    expect(describeStepTimes(t)).toMatch(/^step times: median .* over 12 steps; /);
  });

  // Fresh memory faults in once per 4 KB page, unless transparent huge pages are on for every mapping
  // (then once per 2 MB, too few faults to tell apart).
  const thpAlways = (() => { try { return readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8').includes('[always]'); } catch { return false; } })();
  it.skipIf(process.platform !== 'linux' || thpAlways)('names a slow step that touched fresh memory "page-faults", with the count (Linux: /proc/self/stat; skipped where transparent huge pages are "always")', () => {
    const clock = new StepClock(0, 12);
    const kept: Float64Array[] = [];
    for (let s = 1; s <= 12; s++) {
      clock.begin(s);
      spin(1);
      clock.compute(1);
      // 64 MB touched for the first time: ≥ 16,384 faults with 4 KB pages, far over 8× a quiet step's.
      // Over glibc's largest mmap threshold (32 MB), so it is a fresh mapping, never reused heap.
      if (s === 7) { const a = new Float64Array(2 ** 23); for (let i = 0; i < a.length; i += 512) a[i] = 1; kept.push(a); spin(12); }
      clock.end();
    }
    const t = clock.summary();
    const step7 = t.slowest.find((x) => x.step === 7);
    expect(step7?.causes['page-faults']).toBeGreaterThanOrEqual(1024);
    expect(step7?.unexplained).toBe(false);
    expect(kept.length).toBe(1);
  });

  // CPU pressure-stall information: on Linux kernels built with it (4.20+).
  const psi = (() => { try { return /^some .*total=\d+/.test(readFileSync('/proc/pressure/cpu', 'utf8')); } catch { return false; } })();
  it.skipIf(!psi)('names a step during which more threads wanted the cores than there were "contention", and counts the other threads\' CPU time (Linux: /proc/pressure/cpu; skipped without it)', async () => {
    const clock = new StepClock(0, 12);
    // One more busy thread than there are cores, each spinning until told to stop: for as long as
    // they run, some runnable thread is always waiting for a CPU.
    const stopFlag = new Int32Array(new SharedArrayBuffer(4));
    const burners: Worker[] = [];
    // Each burner reports the CPU time the kernel counted for its own thread once it stops
    // (/proc/thread-self/schedstat, ns): what the clock's `others` must include. It then stays
    // alive (a message listener) until terminated: a thread that has ended is no longer listed,
    // so its time cannot be counted (`others` is a lower bound), and a worker whose script has
    // finished ends at once — which made this test's earlier form pass or fail by a race.
    const burnerCpu: Promise<number>[] = [];
    try {
      for (let s = 1; s <= 12; s++) {
        clock.begin(s);
        spin(1);
        clock.compute(1);
        if (s === 6) {
          await Promise.all(Array.from({ length: availableParallelism() + 1 }, () => new Promise<void>((ready) => {
            const w = new Worker('const { parentPort, workerData } = require("node:worker_threads"); const f = new Int32Array(workerData); parentPort.postMessage("on"); while (Atomics.load(f, 0) === 0) {} parentPort.postMessage(Number(require("node:fs").readFileSync("/proc/thread-self/schedstat", "latin1").split(" ", 1)[0]) / 1e9); parentPort.on("message", () => {});', { eval: true, workerData: stopFlag.buffer });
            w.once('message', () => {
              ready();
              burnerCpu.push(new Promise((done) => w.once('message', (sec: number) => done(sec))));
            });
            burners.push(w);
          })));
          spin(60);
          Atomics.store(stopFlag, 0, 1);
        }
        clock.end();
      }
      const t = clock.summary();
      const step6 = t.slowest.find((x) => x.step === 6);
      expect(step6?.causes.contention).toBeGreaterThanOrEqual(0.5 * (step6!.ms - t.medianMs));
      expect(step6?.unexplained).toBe(false);
      expect(t.contentionSeconds).toBeGreaterThanOrEqual(step6!.causes.contention! / 1000 - 1e-3);
      // The burners are still alive: their spinning is in the other threads' CPU time. How much they
      // got depends on the machine's load (12 ms of 3 × 60 ms was seen on a busy 2-core machine), so
      // the check is against what each burner's thread reported for itself (1 ms of slack each for
      // reading it just after the clock stopped).
      const burned = (await Promise.all(burnerCpu)).reduce((a, b) => a + b, 0);
      expect(burned).toBeGreaterThan(0);
      expect(t.threadCpuSeconds!.others, JSON.stringify({ ...t.threadCpuSeconds, burned })).toBeGreaterThanOrEqual(burned - 1e-3 * burners.length);
      expect(t.threadCpuSeconds!.training, JSON.stringify(t.threadCpuSeconds)).toBeGreaterThan(0.003);
    } finally {
      Atomics.store(stopFlag, 0, 1);
      await Promise.all(burners.map((w) => w.terminate()));
    }
  });

  it('a fused span of 4 steps shares its time and its marked work among them; only its last step carried the work', () => {
    const clock = new StepClock(0, 12);
    for (let s = 1; s <= 4; s++) { clock.begin(s); spin(1); clock.compute(1); clock.end(); }
    clock.begin(8, 4); // steps 5–8 in one run, then a probe after step 8
    spin(4);
    clock.compute(4);
    spin(40);
    clock.mark('probe', 40);
    clock.end();
    for (let s = 9; s <= 12; s++) { clock.begin(s); spin(1); clock.compute(1); clock.end(); }
    const t = clock.summary();
    expect(t.steps).toBe(12);
    expect(t.carried.probe).toEqual([8]);
    const span = t.slowest.filter((x) => x.step >= 5 && x.step <= 8).sort((a, b) => a.step - b.step);
    expect(span.map((x) => x.step)).toEqual([5, 6, 7, 8]);
    for (const x of span) {
      expect(x.ms).toBeGreaterThan(10); // ≈ 44 ms / 4 each
      expect(x.computeMs).toBeCloseTo(1, 5);
      expect(x.causes.probe).toBe(40);
      expect(x.unexplained).toBe(false);
    }
    expect(Math.max(...span.map((x) => x.ms)) - Math.min(...span.map((x) => x.ms))).toBeLessThan(0.02);
  });

  it('lists the 50 slowest steps, then the unexplained ones among the shorter slow steps', () => {
    const clock = new StepClock(0, 400);
    for (let s = 1; s <= 400; s++) {
      clock.begin(s);
      spin(0.2);
      clock.compute(0.2);
      // 60 probe steps of 8 ms and, shorter, 3 slow steps with nothing marked.
      if (s % 6 === 0 && s <= 360) { spin(8); clock.mark('probe', 8); }
      if (s === 100 || s === 200 || s === 301) spin(3);
      clock.end();
    }
    const t = clock.summary();
    expect(t.slow).toBeGreaterThan(50);
    const head = t.slowest.slice(0, 50), tail = t.slowest.slice(50);
    for (let i = 1; i < head.length; i++) expect(head[i]!.ms).toBeLessThanOrEqual(head[i - 1]!.ms);
    // After the 50 slowest come only unexplained steps; whatever the machine added, each one is listed.
    expect(tail.every((x) => x.unexplained)).toBe(true);
    expect(t.slowest.filter((x) => x.unexplained).length).toBe(t.unexplained);
  });

  it('summarizes no steps as zeros', () => {
    const t = new StepClock(4, 4).summary();
    expect(t).toMatchObject({ steps: 0, medianMs: 0, slow: 0, unexplained: 0, slowest: [] });
    expect(describeStepTimes(t)).toMatch(/none over 3× the median/);
  });
});

describe('train: step times', () => {
  const data = blobs(48);
  const base = (): TrainerOptions => ({
    model: new Mlp({ sizes: [6, 8, 3], activation: 'tanh' }), backend: new ReferenceBackend(), train: data, batch: 8, steps: 24,
    schedule: { kind: 'constant', lr: 0.1 }, momentum: 0.9, seed: 5, dtype: 'f64',
    monitor: { probeEvery: 6, probeSize: 6, budget: 1, hessianEvery: 2 }, evalEvery: 8,
  });

  it('records which steps carried a probe, an evaluation or a checkpoint, and the first as warm-up', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs'), { tmpdir } = await import('node:os'), { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'clt-steptimes-'));
    try {
      const r = await train({ ...base(), runDir: dir, checkpointEvery: 10 });
      const t = r.stepTimes;
      expect(t.steps).toBe(24);
      expect(t.carried.probe).toEqual([6, 12, 18, 24]);
      expect(t.carried.eval).toEqual([8, 16, 24]);
      // Snapshots at 10, 20 and 24; the files are written one step later, once the next step has
      // vouched for the weights (the last one after the loop, outside any step).
      expect(t.carried.checkpoint).toEqual([10, 11, 20, 21, 24]);
      expect(t.medianMs).toBeGreaterThan(0);
      expect(t.slow).toBe(t.slowest.length);
      for (const x of t.slowest) expect(x.unexplained).toBe(Object.keys(x.causes).length === 0);
      if (t.slowest.some((x) => x.step === 1)) expect(t.slowest.find((x) => x.step === 1)!.causes.warmup).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a resumed run times only its own steps', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs'), { tmpdir } = await import('node:os'), { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'clt-steptimes-'));
    try {
      await train({ ...base(), monitor: false, runDir: dir, checkpointEvery: 10, haltAfter: 13 });
      const r = await train({ ...base(), monitor: false, runDir: dir, checkpointEvery: 10, resume: true });
      expect(r.stepTimes.steps).toBe(14); // steps 11..24
      expect(r.stepTimes.carried.probe).toEqual([]);
      expect(r.stepTimes.carried.checkpoint[0]).toBe(20);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
