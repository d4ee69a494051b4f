import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireRunLock, Mlp, ReferenceBackend, removeStaleTempFiles, runLockHolder, RunLockedError, train, writeFileAtomic, type TrainerOptions } from '../index.js';
import { blobs } from './train-fixtures.js';

const dirs: string[] = [];
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'clt-lock-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** The pid of a process that has exited (and been reaped): what a killed run leaves in its lock. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid!;
}

/** A live child process (another "run"), killed when the test is done. */
async function liveChild(): Promise<{ pid: number; kill: () => Promise<void> }> {
  const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise((r) => c.once('spawn', r));
  return { pid: c.pid!, kill: () => new Promise((r) => { c.once('exit', r); c.kill('SIGKILL'); }) };
}

const lockOf = (pid: number) => JSON.stringify({ pid, hostname: hostname(), started: '2026-12-01T10:00:00.000Z', token: `t${pid}` });

const base = (): TrainerOptions => ({
  model: new Mlp({ sizes: [6, 8, 3], activation: 'tanh' }), backend: new ReferenceBackend(), train: blobs(48), batch: 8, steps: 6,
  schedule: { kind: 'constant', lr: 0.1 }, momentum: 0.9, seed: 5, dtype: 'f64', monitor: false, checkpointEvery: 2,
});

