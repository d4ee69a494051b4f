/**
 * File safety of the CLI (issue 17, defects 1, 8, 9 and the Build section's file-safety test): the
 * built `clt` runs with hostile names and paths in a sandbox <tmp>/outer/sandbox; every entry of
 * <tmp>/outer (sentinels beside the sandbox included) is snapshotted — kind, size, mtime, sha256 —
 * before and after, and nothing may change outside the run folder the command was meant to write.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The built CLI; the spawn tests need `npx tsc -p tsconfig.build.json` first. */
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');
const HAVE_BIN = existsSync(BIN);
const SKIP_NOTE = HAVE_BIN ? '' : ' (skipped: build the package first, dist/bin.js is missing)';

/** A tiny synthetic data set: a few milliseconds per step. */
const TINY = 'synthetic:gaussian?n=200&dim=4&classes=2';
const TINY_ARGS = ['--data', TINY, '--hidden', '8', '--steps', '2', '--batch', '16', '--no-probes', '--no-report'];

interface Cli { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; seconds: number }

/**
 * Run the built CLI in `cwd` (HOME and TMPDIR inside the sandbox, so caches land there too) and
 * wait for it. Asynchronous, so the test runner stays responsive while it runs.
 */
async function clt(cwd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<Cli> {
  const t0 = performance.now();
  const child = cltAsync(cwd, args, env);
  let stdout = '', stderr = '';
  child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [status, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.once('close', (c, s) => r([c, s])));
  clearTimeout(timer);
  return { status, signal, stdout, stderr, seconds: (performance.now() - t0) / 1000 };
}

/** Start the built CLI without waiting. */
function cltAsync(cwd: string, args: string[], env: Record<string, string> = {}) {
  return spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * A fresh sandbox: <tmp>/outer/sandbox, with sentinel files and a fake run beside the sandbox (in
 * outer) and inside it, so a write or delete that escapes the run folder shows up in a snapshot.
 */
function makeSandbox(): { outer: string; sandbox: string; runs: string; work: string; env: Record<string, string> } {
  const outer = join(mkdtempSync(join(tmpdir(), 'clt-safety-')), 'outer');
  const sandbox = join(outer, 'sandbox'), runs = join(sandbox, 'runs'), work = join(sandbox, 'work');
  for (const d of [outer, sandbox, runs, work, join(outer, 'sentinel-run'), join(sandbox, 'victim'), join(sandbox, 'home'), join(sandbox, 'tmp')]) mkdirSync(d, { recursive: true });
  writeFileSync(join(outer, 'sentinel.txt'), 'outside the sandbox: must never change\n');
  writeFileSync(join(outer, 'sentinel-run', 'metrics.jsonl'), '{"type":"start","step":0}\n');
  writeFileSync(join(sandbox, 'victim', 'precious.txt'), 'user data beside --out\n');
  writeFileSync(join(runs, 'notes.txt'), 'a file of the user inside --out\n');
  return { outer, sandbox, runs, work, env: { HOME: join(sandbox, 'home'), TMPDIR: join(sandbox, 'tmp') } };
}

/** path (relative to root, '/'-separated) → kind, size, mtime and sha256 of every entry; links are not followed. */
function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name), rel = relative(root, p).split(sep).join('/'), st = lstatSync(p);
      if (st.isSymbolicLink()) out.set(rel, `link → ${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.set(rel, 'dir');
        walk(p);
      } else out.set(rel, `file ${st.size} B, mtime ${st.mtimeMs}, sha256 ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(root);
  return out;
}

/** Entries added, removed or changed between two snapshots (sorted). */
function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of before) if (!after.has(k)) out.push(`removed ${k}`);
    else if (after.get(k) !== v) out.push(`changed ${k}`);
  for (const k of after.keys()) if (!before.has(k)) out.push(`added ${k}`);
  return out.sort();
}

/** The changes outside the given folders (relative paths; a folder's own entry counts as inside it). */
function changesOutside(list: string[], ...allowed: string[]): string[] {
  return list.filter((c) => {
    const path = c.slice(c.indexOf(' ') + 1);
    return !allowed.some((a) => path === a || path.startsWith(`${a}/`));
  });
}

