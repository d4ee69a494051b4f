import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Mlp, ReferenceBackend, readJsonl, train, type TrainerOptions } from '../index.js';
import { encodeCheckpoint, loadCheckpoint, type Checkpoint } from './checkpoint.js';
import { CheckpointWriter, checkpointWritesSettled } from './checkpoint-writer.js';
import { blobs } from './train-fixtures.js';

const dirs: string[] = [];
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'clt-ckpt-writer-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const sample = (dtype: 'f32' | 'f64'): Checkpoint => {
  const A = dtype === 'f64' ? Float64Array : Float32Array;
  const shared = new A(10).map((_, i) => i / 7 - 0.5);
  return {
    step: 12, dtype, config: { model: { kind: 'mlp', 2: 'integer-like key' }, batch: 8 }, state: { seconds: 1.5, monitor: null },
    // `b` is a view into a buffer it shares with `c`: copied, not transferred.
    tensors: { a: A.of(-0, 1e-30, 3, -4.25), b: shared.subarray(2, 6), c: shared },
  };
};

describe('CheckpointWriter (background checkpoint writes)', () => {
  it('writes byte for byte what encodeCheckpoint encodes, atomically, and reports it durable only once it is', async () => {
    const dir = tmp(), writer = new CheckpointWriter();
    try {
      for (const dtype of ['f32', 'f64'] as const) {
        const path = join(dir, `ckpt-${dtype}`), c = sample(dtype), want = encodeCheckpoint(sample(dtype));
        let durable = false;
        writer.save(path, c, { onDurable: () => { durable = existsSync(path); } });
        expect(c.tensors.a!.length, 'whole buffers are transferred, not copied').toBe(0);
        await writer.drain();
        expect(durable).toBe(true);
        expect(new Uint8Array(readFileSync(path))).toEqual(want);
        expect(loadCheckpoint(path).config).toEqual(sample(dtype).config); // the checksum holds with integer-like keys
      }
      expect(readdirSync(dir).sort()).toEqual(['ckpt-f32', 'ckpt-f64']); // no temporaries left
    } finally {
      await writer.close();
    }
  });

  it('a failed write keeps the old file, leaves no temporary, and is thrown by drain', async () => {
    const dir = tmp(), path = join(dir, 'checkpoint'), writer = new CheckpointWriter();
    try {
      writer.save(path, sample('f32'));
      await writer.drain();
      const before = readFileSync(path);
      const bad = sample('f32');
      bad.tensors.a![1] = NaN;
      writer.save(path, bad);
      await expect(writer.drain()).rejects.toThrow(/refusing to write checkpoint .*NaN/);
      expect(writer.error).toBeDefined();
      expect(readFileSync(path)).toEqual(before);
      writer.save(join(dir, 'missing', 'checkpoint'), sample('f32'));
      await checkpointWritesSettled();
      expect(readdirSync(dir)).toEqual(['checkpoint']);
    } finally {
      await writer.close();
    }
  });
});

const data = blobs(48);
const options = (): TrainerOptions => ({
  model: new Mlp({ sizes: [6, 8, 3], activation: 'tanh' }), backend: new ReferenceBackend(), train: data, batch: 8, steps: 24,
  schedule: { kind: 'cosine', lr: 0.2, warmup: 3 }, momentum: 0.9, weightDecay: 1e-3, seed: 5, dtype: 'f64', monitor: false, checkpointEvery: 5,
});

