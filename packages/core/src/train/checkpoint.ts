import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { firstNonFiniteIndex } from '../util/finite.js';
import { writeFileAtomic } from './files.js';

export const MAGIC = 'CLTCKPT1';

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
  /** sha256 (hex) of the header without this field and of every byte after the header's padding. Absent in files from before checksums. */
  checksum?: string;
}

/** `resume` was asked for but the run folder holds no checkpoint. */
export class NoCheckpointError extends Error {
  constructor(readonly runDir: string) {
    super(`no checkpoint in ${runDir} to resume; run without --resume to start it`);
    this.name = 'NoCheckpointError';
  }
}

/** A checkpoint file that cannot be used: damaged, truncated, or holding non-finite values. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/** The checksummed part of the header: every field but the checksum, in a fixed order. */
function headerText(h: Omit<Header, 'checksum'>): string {
  return JSON.stringify({ step: h.step, dtype: h.dtype, config: h.config, state: h.state, tensors: h.tensors });
}

function digest(header: string, data: Uint8Array): string {
  return createHash('sha256').update(header, 'utf8').update(data).digest('hex');
}

/**
 * The parts of a checkpoint file before the checksum: the checksummed header text and the tensor
 * bytes in file order (contiguous: every tensor has the same width, so each starts where the last
 * one ends). The text is normalized by a JSON round trip, since that is how `decodeCheckpoint`
 * re-creates it to verify the checksum (a parse moves integer-like keys first).
 */
export function checkpointParts(c: Checkpoint): { text: string; data: Uint8Array[] } {
  const width = c.dtype === 'f64' ? 8 : 4;
  const tensors: Header['tensors'] = [], data: Uint8Array[] = [];
  let off = 0;
  for (const [name, t] of Object.entries(c.tensors)) {
    if ((t instanceof Float64Array ? 8 : 4) !== width) throw new Error(`checkpoint: tensor ${name} is not ${c.dtype}`);
    tensors.push({ name, offset: off, length: t.length });
    data.push(new Uint8Array(t.buffer, t.byteOffset, t.byteLength));
    off += t.length * width;
  }
  const text = headerText(JSON.parse(headerText({ step: c.step, dtype: c.dtype, config: c.config, state: c.state, tensors })) as Header);
  return { text, data };
}

/**
 * Everything of the file before the tensor bytes: magic, header length, the header with its
 * checksum, zero padding to 8 bytes. Mirrored by the background writer (checkpoint-writer.ts),
 * whose files a test compares byte for byte with `encodeCheckpoint`.
 */
function checkpointPrefix(text: string, checksum: string): Uint8Array {
  const header = Buffer.from(JSON.stringify({ ...JSON.parse(text), checksum }), 'utf8');
  const start = Math.ceil((12 + header.length) / 8) * 8;
  const out = new Uint8Array(start);
  out.set(Buffer.from(MAGIC, 'ascii'), 0);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  return out;
}

/**
 * Binary layout: 8-byte magic, u32 header length (LE), the JSON header, padding to 8 bytes, then
 * each tensor's raw little-endian values at its recorded offset. Raw values, not JSON decimals, so
 * a reload is bit-exact. The header carries a sha256 over itself (less the checksum) and the tensor
 * bytes, so a flipped bit or a value edited into the data is caught at load instead of resuming
 * silently from wrong weights.
 */
export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const { text, data } = checkpointParts(c);
  const hash = createHash('sha256').update(text, 'utf8');
  for (const d of data) hash.update(d);
  const prefix = checkpointPrefix(text, hash.digest('hex'));
  const out = new Uint8Array(prefix.length + data.reduce((a, d) => a + d.length, 0));
  out.set(prefix, 0);
  let off = prefix.length;
  for (const d of data) { out.set(d, off); off += d.length; }
  return out;
}

/**
 * Parse checkpoint bytes (magic, JSON header, tensor data) into a {@link Checkpoint}, verifying the
 * checksum when the header has one; `source` names the file in messages.
 * @throws CheckpointError when the bytes are not a clt checkpoint, are truncated, or fail the checksum.
 */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): Checkpoint {
  const corrupt = (why: string) => new CheckpointError(`${source} is corrupt (${why}); delete it or start without --resume`);
  if (bytes.length < 12 || Buffer.from(bytes.subarray(0, 8)).toString('ascii') !== MAGIC)
    throw new CheckpointError(`${source} is not a clt checkpoint (bad magic); it may be from another tool or truncated; delete it or start without --resume`);
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  if (12 + len > bytes.length) throw corrupt('the header is truncated');
  let h: Header;
  try {
    h = JSON.parse(Buffer.from(bytes.subarray(12, 12 + len)).toString('utf8')) as Header;
  } catch {
    throw corrupt('the header is not valid JSON');
  }
  if (!h || (h.dtype !== 'f32' && h.dtype !== 'f64') || !Number.isInteger(h.step) || !Array.isArray(h.tensors)) throw corrupt('the header lacks step, dtype or tensors');
  const start = Math.ceil((12 + len) / 8) * 8, width = h.dtype === 'f64' ? 8 : 4;
  const tensors: Record<string, Float32Array | Float64Array> = {};
  for (const t of h.tensors) {
    if (!(Number.isInteger(t.offset) && t.offset >= 0 && Number.isInteger(t.length) && t.length >= 0)) throw corrupt(`tensor ${t.name} has a bad offset or length`);
    const a = start + t.offset, b = a + t.length * width;
    if (b > bytes.length) throw new CheckpointError(`${source}: tensor ${t.name} is truncated; the file is damaged; delete it or start without --resume`);
    const copy = new Uint8Array(bytes.subarray(a, b)); // an aligned copy (Buffer#slice would be a view into a shared pool)
    tensors[t.name] = h.dtype === 'f64' ? new Float64Array(copy.buffer, 0, t.length) : new Float32Array(copy.buffer, 0, t.length);
  }
  // Files written before checksums existed have none; they still load (the finiteness check in
  // loadCheckpoint is their only guard).
  if (h.checksum !== undefined && digest(headerText(h), bytes.subarray(Math.min(start, bytes.length))) !== h.checksum) throw corrupt('checksum mismatch');
  return { step: h.step, dtype: h.dtype, config: h.config, state: h.state, tensors };
}

/** The first non-finite value among the tensors, as "NaN in W0[3]", or undefined when all are finite. */
export function firstNonFinite(tensors: Record<string, ArrayLike<number>>): string | undefined {
  for (const [name, t] of Object.entries(tensors)) {
    const i = firstNonFiniteIndex(t);
    if (i >= 0) return `${t[i]} in ${name}[${i}]`;
  }
  return undefined;
}

/**
 * Write a checkpoint atomically. Non-finite weights are refused: a checkpoint exists to be resumed
 * from, and a run resumed from NaN/Inf weights could only diverge again.
 */
export function saveCheckpoint(path: string, c: Checkpoint): void {
  const bad = firstNonFinite(c.tensors);
  if (bad) throw new CheckpointError(`refusing to write checkpoint ${path}: it would hold ${bad}; the run has diverged`);
  writeFileAtomic(path, encodeCheckpoint(c));
}

/** Read, verify (checksum) and check a checkpoint file: every tensor value must be finite. */
export function loadCheckpoint(path: string): Checkpoint {
  const c = decodeCheckpoint(readFileSync(path), path);
  const bad = firstNonFinite(c.tensors);
  if (bad) throw new CheckpointError(`${path} is corrupt (it holds ${bad}); delete it or start without --resume`);
  return c;
}

/** Keys whose values differ between two config fingerprints (for a resume error message). */
export function configDifferences(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}