describe('run folder lock (issue 17, defect 4)', () => {
  it('one holder at a time; the second gets a clear error; release frees the folder', () => {
    const dir = tmp();
    const a = acquireRunLock(dir);
    expect(runLockHolder(dir)?.pid).toBe(process.pid);
    let err: unknown;
    try { acquireRunLock(dir); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(RunLockedError);
    expect((err as Error).message).toBe(`run folder ${dir} is in use by process ${process.pid} (started ${a.info.started}); wait for it to finish or stop it`);
    a.release();
    a.release(); // idempotent
    expect(runLockHolder(dir)).toBeNull();
    expect(existsSync(join(dir, '.lock'))).toBe(false);
    const b = acquireRunLock(dir);
    expect(b.held).toBe(true);
    b.release();
    expect(readdirSync(dir)).toEqual([]); // no temporaries left
  });

  it('a lock held by another live process blocks train(), which touches nothing in the folder', async () => {
    const dir = tmp(), child = await liveChild();
    try {
      writeFileSync(join(dir, '.lock'), lockOf(child.pid));
      writeFileSync(join(dir, 'metrics.jsonl'), '{"type":"start","step":0}\n');
      expect(runLockHolder(dir)?.pid).toBe(child.pid);
      const err = await train({ ...base(), runDir: dir }).catch((e) => e);
      expect(err).toBeInstanceOf(RunLockedError);
      expect(err.message).toMatch(new RegExp(`in use by process ${child.pid} \\(started 2026-12-01T10:00:00.000Z\\)`));
      await expect(train({ ...base(), runDir: dir, resume: true })).rejects.toBeInstanceOf(RunLockedError);
      expect(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')).toBe('{"type":"start","step":0}\n');
      expect(readdirSync(dir).sort()).toEqual(['.lock', 'metrics.jsonl']);
    } finally {
      await child.kill();
    }
    // Its holder is gone: the lock is stale and the next run takes it over.
    expect(runLockHolder(dir)).toBeNull();
    const r = await train({ ...base(), runDir: dir });
    expect(r.status).toBe('completed');
    expect(existsSync(join(dir, '.lock'))).toBe(false); // released at the end
  });

  it('a lock from another host is not judged by pid; the message says where and how to clear it', () => {
    const dir = tmp();
    writeFileSync(join(dir, '.lock'), JSON.stringify({ pid: deadPid(), hostname: 'elsewhere.example', started: 'x', token: 't' }));
    expect(() => acquireRunLock(dir)).toThrow(new RegExp(`on host elsewhere.example .*delete ${join(dir, '.lock')}`));
  });

  it('a caller may hold the lock across train(): train uses it and leaves it held', async () => {
    const dir = tmp(), lock = acquireRunLock(dir);
    try {
      expect((await train({ ...base(), runDir: dir, lock })).status).toBe('completed');
      expect(lock.held).toBe(true);
      expect(runLockHolder(dir)?.token).toBe(lock.info.token);
      await expect(train({ ...base(), runDir: tmp(), lock })).rejects.toThrow(/not a held lock of/);
    } finally {
      lock.release();
    }
    await expect(train({ ...base(), runDir: dir, lock })).rejects.toThrow(/not a held lock of/); // released
  });

  it('the lock is released when training fails, diverges or halts', async () => {
    const dir = tmp();
    await expect(train({ ...base(), runDir: dir, schedule: { kind: 'constant', lr: 500 } })).rejects.toThrow(/diverged/);
    expect(runLockHolder(dir)).toBeNull();
    expect((await train({ ...base(), runDir: dir, haltAfter: 3 })).status).toBe('halted');
    expect(runLockHolder(dir)).toBeNull();
    await expect(train({ ...base(), runDir: dir, resume: true, batch: 4 })).rejects.toThrow(/configuration changed/);
    expect(existsSync(join(dir, '.lock'))).toBe(false);
  });

  it('two processes taking one folder at once: exactly one holds it, the other is refused (real child processes)', async () => {
    // The children run this very lock.ts and the files.ts it imports (both import only node
    // built-ins besides), transpiled to plain JavaScript with TypeScript's transpiler, so no build
    // of the package is needed.
    const ts = (await import('typescript')).default;
    const dir = tmp(), lib = tmp(), script = join(lib, 'hold.mjs');
    for (const name of ['lock', 'files']) {
      const source = readFileSync(new URL(`./${name}.ts`, import.meta.url), 'utf8');
      const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
      writeFileSync(join(lib, `${name}.mjs`), js.replace("from './files.js'", "from './files.mjs'"));
    }
    writeFileSync(script, `
      import { acquireRunLock } from './lock.mjs';
      try { acquireRunLock(process.argv[2]); process.stdout.write('held\\n'); setTimeout(() => process.exit(0), 1500); }
      catch (e) { process.stdout.write(e.name + ': ' + e.message + '\\n'); process.exit(3); }
    `);
    const run = () => new Promise<{ code: number | null; out: string }>((res) => {
      const c = spawn(process.execPath, [script, dir]);
      let out = '';
      c.stdout.on('data', (b) => { out += b; });
      c.stderr.on('data', (b) => { out += b; });
      c.on('exit', (code) => res({ code, out }));
    });
    const [a, b] = await Promise.all([run(), run()]);
    const [won, lost] = [a, b].sort((x, y) => (x.code ?? 9) - (y.code ?? 9));
    expect(won).toEqual({ code: 0, out: 'held\n' });
    expect(lost!.code, lost!.out).toBe(3);
    expect(lost!.out).toMatch(/^RunLockedError: run folder .* is in use by process \d+ \(started [^)]+\); wait for it to finish or stop it\n$/);
    expect(readdirSync(dir)).toEqual([]); // process.exit released the lock; no temporaries left
  });
});

describe('temporary files of interrupted writes (issue 17, item 11)', () => {
  it('a run removes the temporaries of dead writers, keeps those of live processes', async () => {
    const dir = tmp(), dead = deadPid(), child = await liveChild();
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `checkpoint.tmp-${dead}`), 'torn');
      writeFileSync(join(dir, `summary.json.tmp-${dead}`), 'torn');
      writeFileSync(join(dir, `checkpoint.tmp-${child.pid}`), 'in flight');
      await train({ ...base(), runDir: dir });
      const names = readdirSync(dir).sort();
      expect(names).toEqual(['checkpoint', `checkpoint.tmp-${child.pid}`, 'metrics.jsonl'].sort());
    } finally {
      await child.kill();
    }
    expect(removeStaleTempFiles(dir)).toEqual([`checkpoint.tmp-${child.pid}`]);
  });

  it('a failed atomic write leaves no temporary file', () => {
    const dir = tmp(), target = join(dir, 'taken');
    mkdirSync(join(target, 'inside'), { recursive: true }); // renaming a file over a non-empty directory fails
    expect(() => writeFileAtomic(target, 'data')).toThrow();
    expect(readdirSync(dir)).toEqual(['taken']);
  });
});
