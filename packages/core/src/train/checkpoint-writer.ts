import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { checkpointParts, MAGIC, type Checkpoint } from './checkpoint.js';
import { tempPath } from './files.js';

/** What the main thread sends per checkpoint. */
interface WriteRequest {
  readonly id: number;
  readonly path: string;
  readonly tmp: string;
  readonly dir: string;
  /** The checksummed header text (checkpointParts). */
  readonly text: string;
  /** Tensor bytes in file order, their buffers transferred to the writer thread. */
  readonly data: Uint8Array[];
  /** Files fsync'ed before the checkpoint is written (the run's time series). */
  readonly sync: string[];
  /** Bytes per value: 4 (f32) or 8 (f64). */
  readonly width: number;
  /** Testing aid: the writer thread sleeps this long before writing. */
  readonly delayMs: number;
}

/**
 * The writer thread: checksum, then the atomic sequence of writeFileAtomic (temporary file, write,
 * fsync, rename over the target, fsync of the folder). Plain CommonJS with Node built-ins only, so
 * it runs the same from the sources under test and from the built package. The file layout
 * mirrors encodeCheckpoint (a test compares the two byte for byte).
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const writeAll = (fd, b) => { let off = 0; while (off < b.length) off += fs.writeSync(fd, b, off, b.length - off); };
const syncFile = (p, flags) => { const fd = fs.openSync(p, flags); try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); } };
parentPort.on('message', (m) => {
  try {
    if (m.delayMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, m.delayMs);
    for (const d of m.data) {
      const f = m.width === 8 ? new Float64Array(d.buffer, d.byteOffset, d.byteLength / 8) : new Float32Array(d.buffer, d.byteOffset, d.byteLength / 4);
      for (let i = 0; i < f.length; i++) if (!Number.isFinite(f[i])) throw new Error('refusing to write checkpoint ' + m.path + ': it would hold ' + f[i] + '; the run has diverged');
    }
    const hash = createHash('sha256').update(m.text, 'utf8');
    for (const d of m.data) hash.update(d);
    const header = Buffer.from(JSON.stringify({ ...JSON.parse(m.text), checksum: hash.digest('hex') }), 'utf8');
    const prefix = Buffer.alloc(Math.ceil((12 + header.length) / 8) * 8);
    prefix.write(${JSON.stringify(MAGIC)}, 0, 'ascii');
    prefix.writeUInt32LE(header.length, 8);
    header.copy(prefix, 12);
    for (const p of m.sync) syncFile(p, 'r+');
    const fd = fs.openSync(m.tmp, 'w');
    try {
      try {
        writeAll(fd, prefix);
        for (const d of m.data) writeAll(fd, d);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(m.tmp, m.path);
    } catch (e) {
      try { fs.unlinkSync(m.tmp); } catch {}
      throw e;
    }
    try { syncFile(m.dir, 'r'); } catch {}
    parentPort.postMessage({ id: m.id });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: { message: String(e && e.message || e), code: e && e.code } });
  }
});
`;

/** Writes that have not finished, of every writer of this process (see `checkpointWritesSettled`). */
const inFlight = new Set<Promise<void>>();

/**
 * Resolves once no checkpoint write of this process is in flight (failed ones included), waiting
 * also for writes started meanwhile. For a process about to exit on a signal: after it, the
 * checkpoint on disk is the newest one any run of this process has written, and durable.
 */
export async function checkpointWritesSettled(): Promise<void> {
  while (inFlight.size) await Promise.allSettled([...inFlight]);
}

/**
 * Writes checkpoints on a background thread, so the step after a checkpoint does not pay for
 * checksumming, writing and fsync: `save` takes the tensors (their buffers are transferred, so the
 * caller must own them, e.g. fresh downloads) and returns at once; the returned promise resolves
 * once the file is durable (written, fsync'ed, renamed into place, folder fsync'ed). Writes run
 * one at a time in submission order; the file on disk is always a whole checkpoint, the old or the
 * new one. A failed write is kept in `error` and thrown by `drain`.
 */
export class CheckpointWriter {
  private worker: Worker | undefined;
  private next = 0;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private failure: Error | undefined;

  /** Testing aid: delay each write by this many milliseconds on the writer thread. */
  constructor(private readonly options: { delayMs?: number } = {}) {}

  /** The first write that failed (disk full, folder removed, ...), if any. */
  get error(): Error | undefined { return this.failure; }

  /** Writes in flight. */
  get pending(): number { return this.waiting.size; }

  /** Start the writer thread now (it takes a few milliseconds), instead of at the first save. */
  start(): void {
    if (this.worker) return;
    const w = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
    w.on('message', (m: { id: number; error?: { message: string; code?: string } }) => {
      const p = this.waiting.get(m.id);
      if (!p) return;
      this.waiting.delete(m.id);
      if (!this.waiting.size) w.unref();
      if (m.error) p.reject(Object.assign(new Error(m.error.message), m.error.code ? { code: m.error.code } : {}));
      else p.resolve();
    });
    const lost = (e: Error) => {
      this.worker = undefined;
      for (const p of this.waiting.values()) p.reject(e);
      this.waiting.clear();
    };
    w.on('error', lost);
    w.on('exit', (code) => lost(new Error(`the checkpoint writer thread exited (code ${code})`)));
    w.unref();
    this.worker = w;
  }

  /**
   * Write `c` to `path` in the background; `onDurable` runs (on this thread) once it is durable.
   * `sync`: files to fsync first (records the checkpoint must not outlive). The tensors' buffers
   * are transferred: the caller's arrays are empty afterwards (a view into a buffer shared with
   * others is copied instead). A failure is kept in `error` and thrown by `drain`.
   */
  save(path: string, c: Checkpoint, options: { sync?: readonly string[]; onDurable?: () => void } = {}): void {
    this.start();
    const { text, data } = checkpointParts(c);
    const seen = new Set<ArrayBufferLike>();
    const owned = data.map((d) => {
      const whole = d.byteOffset === 0 && d.byteLength === d.buffer.byteLength && d.buffer instanceof ArrayBuffer && !seen.has(d.buffer);
      seen.add(d.buffer);
      return whole ? d : d.slice();
    });
    const id = this.next++;
    const req: WriteRequest = { id, path, tmp: tempPath(path), dir: dirname(path), text, data: owned, sync: [...(options.sync ?? [])], width: c.dtype === 'f64' ? 8 : 4, delayMs: this.options.delayMs ?? 0 };
    const done = new Promise<void>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    this.worker!.ref();
    this.worker!.postMessage(req, owned.map((d) => d.buffer as ArrayBuffer));
    const settled: Promise<void> = done.then(
      () => { try { options.onDurable?.(); } catch (e) { this.failure ??= e as Error; } },
      (e: Error) => { this.failure ??= e; },
    ).finally(() => inFlight.delete(settled));
    inFlight.add(settled);
  }

  /** Wait for every write so far; throws the first failure. */
  async drain(): Promise<void> {
    while (this.waiting.size) await Promise.allSettled([...inFlight]);
    if (this.failure) throw this.failure;
  }

  /** Wait for the writes in flight (their failures ignored) and stop the thread. */
  async close(): Promise<void> {
    await this.drain().catch(() => undefined);
    const w = this.worker;
    this.worker = undefined;
    if (w) {
      w.removeAllListeners('exit');
      await w.terminate();
    }
  }
}