describe('train: checkpoints written in the background', () => {
  it('the end record and the result come only after the last checkpoint is durable; each reported checkpoint is on disk', async () => {
    const dir = tmp(), path = join(dir, 'checkpoint'), reported: number[] = [];
    let atEnd: number | undefined, leftovers: string[] = [];
    // A slow disk: every write takes 40 ms more, far longer than the steps it overlaps.
    const r = await train({
      ...options(), runDir: dir, checkpointWriteDelayMs: 40,
      onCheckpoint: (s) => { reported.push(s); expect(loadCheckpoint(path).step).toBeGreaterThanOrEqual(s); },
      onRecord: (rec) => {
        if (rec.type !== 'end') return;
        atEnd = loadCheckpoint(path).step;
        leftovers = readdirSync(dir).filter((n) => n.includes('.tmp-'));
      },
    });
    expect(r.status).toBe('completed');
    expect(reported).toEqual([5, 10, 15, 20, 24]);
    expect(atEnd).toBe(24);
    expect(leftovers).toEqual([]);
    // The same weights as a run without the delay, and as the checkpoint.
    const plain = await train({ ...options(), runDir: tmp() });
    const c = loadCheckpoint(path);
    for (const [k, v] of Object.entries(plain.params)) {
      expect(Array.from(r.params[k]!)).toEqual(Array.from(v));
      expect(Array.from(c.tensors[k]!)).toEqual(Array.from(v));
    }
    // A halted run ("killed") still finishes the checkpoint it had begun: resume starts there.
    const halted = tmp();
    await train({ ...options(), runDir: halted, haltAfter: 13, checkpointWriteDelayMs: 40 });
    expect(loadCheckpoint(join(halted, 'checkpoint')).step).toBe(10);
  });

  // The child trains from the built package (dist); build @clt/core first.
  const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'index.js');
  it.skipIf(!existsSync(DIST))('a process killed (SIGKILL) right after it reported a checkpoint resumes from that step or later, to the uninterrupted weights', async () => {
    const dir = tmp(), dataFile = join(tmp(), 'data.json');
    const long = { ...options(), steps: 3000, checkpointEvery: 40 };
    writeFileSync(dataFile, JSON.stringify({ x: Array.from(data.x), labels: Array.from(data.labels) }));
    const child = spawn(process.execPath, ['--input-type=module', '-e', `
      const core = await import(${JSON.stringify(pathToFileURL(DIST).href)});
      if (typeof core.CheckpointWriter !== 'function') { console.error('stale dist: rebuild @clt/core'); process.exit(2); }
      const d = JSON.parse((await import('node:fs')).readFileSync(${JSON.stringify(dataFile)}, 'utf8'));
      await core.train({
        model: new core.Mlp({ sizes: [6, 8, 3], activation: 'tanh' }), backend: new core.ReferenceBackend(),
        train: { x: Float64Array.from(d.x), labels: Int32Array.from(d.labels) }, batch: 8, steps: ${long.steps},
        schedule: { kind: 'cosine', lr: 0.2, warmup: 3 }, momentum: 0.9, weightDecay: 1e-3, seed: 5, dtype: 'f64', monitor: false,
        checkpointEvery: ${long.checkpointEvery}, runDir: ${JSON.stringify(dir)},
        onCheckpoint: (s) => { if (s >= 200) process.stdout.write('saved ' + s + '\\n'); },
      });
      process.stdout.write('completed\\n');
    `], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const reported = await new Promise<string>((resolve) => {
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const line = /^(saved \d+|completed)$/m.exec(out);
        if (line) { child.kill('SIGKILL'); resolve(line[1]!); }
      });
      child.once('exit', () => resolve(out));
    });
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
    expect(reported, stderr).toMatch(/^saved \d+$/);
    expect(child.signalCode).toBe('SIGKILL');
    const saved = Number(reported.split(' ')[1]);
    const seen: string[] = [];
    const resumed = await train({ ...long, runDir: dir, resume: true, onRecord: (r) => { if (r.type === 'resume') seen.push(`resume@${r.step}`); } });
    expect(seen).toHaveLength(1);
    const from = Number(seen[0]!.split('@')[1]);
    expect(from).toBeGreaterThanOrEqual(saved);
    expect(from % long.checkpointEvery).toBe(0);
    const full = await train({ ...long });
    for (const [k, v] of Object.entries(full.params)) expect(Array.from(resumed.params[k]!)).toEqual(Array.from(v));
    const steps = readJsonl(join(dir, 'metrics.jsonl')).filter((r) => r.type === 'step').map((r) => r.step);
    expect(steps).toEqual(Array.from({ length: long.steps }, (_, i) => i + 1));
  });
});
