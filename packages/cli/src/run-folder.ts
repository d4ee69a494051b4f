import { randomBytes } from 'node:crypto';
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { RUN_LOCK_FILE, tempFileWriter } from '@clt/core';

/**
 * Safety of the folders `clt train` writes: the run name is one plain folder name, the run folder
 * stays inside --out, an existing run is replaced only on request (--overwrite) and only when it
 * looks like a run, and an output folder that cannot be written fails at once.
 */

/** Longest run name: far below every file system's name limit (255 bytes), with room for suffixes. */
export const MAX_RUN_NAME = 100;

const RULES = `a run name is one folder name inside --out: no / or \\, no control characters, not "." or "..", not starting with "." or "-", at most ${MAX_RUN_NAME} characters`;

/** Why `name` is not a safe run name, or undefined when it is. */
export function runNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name === '.' || name === '..') return `"${name}" names a folder above or at --out itself`;
  if (/[/\\]/.test(name)) return 'it contains a path separator';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'it contains a control character';
  if (name.startsWith('-')) return 'it starts with "-", which shells and tools read as an option';
  if (name.startsWith('.')) return 'it starts with "." (hidden, and ".." climbs out of --out)';
  if (name.length > MAX_RUN_NAME) return `it is ${name.length} characters long`;
  if (name.trim() !== name) return 'it starts or ends with white space';
  return undefined;
}

/** `name` when it is a safe run name; otherwise a clear error naming where the name came from. */
export function checkRunName(name: string, from = '--name'): string {
  const why = runNameProblem(name);
  if (why) throw new Error(`${from} ${JSON.stringify(name)} is not a valid run name: ${why}; ${RULES}`);
  return name;
}

/**
 * The default run name of a data-set spec: synthetic sets keep their kind and parameters
 * (synthetic:gaussian?n=400 → gaussian-n-400), files their base name without extension
 * (/tmp/x/good.csv → good); never a leading "-" or ".", never empty.
 */
export function defaultRunName(spec: string): string {
  const s = String(spec);
  // A file's last path segment, split on both separators so a Windows path gives its file name too.
  const file = (): string => { const last = s.split(/[\\/]/).filter(Boolean).pop() ?? ''; return last.slice(0, last.length - extname(last).length); };
  const raw = s.startsWith('synthetic:') ? s.slice('synthetic:'.length) : s === 'mnist' || s === 'fashion-mnist' ? s : file();
  const name = raw.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 60).replace(/^[-.]+/, '').replace(/[-.]+$/, '');
  return name === '' ? 'run' : name;
}

/** The absolute --out and run folder; throws unless the run folder is exactly one level inside --out. */
export function runFolderPath(out: string, name: string): { out: string; runDir: string } {
  const outAbs = resolve(out), runDir = resolve(outAbs, name);
  const rel = relative(outAbs, runDir);
  // Belt and braces: checkRunName already makes this hold; a run folder is never --out or outside it.
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.includes(sep)) throw new Error(`run folder ${runDir} is not a folder inside --out ${outAbs}; choose another --name`);
  return { out: outAbs, runDir };
}

/** What is at a run folder's path now (symbolic links are not followed). */
export type RunFolderState = 'absent' | 'empty' | 'run' | 'foreign' | 'symlink' | 'not-a-folder';

/** Files `clt train` writes into a run folder, and the error.json a sweep leaves for a failed run; a folder holding any of them is a run. */
const RUN_FILES = ['metrics.jsonl', 'checkpoint', 'summary.json', 'error.json'];

export function runFolderState(runDir: string): RunFolderState {
  let st;
  try {
    st = lstatSync(runDir);
  } catch (e) {
    // ENOTDIR: a parent is a file; the --out check then says so.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'absent';
    throw new Error(`cannot read run folder ${runDir}: ${(e as Error).message}`);
  }
  if (st.isSymbolicLink()) return 'symlink';
  if (!st.isDirectory()) return 'not-a-folder';
  const names = readdirSync(runDir).filter((f) => !isLeftover(f));
  if (names.length === 0) return 'empty';
  return names.some((f) => RUN_FILES.includes(f)) ? 'run' : 'foreign';
}

/** The lock and the temporaries of interrupted atomic writes: not content of their own. */
function isLeftover(f: string): boolean {
  return f === RUN_LOCK_FILE || tempFileWriter(f) !== undefined;
}

/**
 * Empty a run folder (after the caller has checked it is a run inside --out and taken its lock),
 * keeping the lock file. Entries are removed one by one and symbolic links are unlinked, never
 * followed, so nothing outside the folder can be reached.
 */
export function clearRunFolder(runDir: string): void {
  for (const f of readdirSync(runDir)) {
    if (f === RUN_LOCK_FILE) continue;
    const p = join(runDir, f);
    if (lstatSync(p).isDirectory()) rmSync(p, { recursive: true }); // rm does not follow links inside
    else unlinkSync(p);
  }
}

/**
 * Create `dir` (and missing parents) and prove it writable by creating and removing a file in it.
 * Each level is created on its own: Node's `mkdirSync(..., {recursive: true})` loops forever where a
 * file system answers ENOENT for a folder whose parent exists (/proc), so it is never used here.
 */
export function ensureWritableFolder(dir: string, what: string): void {
  const abs = resolve(dir);
  const fail = (why: string): never => {
    throw new Error(`${what} ${abs} cannot be used: ${why}; choose a folder you can write to`);
  };
  const missing: string[] = [];
  for (let p = abs; ; p = dirname(p)) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(p) !== p) {
        missing.unshift(p);
        continue;
      }
      return fail(`cannot read ${p} (${code ?? (e as Error).message})`);
    }
    if (!isDir) return fail(`${p} exists and is not a folder`);
    break;
  }
  for (const p of missing) {
    try {
      mkdirSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statSync(p).isDirectory()) continue; // created meanwhile by someone else
      return fail(`cannot create ${p} (${code ?? (e as Error).message})`);
    }
  }
  const probe = join(abs, `.clt-write-test-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const fd = openSync(probe, 'wx');
    try { writeSync(fd, 'ok'); } finally { closeSync(fd); }
  } catch (e) {
    return fail(`cannot write a file in it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  unlinkSync(probe);
}