/** Sandboxes to delete at the end. */
const made: string[] = [];
afterAll(() => { for (const d of made) rmSync(dirname(d), { recursive: true, force: true }); });
function sandbox() {
  const s = makeSandbox();
  made.push(s.outer);
  return s;
}

/** No "    at file:line" frames: expected errors print their message only. */
const NO_STACK = /\n\s+at .+:\d+/;

describe.skipIf(!HAVE_BIN)(`clt train touches nothing outside its run folder${SKIP_NOTE}`, () => {
  let sb: ReturnType<typeof makeSandbox>;
  const done = () => join(sb.runs, 'done');
  beforeAll(async () => {
    sb = sandbox();
    const r = await clt(sb.work, ['train', ...TINY_ARGS, '--out', sb.runs, '--name', 'done'], sb.env);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(done(), 'checkpoint'))).toBe(true);
  });

  /** Run, expect exit 1 with `message` and no stack, and no change anywhere under outer. */
  const refuses = async (args: string[], message: RegExp) => {
    const before = snapshot(sb.outer);
    const r = await clt(sb.work, args, sb.env);
    expect(r.status, `${args.join(' ')}\n${r.stderr}`).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(NO_STACK);
    expect(changes(before, snapshot(sb.outer)), args.join(' ')).toEqual([]);
    return r;
  };

  const hostile = () => ['..', '.', '', '../x', '../..', '../../sentinel.txt', '-rf', '--', 'a/b', 'x\\y', 'line\nbreak', '.lock', 'z'.repeat(300),
    join(sb.sandbox, 'victim'), sb.outer, sb.runs, '/'];
  it('refuses every hostile --name before touching anything (defect 1: .., absolute, empty, ../x, -rf)', async () => {
    const message = /clt: --name ".*" is not a valid run name: .*; a run name is one folder name inside --out/s;
    for (const name of hostile()) await refuses(['train', ...TINY_ARGS, '--out', sb.runs, '--name', name], message);
    // The names that used to delete the most, with the flags that delete or reuse a folder.
    for (const name of ['..', '', '../x', sb.runs]) {
      for (const extra of ['--overwrite', '--resume']) await refuses(['train', ...TINY_ARGS, '--out', sb.runs, '--name', name, extra], message);
    }
  });

  it('re-running a finished run without --overwrite refuses and leaves it byte-identical', async () => {
    const r = await refuses(['train', ...TINY_ARGS, '--out', sb.runs, '--name', 'done'], /run folder .*done already exists; pass --resume to continue it, --overwrite to replace it, or choose another --name/);
    expect(r.stderr).toContain(done());
  });

  it('--schedule bogus on a finished run fails before deleting anything, with or without --overwrite', async () => {
    await refuses(['train', ...TINY_ARGS, '--out', sb.runs, '--name', 'done', '--schedule', 'bogus', '--overwrite'], /schedule: unknown kind "bogus"/);
    await refuses(['train', ...TINY_ARGS, '--out', sb.runs, '--name', 'done', '--schedule', 'bogus'], /already exists|unknown kind "bogus"/);
    // Other late failures with --overwrite: data, model, batch and dtype are all checked first.
    await refuses(['train', ...TINY_ARGS, '--out', sb.runs, '--name', 'done', '--overwrite', '--data', 'synthetic:nope'], /unknown synthetic data set "nope"/);
    await refuses(['train', ...TINY_ARGS, '--out', sb.runs, '--name', 'done', '--overwrite', '--batch', '5000'], /--batch 5000 is larger than the 170 training rows/);
    await refuses(['train', ...TINY_ARGS, '--out', sb.runs, '--name', 'done', '--overwrite', '--backend', 'no-such-backend'], /no-such-backend/);
    await refuses(['train', ...TINY_ARGS, '--out', sb.runs, '--name', 'done', '--overwrite', '--resume'], /--resume and --overwrite cannot be used together/);
  });

  it('--overwrite refuses user data, a symbolic link and a file; a run name never reaches outside --out', async () => {
    mkdirSync(join(sb.runs, 'mine'));
    writeFileSync(join(sb.runs, 'mine', 'thesis.tex'), 'months of work\n');
    await refuses(['train', ...TINY_ARGS, '--out', sb.runs, '--name', 'mine', '--overwrite'], /does not look like a clt run folder .* it may hold your own files, so clt will not delete it/);
    await refuses(['train', ...TINY_ARGS, '--out', sb.runs, '--name', 'mine'], /does not look like a clt run folder/);
    symlinkSync(join(sb.outer, 'sentinel-run'), join(sb.runs, 'link'));
    await refuses(['train', ...TINY_ARGS, '--out', sb.runs, '--name', 'link', '--overwrite'], /run folder .*link is a symbolic link/);
    await refuses(['train', ...TINY_ARGS, '--out', sb.runs, '--name', 'link', '--resume'], /run folder .*link is a symbolic link/);
    await refuses(['train', ...TINY_ARGS, '--out', sb.runs, '--name', 'notes.txt', '--overwrite'], /notes.txt exists and is not a folder/);
  });

  it('--resume without a run folder or without a checkpoint fails clearly and creates nothing (defect 9)', async () => {
    await refuses(['train', ...TINY_ARGS, '--out', sb.runs, '--name', 'never', '--resume'], /cannot --resume: there is no run folder .*never .*; run without --resume to start it/);
    mkdirSync(join(sb.runs, 'empty'));
    await refuses(['train', ...TINY_ARGS, '--out', sb.runs, '--name', 'empty', '--resume'], /cannot --resume: no checkpoint in .*empty/);
  });

  it('an output folder that cannot be written fails at once with a message (defect 8)', async () => {
    await refuses(['train', ...TINY_ARGS, '--out', join(sb.outer, 'sentinel.txt', 'runs')], /--out .* cannot be used: .*sentinel.txt exists and is not a folder; choose a folder you can write to/);
    await refuses(['train', ...TINY_ARGS, '--out', ''], /--out must name a folder/);
    if (existsSync('/proc/self')) {
      const r = await refuses(['train', ...TINY_ARGS, '--out', '/proc/clt-out'], /--out \/proc\/clt-out cannot be used: cannot create \/proc\/clt-out/);
      expect(r.seconds).toBeLessThan(10);
    }
  });

  it('--overwrite replaces the run and changes nothing else', async () => {
    const before = snapshot(sb.outer);
    const r = await clt(sb.work, ['train', ...TINY_ARGS, '--out', sb.runs, '--name', 'done', '--overwrite'], sb.env);
    expect(r.status, r.stderr).toBe(0);
    const c = changes(before, snapshot(sb.outer));
    expect(c).toContain('changed sandbox/runs/done/checkpoint'); // really rewritten
    expect(changesOutside(c, 'sandbox/runs/done')).toEqual([]);
    expect(readdirSync(done()).sort()).toEqual(['checkpoint', 'metrics.jsonl', 'summary.json']); // no lock or temporaries left
  });

  it('a default name from a data file path is its safe base name (not "-tmp-...-x.csv")', async () => {
    mkdirSync(join(sb.sandbox, 'data'));
    const rows = Array.from({ length: 60 }, (_, i) => `${(i % 2) + 0.01 * i},${0.5 - 0.01 * i},${i % 2}`);
    writeFileSync(join(sb.sandbox, 'data', '-rf.csv'), ['a,b,label', ...rows].join('\n') + '\n');
    const before = snapshot(sb.outer);
    const r = await clt(sb.work, ['train', '--data', join(sb.sandbox, 'data', '-rf.csv'), '--hidden', '4', '--steps', '2', '--batch', '8', '--no-probes', '--no-report', '--out', sb.runs], sb.env);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(sb.runs, 'rf', 'checkpoint'))).toBe(true);
    expect(changesOutside(changes(before, snapshot(sb.outer)), 'sandbox/runs/rf')).toEqual([]);
  });

  it('probe, bounds and report write only into the run folder they are given, and refuse hostile paths', async () => {
    let before = snapshot(sb.outer);
    for (const args of [['probe', '--run', done(), '--samples', '4', '--json'], ['bounds', '--data', TINY, '--run', done(), '--json']]) {
      const r = await clt(sb.work, args, sb.env);
      expect(r.status, `${args.join(' ')}\n${r.stderr}`).toBe(0);
      expect(() => JSON.parse(r.stdout)).not.toThrow();
    }
    expect(changes(before, snapshot(sb.outer))).toEqual([]); // they only read
    before = snapshot(sb.outer);
    const rep = await clt(sb.work, ['report', done(), '--json'], sb.env);
    expect(rep.status, rep.stderr).toBe(0);
    const c = changes(before, snapshot(sb.outer));
    expect(c).toContain('added sandbox/runs/done/report.html');
    expect(changesOutside(c, 'sandbox/runs/done')).toEqual([]);
    for (const dir of ['..', '../..', sb.outer, join(sb.sandbox, 'victim'), '', '/proc/clt-out']) {
      await refuses(['report', dir], /has no metrics.jsonl|argument is empty/);
      await refuses(['probe', '--run', dir, '--samples', '4'], /has no checkpoint|--run must name a run folder/);
    }
  });

  it('convex --spline writes only the file it is given', async () => {
    const before = snapshot(sb.outer);
    const r = await clt(sb.work, ['convex', '--spline', 'spline.svg'], sb.env);
    expect(r.status, r.stderr).toBe(0);
    expect(changes(before, snapshot(sb.outer))).toEqual(['added sandbox/work/spline.svg']);
  });
});

