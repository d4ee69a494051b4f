import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { tempFileWriter, tempPath } from './files.js';

/** The lock file inside a run folder; its presence with a live holder means "a run is writing here". */
export const RUN_LOCK_FILE = '.lock';

/** Who holds a run folder: written into the lock file as JSON. */
export interface RunLockInfo {
  readonly pid: number;
  readonly hostname: string;
  /** ISO time the holder took the lock. */
  readonly started: string;
  /** Random per acquisition, so a holder only ever removes its own lock. */
  readonly token: string;
}

/** A second writer tried to use a run folder that a live process holds. */
export class RunLockedError extends Error {
  constructor(readonly runDir: string, readonly holder: RunLockInfo) {
    const where = holder.hostname === hostname() ? `process ${holder.pid}` : `process ${holder.pid} on host ${holder.hostname}`;
    super(`run folder ${runDir} is in use by ${where} (started ${holder.started}); wait for it to finish or stop it` +
      (holder.hostname === hostname() ? '' : ` (if that process is gone, delete ${join(runDir, RUN_LOCK_FILE)})`));
    this.name = 'RunLockedError';
  }
}

/** A held lock on one run folder. `release()` is idempotent and only removes this holder's lock file. */
export interface RunLock {
  readonly runDir: string;
  readonly info: RunLockInfo;
  readonly held: boolean;
  release(): void;
}

/** Whether `pid` is a running process on this host (EPERM: it exists but belongs to another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(path: string): RunLockInfo | 'missing' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw e;
  }
  try {
    const v = JSON.parse(text) as Partial<RunLockInfo>;
    if (typeof v.pid === 'number' && typeof v.hostname === 'string' && typeof v.started === 'string' && typeof v.token === 'string') return v as RunLockInfo;
  } catch { /* fall through */ }
  return 'unreadable';
}

/** A holder that can no longer be writing: a dead process on this host. Other hosts cannot be checked, so they count as live. */
function stale(h: RunLockInfo): boolean {
  return h.hostname === hostname() && !processAlive(h.pid);
}

/**
 * The live holder of `runDir`'s lock, or null when the folder is free (no lock, or a stale lock
 * left by a dead process). For callers that must not touch a folder another run is writing — e.g.
 * before deleting it.
 */
export function runLockHolder(runDir: string): RunLockInfo | null {
  const h = readLock(join(runDir, RUN_LOCK_FILE));
  if (h === 'missing') return null;
  // The lock is created complete (link of a written file), so an unreadable one was damaged by
  // hand or by the file system; nobody can be identified as its holder, so it does not block.
  if (h === 'unreadable') return null;
  return stale(h) ? null : h;
}

/**
 * Take the exclusive lock of a run folder (created when missing): one writer per run folder. Throws
 * RunLockedError when a live process (this one included) holds it; takes over a stale lock of a
 * dead process. The lock file is created complete and atomically (written to a temporary file,
 * then hard-linked into place, which fails if the name exists), so a reader never sees a
 * half-written lock. An `exit` hook removes it when the process exits through process.exit.
 */
export function acquireRunLock(runDir: string): RunLock {
  const dir = resolve(runDir), path = join(dir, RUN_LOCK_FILE);
  mkdirSync(dir, { recursive: true });
  const info: RunLockInfo = { pid: process.pid, hostname: hostname(), started: new Date().toISOString(), token: randomBytes(8).toString('hex') };
  const tmp = tempPath(join(dir, `${RUN_LOCK_FILE}.${info.token}`));
  const fd = openSync(tmp, 'wx');
  try {
    writeSync(fd, JSON.stringify(info));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, path);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const h = readLock(path);
      if (h === 'missing') continue; // released between our link and read: try again
      if (h !== 'unreadable' && !stale(h)) throw new RunLockedError(dir, h);
      if (attempt >= 5) throw new Error(`cannot take the lock of run folder ${dir}: ${path} keeps changing; another process is starting a run there`);
      takeOver(path, h);
    }
  } finally {
    try { unlinkSync(tmp); } catch { /* already gone */ }
  }
  let held = true;
  const onExit = () => lock.release();
  const lock: RunLock = {
    runDir: dir, info,
    get held() { return held; },
    release() {
      if (!held) return;
      held = false;
      process.removeListener('exit', onExit);
      const h = readLock(path);
      if (h !== 'missing' && h !== 'unreadable' && h.token === info.token) {
        try { unlinkSync(path); } catch { /* already gone */ }
      }
    },
  };
  process.on('exit', onExit);
  return lock;
}

/**
 * Move a stale (or unreadable) lock aside. rename moves exactly one file, so of two processes
 * taking over at once only one moves the stale lock; if what we moved turns out to be a fresh lock
 * another process just created, it is put back (link fails if a third one appeared meanwhile,
 * and then that one stands).
 */
function takeOver(path: string, seen: RunLockInfo | 'unreadable'): void {
  const aside = tempPath(`${path}.stale-${randomBytes(6).toString('hex')}`);
  try {
    renameSync(path, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const moved = readLock(aside);
  const same = seen === 'unreadable' ? moved === 'unreadable' : moved !== 'missing' && moved !== 'unreadable' && moved.token === seen.token;
  if (!same) {
    try { linkSync(aside, path); } catch { /* a newer lock is in place */ }
  }
  try { unlinkSync(aside); } catch { /* gone */ }
}

/**
 * Remove temporary files that interrupted writers left in a run folder (`<name>.tmp-<pid>` of
 * writeFileAtomic, lock temporaries): those of dead processes and of this process (whose writes
 * are all finished when a run starts). Call while holding the folder's lock. Returns the names removed.
 */
export function removeStaleTempFiles(runDir: string): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(runDir)) {
    const pid = tempFileWriter(name);
    if (pid === undefined || (pid !== process.pid && processAlive(pid))) continue;
    try {
      unlinkSync(join(runDir, name));
      removed.push(name);
    } catch { /* removed by someone else */ }
  }
  return removed;
}
