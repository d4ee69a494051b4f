import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../util/random.js';
import { decodeCheckpoint, encodeCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { JsonlLog, readJsonl, rewriteJsonl } from './files.js';

describe('checkpoint', () => {
  it('round-trips tensors bit-exactly, including awkward values', () => {
    const rng = new Rng(1);
    const a = Float32Array.from(rng.normals(37)), b = Float32Array.of(-0, Infinity, 1e-45, 3.4e38);
    const back = decodeCheckpoint(encodeCheckpoint({ step: 7, dtype: 'f32', config: { k: [1, 2] }, tensors: { a, b }, state: { s: 'x' } }));
    expect(back.step).toBe(7);
    expect(back.config).toEqual({ k: [1, 2] });
    expect(new Uint8Array(back.tensors.a!.buffer)).toEqual(new Uint8Array(a.buffer));
    expect(Object.is(back.tensors.b![0], -0)).toBe(true);
    expect(Array.from(back.tensors.b!)).toEqual(Array.from(b));
  });

  it('reloads from disk (Buffer pools do not leak into the tensors) and rejects damaged files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clt-ckpt-'));
    try {
      const w = Float64Array.from(new Rng(2).normals(100));
      saveCheckpoint(join(dir, 'c'), { step: 3, dtype: 'f64', config: {}, tensors: { w }, state: {} });
      expect(Array.from(loadCheckpoint(join(dir, 'c')).tensors.w!)).toEqual(Array.from(w));
      writeFileSync(join(dir, 'bad'), 'not a checkpoint');
      expect(() => loadCheckpoint(join(dir, 'bad'))).toThrow(/not a clt checkpoint/);
      const bytes = encodeCheckpoint({ step: 3, dtype: 'f64', config: {}, tensors: { w }, state: {} });
      expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 8))).toThrow(/truncated/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('JSONL: keeps ±Infinity, drops a torn last line, rewrites atomically', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clt-jsonl-'));
    try {
      const p = join(dir, 'm.jsonl'), log = new JsonlLog(p, { truncate: true });
      for (let s = 1; s <= 5; s++) log.append({ step: s, up: s === 3 ? Infinity : s });
      log.close();
      writeFileSync(p, '{"step": 6, "up"', { flag: 'a' }); // a crash mid-write
      const recs = readJsonl(p);
      expect(recs.map((r) => r.step)).toEqual([1, 2, 3, 4, 5]);
      expect(recs[2]!.up).toBe(Infinity);
      expect(rewriteJsonl(p, (r) => (r.step as number) <= 2)).toBe(2);
      expect(readJsonl(p).map((r) => r.step)).toEqual([1, 2]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