describe.skipIf(!HAVE_BIN)(`Ctrl-C during clt train (defect 9)${SKIP_NOTE}`, () => {
  it('exits 130 naming the last checkpoint and the exact --resume command, which resumes from that step; the resumed sandwich count covers the whole run', async () => {
    const sb = sandbox();
    // --budget 1 never skips a due probe, so the uninterrupted and the resumed run probe the same steps.
    const args = (name: string) => ['train', '--data', 'synthetic:gaussian?n=2000&dim=16&classes=4', '--hidden', '32', '--epochs', '40', '--batch', '16',
      '--checkpoint-every', '50', '--probe-every', '100', '--probe-size', '8', '--budget', '1', '--no-report', '--out', '../runs', '--name', name];
    const child = cltAsync(sb.work, args('int'), sb.env);
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const ckpt = join(sb.runs, 'int', 'checkpoint');
    for (const t0 = Date.now(); !existsSync(ckpt) && Date.now() - t0 < 60_000;) await new Promise((r) => setTimeout(r, 20));
    // While it runs, a second writer is refused and does not wipe it (the run lock, seen from the CLI).
    const second = await clt(sb.work, [...args('int'), '--overwrite'], sb.env);
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/run folder .*int is in use by process \d+/);
    expect(child.exitCode, 'the run ended before it could be interrupted').toBeNull();
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const m = /interrupted \(Ctrl-C\) at step (\d+) of (\d+)\.\n {2}last checkpoint: (.+) \(step (\d+)\)\n {2}continue with:\n {4}(.+)\n/.exec(stderr);
    expect(m, stderr).not.toBeNull();
    const [, stoppedAt, total, path, at, command] = m!;
    expect(Number(stoppedAt)).toBeGreaterThanOrEqual(Number(at));
    expect(Number(at)).toBeLessThan(Number(total)); // really interrupted
    expect(path).toBe(ckpt);
    expect(command).toMatch(/^clt train .*--out \.\.\/runs .*--name int --resume$/);
    expect(command).toContain(`--data 'synthetic:gaussian?n=2000&dim=16&classes=4'`);

    // Run the printed command as a shell would, `clt` being this build.
    const resumed = spawnSync('sh', ['-c', `clt() { "$CLT_NODE" "$CLT_BIN" "$@"; }; ${command}`], { cwd: sb.work, encoding: 'utf8', env: { ...process.env, ...sb.env, CLT_NODE: process.execPath, CLT_BIN: BIN } });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`resuming from step ${at} of ${total}`);
    const logged = readFileSync(join(sb.runs, 'int', 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"type":"probe"')).length;
    const sw = /sandwich held at (\d+)\/(\d+) probes/.exec(resumed.stderr)!;
    // An uninterrupted run probes at step 0, every 100 steps, and at the last step.
    const fullProbes = Math.floor(Number(total) / 100) + 1 + (Number(total) % 100 === 0 ? 0 : 1);
    expect(Number(sw[2])).toBe(logged);
    expect(Number(sw[2])).toBe(fullProbes);
    const summary = JSON.parse(readFileSync(join(sb.runs, 'int', 'summary.json'), 'utf8')) as { resumedFrom: number; sandwich: { probes: number } };
    expect(summary.resumedFrom).toBe(Number(at));
    expect(summary.sandwich.probes).toBe(fullProbes);
  });
});
