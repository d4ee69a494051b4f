import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './files.js';

const MAGIC = 'CLTCKPT1';

/**
 * Everything needed to continue a run exactly: parameters and momentum (bit-exact, in the dtype
 * they were trained in), the step (which fixes the learning rate and the position in the seeded
 * batch order), a fingerprint of the configuration, and small JSON state of the monitors.
 */
export interface Checkpoint {
  readonly step: number;
  readonly dtype: 'f32' | 'f64';
  /** JSON fingerprint of what must not change on resume (model, data, batch, seed, optimizer). */
  readonly config: Record<string, unknown>;
  readonly tensors: Record<string, Float32Array | Float64Array>;
  readonly state: Record<string, unknown>;
}

interface Header {
  step: number;
  dtype: 'f32' | 'f64';
  config: Record<string, unknown>;
  state: Record<string, unknown>;
  tensors: { name: string; offset: number; length: number }[];
}

/**
 * Binary layout: 8-byte magic, u32 header length (LE), the JSON header, padding to 8 bytes, then
 * each tensor's raw little-endian values at its recorded offset. Raw values, not JSON decimals, so
 * a reload is bit-exact.
 */
export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const width = c.dtype === 'f64' ? 8 : 4;
  const tensors: Header['tensors'] = [];
  let off = 0;
  for (const [name, t] of Object.entries(c.tensors)) {
    if ((t instanceof Float64Array ? 8 : 4) !== width) throw new Error(`checkpoint: tensor ${name} is not ${c.dtype}`);
    tensors.push({ name, offset: off, length: t.length });
    off += t.length * width;
  }
  const header = Buffer.from(JSON.stringify({ step: c.step, dtype: c.dtype, config: c.config, state: c.state, tensors } satisfies Header), 'utf8');
  const start = Math.ceil((12 + header.length) / 8) * 8;
  const out = new Uint8Array(start + off);
  out.set(Buffer.from(MAGIC, 'ascii'), 0);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  for (const t of tensors) {
    const src = c.tensors[t.name]!;
    out.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), start + t.offset);
  }
  return out;
}

export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): Checkpoint {
  if (bytes.length < 12 || Buffer.from(bytes.subarray(0, 8)).toString('ascii') !== MAGIC)
    throw new Error(`${source} is not a clt checkpoint (bad magic); it may be from another tool or truncated`);
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  let h: Header;
  try {
    h = JSON.parse(Buffer.from(bytes.subarray(12, 12 + len)).toString('utf8')) as Header;
  } catch {
    throw new Error(`${source}: corrupt header; delete it to start over`);
  }
  const start = Math.ceil((12 + len) / 8) * 8, width = h.dtype === 'f64' ? 8 : 4;
  const tensors: Record<string, Float32Array | Float64Array> = {};
  for (const t of h.tensors) {
    const a = start + t.offset, b = a + t.length * width;
    if (b > bytes.length) throw new Error(`${source}: tensor ${t.name} is truncated; the file is damaged`);
    const copy = new Uint8Array(bytes.subarray(a, b)); // an aligned copy (Buffer#slice would be a view into a shared pool)
    tensors[t.name] = h.dtype === 'f64' ? new Float64Array(copy.buffer, 0, t.length) : new Float32Array(copy.buffer, 0, t.length);
  }
  return { step: h.step, dtype: h.dtype, config: h.config, state: h.state, tensors };
}

export function saveCheckpoint(path: string, c: Checkpoint): void {
  writeFileAtomic(path, encodeCheckpoint(c));
}

export function loadCheckpoint(path: string): Checkpoint {
  return decodeCheckpoint(readFileSync(path), path);
}

/** Keys whose values differ between two config fingerprints (for a resume error message). */
export function configDifferences(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}
