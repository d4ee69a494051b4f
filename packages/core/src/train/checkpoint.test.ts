import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../util/random.js';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
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

  // Issue 17, item 11: a value written into the data used to resume silently.
  it('a checksum catches any changed byte of the header or the tensors', () => {
    const w = Float32Array.from(new Rng(3).normals(16));
    const bytes = encodeCheckpoint({ step: 4, dtype: 'f32', config: { a: 1 }, tensors: { w }, state: { s: 1 } });
    // Independently: the header holds sha256(header without checksum ‖ tensor bytes).
    const len = new DataView(bytes.buffer).getUint32(8, true), h = JSON.parse(Buffer.from(bytes.subarray(12, 12 + len)).toString());
    const { checksum, ...rest } = h, start = Math.ceil((12 + len) / 8) * 8;
    expect(checksum).toBe(createHash('sha256').update(JSON.stringify(rest)).update(bytes.subarray(start)).digest('hex'));
    // A NaN written over one weight, and a changed step in the header, are both refused.
    const nan = bytes.slice();
    new DataView(nan.buffer).setFloat32(start + 8, NaN, true);
    expect(() => decodeCheckpoint(nan, 'run/checkpoint')).toThrow('run/checkpoint is corrupt (checksum mismatch); delete it or start without --resume');
    const text = Buffer.from(bytes.subarray(12, 12 + len)).toString().replace('"step":4', '"step":5');
    const edited = bytes.slice();
    edited.set(Buffer.from(text), 12);
    expect(() => decodeCheckpoint(edited)).toThrow(CheckpointError);
    expect(Array.from(decodeCheckpoint(bytes).tensors.w!)).toEqual(Array.from(w));
  });

  it('loads checkpoints written before checksums, but never non-finite weights', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clt-ckpt-'));
    try {
      // The pre-checksum layout, built by hand: magic, u32 header length, header, padding, data.
      const legacy = (w: Float64Array) => {
        const header = Buffer.from(JSON.stringify({ step: 2, dtype: 'f64', config: {}, state: {}, tensors: [{ name: 'w', offset: 0, length: w.length }] }));
        const start = Math.ceil((12 + header.length) / 8) * 8, out = new Uint8Array(start + w.byteLength);
        out.set(Buffer.from('CLTCKPT1'), 0);
        new DataView(out.buffer).setUint32(8, header.length, true);
        out.set(header, 12);
        out.set(new Uint8Array(w.buffer), start);
        return out;
      };
      const ok = Float64Array.of(1, -2, 3), bad = Float64Array.of(1, NaN, 3);
      writeFileSync(join(dir, 'old'), legacy(ok));
      expect(Array.from(loadCheckpoint(join(dir, 'old')).tensors.w!)).toEqual([1, -2, 3]);
      writeFileSync(join(dir, 'nan'), legacy(bad));
      expect(() => loadCheckpoint(join(dir, 'nan'))).toThrow(`${join(dir, 'nan')} is corrupt (it holds NaN in w[1]); delete it or start without --resume`);
      // Nor are they ever written: no temporary file is left behind either.
      expect(() => saveCheckpoint(join(dir, 'new'), { step: 1, dtype: 'f64', config: {}, tensors: { w: Float64Array.of(0, Infinity) }, state: {} })).toThrow(/refusing to write .* Infinity in w\[1\]/);
      expect(existsSync(join(dir, 'new'))).toBe(false);
      expect(readdirSync(dir).sort()).toEqual(['nan', 'old']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
