import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The temporary file this process writes before `path` is in place: `<path>.tmp-<pid>`. The pid in
 * the name lets a later run tell the leftovers of a killed writer from a live writer's file.
 */
export function tempPath(path: string): string {
  return `${path}.tmp-${process.pid}`;
}

/** The pid of the writer of a temporary file named by `tempPath`, or undefined for other names. */
export function tempFileWriter(name: string): number | undefined {
  const m = /\.tmp-(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * Write a whole file atomically: data goes to a temporary file in the same directory, which is
 * fsync'ed and renamed over the target (rename is atomic on POSIX file systems), so a reader — or a
 * run resumed after a crash — sees either the old file or the new one, never a torn mix.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = tempPath(path);
  const fd = openSync(tmp, 'w');
  try {
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    // A failed write (disk full, folder removed) must not leave its temporary file behind; a
    // killed process still can, and the next run on the folder removes it (removeStaleTempFiles).
    try { unlinkSync(tmp); } catch { /* never created or already gone */ }
    throw e;
  }
  syncDir(dirname(path));
}

function syncDir(dir: string): void {
  // Persist the rename itself; not every platform lets a directory be opened, so best effort.
  try { const fd = openSync(dir, 'r'); try { fsyncSync(fd); } finally { closeSync(fd); } } catch { /* not supported here */ }
}

/**
 * An append-only JSON-lines time series. Each record is one line appended to the file;
 * `flush()` fsyncs (the trainer's checkpoint writer fsyncs the file before each checkpoint, and
 * `close()` flushes at the end), so after a crash at most the records since the last sync are lost
 * and a torn last line is ignored by `readJsonl`.
 */
export class JsonlLog {
  private fd: number;
  private dirty = false;

  constructor(readonly path: string, options: { truncate?: boolean } = {}) {
    this.fd = openSync(path, options.truncate ? 'w' : 'a');
  }

  append(record: Record<string, unknown>): void {
    writeSync(this.fd, JSON.stringify(record, jsonNumbers) + '\n');
    this.dirty = true;
  }

  flush(): void {
    if (this.dirty) fsyncSync(this.fd);
    this.dirty = false;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** JSON has no ±∞/NaN: write them as strings so no value silently becomes null. */
export function jsonNumbers(_key: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
}

/** Inverse of `jsonNumbers` for reading. */
export function reviveNumbers(_key: string, v: unknown): unknown {
  return v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v === 'NaN' ? NaN : v;
}

/** Every complete record of a JSONL file (a torn or corrupt last line is dropped, others throw). */
export function readJsonl<T = Record<string, unknown>>(path: string): T[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: T[] = [];
  lines.forEach((l, i) => {
    if (l.trim() === '') return;
    try {
      out.push(JSON.parse(l, reviveNumbers) as T);
    } catch (e) {
      const last = lines.slice(i + 1).every((r) => r.trim() === '');
      if (!last) throw new Error(`${path}: line ${i + 1} is not valid JSON (${(e as Error).message})`);
    }
  });
  return out;
}

/** Keep only the records `keep` accepts, rewriting the file atomically (used when resuming). */
export function rewriteJsonl(path: string, keep: (r: Record<string, unknown>) => boolean): number {
  const kept = readJsonl(path).filter(keep);
  writeFileAtomic(path, kept.map((r) => JSON.stringify(r, jsonNumbers) + '\n').join(''));
  return kept.length;
}
