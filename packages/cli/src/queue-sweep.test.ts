import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint } from '@clt/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The redis-server fixture of @clt/queue (src/redis-server-fixture.ts), copied: a test here may not
// import another package's sources (tsc's rootDir), and the fixture is no part of the published package.
/**
 * A real redis-server for tests, on a free loopback port, in its own temporary folder. With
 * `persist`, the queue survives a restart as in production (append-only file, fsync every second).
 */
interface RedisFixture {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Stop the server: SIGTERM (clean shutdown) or SIGKILL (a crash). */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Start it again on the same port and folder. */
  start(): Promise<void>;
}

/** Why redis-server tests cannot run here, or undefined when they can. */
function redisMissing(): string | undefined {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'redis-server is not installed (Debian package redis-server; .ci/run installs it)';
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** Every temporary folder these tests make, removed when the file's tests end (pass or fail). */
const temps: string[] = [];
const tempDir = (prefix: string): string => { const d = mkdtempSync(join(tmpdir(), prefix)); temps.push(d); return d; };
afterAll(() => { for (const d of temps) rmSync(d, { recursive: true, force: true }); });

async function startRedis(o: { persist?: boolean; password?: string } = {}): Promise<RedisFixture> {
  const dir = tempDir('clt-redis-');
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', o.persist ? 'yes' : 'no', '--appendfsync', 'everysec', ...(o.password ? ['--requirepass', o.password] : [])];
  const start = () => new Promise<void>((res, rej) => {
    const p = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = p;
    let out = '';
    const t = setTimeout(() => rej(new Error(`redis-server did not start on port ${port}: ${out.slice(-500)}`)), 10_000);
    p.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (/Ready to accept connections/.test(out)) { clearTimeout(t); res(); }
    });
    p.once('exit', (code) => { clearTimeout(t); rej(new Error(`redis-server exited with ${code}: ${out.slice(-500)}`)); });
  });
  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((res) => p.once('exit', () => res()));
    p.kill(signal);
    await exited;
  };
  await start();
  const auth = o.password ? `:${encodeURIComponent(o.password)}@` : '';
  return { port, dir, url: `redis://${auth}127.0.0.1:${port}`, stop, start };
}

/** The built CLI: workers fork dist/queue-run-worker.js, so these tests need `npx tsc -p tsconfig.build.json` first. */
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');
const WHY = !existsSync(BIN) ? 'build the package first, dist/bin.js is missing' : redisMissing();
const clt = (args: string[], cwd: string) => spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });

// 2 widths × 2 learning rates × 3 seeds of a tiny synthetic run (about two seconds each, mostly start-up), checkpoints every 4 steps.
const SPEC = `name: tiny
base:
  data: "synthetic:gaussian?n=120&dim=6&classes=3"
  steps: 20
  batch: 16
  probe-size: 8
  probe-every: 10
  checkpoint-every: 4
grid:
  hidden: ["8", "8,8"]
  lr: [0.05, 0.1]
seeds: 3
`;
const METRICS = 'SELECT run_id, status, train_loss, train_accuracy, test_loss, test_accuracy, steps_run, (SELECT count(*) FROM probes p WHERE p.run_id = r.run_id) AS probes, (SELECT sum(p.risk) FROM probes p WHERE p.run_id = r.run_id) AS probe_risk_sum, (SELECT sum(p.energy) FROM probes p WHERE p.run_id = r.run_id) AS probe_energy_sum FROM runs r ORDER BY run_id';

interface Proc { child: ChildProcess; out: () => string; exited: Promise<number | null> }
function start(args: string[], cwd: string): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
  return { child, out: () => out, exited: new Promise((res) => child.on('exit', (code) => res(code))) };
}
const worker = (url: string, dir: string, cwd: string) => start(['worker', '--queue', url, '--dir', dir, '--stall-seconds', '2'], cwd);
async function stopAll(ps: Proc[]): Promise<void> {
  for (const p of ps) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  await Promise.all(ps.map((p) => p.exited));
}
const until = async (cond: () => boolean, ms = 90_000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
};
const query = (dir: string, sql: string, cwd: string) => {
  const r = clt(['sweep', 'query', dir, sql, '--format', 'json'], cwd);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>[];
};
/** Runs of a worker folder that are mid-run: a checkpoint and no final summary. */
const midRun = (dir: string) => existsSync(join(dir, 'runs')) ? readdirSync(join(dir, 'runs')).filter((id) => existsSync(join(dir, 'runs', id, 'checkpoint')) && !existsSync(join(dir, 'runs', id, 'summary.json'))) : [];
/** The step of a checkpoint file, or Infinity while it cannot be read (being replaced, say). */
const checkpointStep = (path: string) => {
  try {
    return loadCheckpoint(path).step;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
};
/** Every file under a folder, recursively. */
const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]);

// Said out loud, not only in the (hidden when skipped) suite name.
if (WHY !== undefined) console.warn(`clt sweep --queue / clt worker tests skipped: ${WHY}`);

describe.skipIf(WHY !== undefined)(`clt sweep --queue and clt worker on a real redis-server${WHY ? ` (skipped: ${WHY})` : ''}`, () => {
  let redis: RedisFixture;
  beforeAll(async () => { redis = await startRedis({ persist: true }); });
  afterAll(async () => { await redis?.stop(); });

  it('12 runs on 3 workers, one SIGKILLed mid-run: exactly 12 completed runs, metrics identical to the local pool', async () => {
    const work = tempDir('clt-qsweep-');
    writeFileSync(join(work, 'tiny.yaml'), SPEC);
    const url = `${redis.url}/0?queue=acceptance`;
    const workers = [0, 1, 2].map((i) => worker(url, join(work, `w${i}`), work));
    try {
      const local = start(['sweep', 'tiny.yaml', '--jobs', '2', '--out', 'local', '--json', '--no-report'], work);
      const coord = start(['sweep', 'tiny.yaml', '--queue', url, '--json', '--no-report'], work);
      // SIGKILL the first worker seen early in a run (a checkpoint at step ≤ 12 of 20, no summary
      // yet). A run caught at its last checkpoint can write its summary before its next event-loop
      // turn, where it would read that its worker died — then it finishes in the dead worker's
      // folder (seen once in a fresh clone on a loaded machine), which is not what this tests.
      const early = (i: number) => midRun(join(work, `w${i}`)).filter((id) => checkpointStep(join(work, `w${i}`, 'runs', id, 'checkpoint')) <= 12);
      let victim = -1, victimRun = '';
      await until(() => {
        victim = [0, 1, 2].findIndex((i) => early(i).length > 0);
        return victim >= 0;
      });
      victimRun = early(victim)[0]!;
      workers[victim]!.child.kill('SIGKILL');
      expect(await coord.exited, coord.out()).toBe(0);
      expect(await local.exited, local.out()).toBe(0);
      const out = JSON.parse(coord.out()) as { runs: { id: string; status: string }[]; interrupted: boolean };
      expect(out.interrupted).toBe(false);
      expect(out.runs.length).toBe(12);
      for (const r of out.runs) expect(['completed', 'stalled']).toContain(r.status);
      const dist = query(join(work, 'sweeps', 'tiny'), METRICS, work), pool = query(join(work, 'local', 'tiny'), METRICS, work);
      expect(dist.length).toBe(12);
      expect(dist.filter((r) => r.status === 'completed').length).toBe(pool.filter((r) => r.status === 'completed').length);
      // Same seed, same run: every final metric and every probe record's loss agree exactly.
      expect(dist).toEqual(pool);
      expect(query(join(work, 'sweeps', 'tiny'), 'SELECT count(*) AS n, count(DISTINCT run_id) AS ids FROM runs', work)).toEqual([{ n: 12, ids: 12 }]);
      // The killed worker's run was finished by another worker, and the run process it had forked
      // died with it (else it would have finished in the killed worker's folder too).
      const st = JSON.parse(clt(['sweep', 'status', 'tiny.yaml', '--queue', url, '--json'], work).stdout) as { id: string; state: string; worker: string }[];
      expect(st.length).toBe(12);
      expect(st.every((s) => s.state === 'done')).toBe(true);
      expect(st.find((s) => s.id === victimRun)!.worker).not.toBe(`${st[0]!.worker.split(':')[0]}:${workers[victim]!.child.pid}`);
      expect(existsSync(join(work, `w${victim}`, 'runs', victimRun, 'summary.json'))).toBe(false);
      const finisher = st.find((s) => s.id === victimRun)!.worker;
      process.stdout.write(`queue e2e: worker w${victim} SIGKILLed during run ${victimRun}, finished by ${finisher}; ${dist.length} runs recorded, ${dist.filter((r) => r.status === 'completed').length} completed, all ${pool.length} rows equal to the local pool's (train_loss sum ${dist.reduce((a, r) => a + Number(r.train_loss), 0)})\n`);
      expect(workers[victim]!.out()).toContain(`run ${victimRun}: started`);
      // Queueing the same sweep again adds nothing and records nothing again.
      const mtime = statSync(join(work, 'sweeps', 'tiny', 'runs', victimRun, 'summary.json')).mtimeMs;
      const again = clt(['sweep', 'tiny.yaml', '--queue', url, '--json', '--no-report'], work);
      expect(again.status, again.stderr).toBe(0);
      expect((JSON.parse(again.stdout) as { runs: { action: string }[] }).runs.every((r) => r.action === 'skipped')).toBe(true);
      expect(statSync(join(work, 'sweeps', 'tiny', 'runs', victimRun, 'summary.json')).mtimeMs).toBe(mtime);
    } finally {
      await stopAll(workers);
    }
  }, 240_000);

  it('Redis killed mid-sweep and restarted: the sweep completes and records every run once', async () => {
    const work = tempDir('clt-qsweep-');
    writeFileSync(join(work, 'tiny.yaml'), SPEC.replace('seeds: 3', 'seeds: 1').replace('name: tiny', 'name: restart'));
    const url = `${redis.url}?queue=restart`;
    const workers = [0, 1].map((i) => worker(url, join(work, `w${i}`), work));
    try {
      const coord = start(['sweep', 'tiny.yaml', '--queue', url, '--no-report'], work);
      const runs = join(work, 'sweeps', 'restart', 'runs');
      // Stop Redis (a crash: SIGKILL, the append-only file keeps what was fsynced) once one run is
      // recorded and others are still to come.
      await until(() => existsSync(runs) && readdirSync(runs).some((id) => existsSync(join(runs, id, 'summary.json'))));
      await redis.stop('SIGKILL');
      await new Promise((r) => setTimeout(r, 1500));
      await redis.start();
      expect(await coord.exited, coord.out()).toBe(0);
      expect(coord.out()).toMatch(/lost the queue at redis:\/\/127\.0\.0\.1:\d+\?queue=restart .*retrying until it is back/);
      const dir = join(work, 'sweeps', 'restart');
      expect(query(dir, 'SELECT count(*) AS n, count(DISTINCT run_id) AS ids, count(*) FILTER (WHERE status = \'completed\' OR status = \'stalled\') AS final FROM runs', work)).toEqual([{ n: 4, ids: 4, final: 4 }]);
      process.stdout.write(`queue restart: redis-server SIGKILLed and restarted mid-sweep; ${(coord.out().match(/lost the queue/g) ?? []).length} outage notice(s); 4 runs recorded, 4 distinct\n`);
      // Each run's probe records are in the store once: as many as its metrics.jsonl holds.
      for (const r of query(dir, METRICS, work)) {
        const lines = readFileSync(join(runs, String(r.run_id), 'metrics.jsonl'), 'utf8').trim().split('\n').filter((l) => JSON.parse(l).type === 'probe');
        expect(r.probes).toBe(lines.length);
      }
    } finally {
      await stopAll(workers);
    }
  }, 180_000);

  it('the coordinator SIGKILLed mid-sweep and started again: it picks up what the workers finished meanwhile and records every run once', async () => {
    const work = tempDir('clt-qsweep-');
    writeFileSync(join(work, 'tiny.yaml'), SPEC.replace('seeds: 3', 'seeds: 2').replace('name: tiny', 'name: coord'));
    const url = `${redis.url}?queue=coordinator-restart`;
    const workers = [0, 1].map((i) => worker(url, join(work, `w${i}`), work));
    try {
      const dir = join(work, 'sweeps', 'coord'), runs = join(dir, 'runs');
      const recorded = () => (existsSync(runs) ? readdirSync(runs).filter((id) => existsSync(join(runs, id, 'summary.json'))).length : 0);
      const first = start(['sweep', 'tiny.yaml', '--queue', url, '--no-report'], work);
      // Killed (no chance to clean up) once it has recorded a run and others are still queued or running.
      await until(() => recorded() >= 1);
      first.child.kill('SIGKILL');
      await first.exited;
      const before = recorded();
      expect(before).toBeLessThan(8);
      // The workers go on meanwhile: let at least one more run end while no coordinator listens.
      await until(() => [0, 1].some((i) => existsSync(join(work, `w${i}`, 'runs')) && readdirSync(join(work, `w${i}`, 'runs')).filter((id) => existsSync(join(work, `w${i}`, 'runs', id, 'summary.json'))).length > before));
      const second = start(['sweep', 'tiny.yaml', '--queue', url, '--json', '--no-report'], work);
      expect(await second.exited, second.out()).toBe(0);
      const out = JSON.parse(second.out()) as { runs: { id: string; status: string }[]; interrupted: boolean };
      expect(out.interrupted).toBe(false);
      expect(out.runs.length).toBe(8);
      for (const r of out.runs) expect(['completed', 'stalled']).toContain(r.status);
      expect(query(dir, 'SELECT count(*) AS n, count(DISTINCT run_id) AS ids, count(*) FILTER (WHERE status = \'completed\' OR status = \'stalled\') AS final FROM runs', work)).toEqual([{ n: 8, ids: 8, final: 8 }]);
      // Each run's probe records are in the store once, as many as its metrics.jsonl holds.
      for (const r of query(dir, METRICS, work)) {
        const lines = readFileSync(join(runs, String(r.run_id), 'metrics.jsonl'), 'utf8').trim().split('\n').filter((l) => JSON.parse(l).type === 'probe');
        expect(r.probes).toBe(lines.length);
      }
      // Every job ran once: no run was queued or run a second time because its coordinator died.
      const st = JSON.parse(clt(['sweep', 'status', 'tiny.yaml', '--queue', url, '--json'], work).stdout) as { id: string; state: string }[];
      expect(st.length).toBe(8);
      expect(st.every((x) => x.state === 'done')).toBe(true);
      const started = [0, 1].flatMap((i) => workers[i]!.out().match(/run \S+: started/g) ?? []);
      expect(started.length, workers.map((w) => w.out()).join('\n')).toBe(8);
      process.stdout.write(`queue coordinator restart: SIGKILLed with ${before} of 8 runs recorded; the second coordinator recorded the rest, 8 runs, 8 distinct, each started once\n`);
    } finally {
      await stopAll(workers);
    }
  }, 180_000);

  it('errors: unreachable Redis names the redacted URL; failing and forged runs end failed with their error; no password anywhere', async () => {
    const work = tempDir('clt-qsweep-');
    writeFileSync(join(work, 'tiny.yaml'), SPEC);
    const port = await freePort();
    const down = clt(['sweep', 'tiny.yaml', '--queue', `redis://user:Pa55word@127.0.0.1:${port}`], work);
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(new RegExp(`^clt: cannot reach the queue at redis://user:\\*\\*\\*@127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.*; start Redis there \\(or fix --queue\\)`));
    const w = clt(['worker', '--queue', `rediss://:Pa55word@127.0.0.1:${port}/1`], work);
    expect(w.status).toBe(1);
    expect(w.stderr).toMatch(new RegExp(`^clt: cannot reach the queue at rediss://:\\*\\*\\*@127\\.0\\.0\\.1:${port}/1: `));
    expect(down.stderr + w.stderr).not.toContain('Pa55word');
    expect(clt(['sweep', 'tiny.yaml', '--queue', 'redis://h:1', '--grid', 'data=data/x.csv'], work).stderr).toMatch(/^clt: run \w+ cannot go through the queue: --data "data\/x\.csv" is a file/);

    // A password-protected Redis: a sweep whose runs fail deterministically, plus forged jobs.
    const secret = 'Zq9-sEcReT-77';
    const locked = await startRedis({ password: secret });
    const url = `${locked.url}?queue=errors`;
    const wk = worker(url, join(work, 'w'), work);
    try {
      writeFileSync(join(work, 'bad.yaml'), 'name: bad\nbase:\n  data: "synthetic:nope"\n  steps: 3\nseeds: 1\n');
      const bad = clt(['sweep', 'bad.yaml', '--queue', url, '--attempts', '2', '--json', '--no-report'], work);
      expect(bad.status, bad.stderr).toBe(1);
      const run = (JSON.parse(bad.stdout) as { runs: { id: string; status: string; error: string }[] }).runs;
      expect(run.length).toBe(1);
      expect(run[0]!.status).toBe('failed');
      expect(run[0]!.error).toMatch(/nope/);
      const st = JSON.parse(clt(['sweep', 'status', join(work, 'sweeps', 'bad'), '--queue', url, '--json'], work).stdout) as { state: string; failures: number }[];
      expect(st).toMatchObject([{ state: 'failed', failures: 2 }]);
      expect(query(join(work, 'sweeps', 'bad'), 'SELECT status, error FROM runs', work)).toMatchObject([{ status: 'failed', error: expect.stringMatching(/nope/) }]);
      // The run folder keeps the error too (error.json), for a report read without the store.
      expect(JSON.parse(readFileSync(join(work, 'sweeps', 'bad', 'runs', run[0]!.id, 'error.json'), 'utf8'))).toMatchObject({ status: 'failed', error: expect.stringMatching(/nope/) });

      // Jobs written straight into the queue by someone else: refused as data, never run.
      const { openQueue } = await import('@clt/queue');
      const engine = openQueue(url);
      const cfg = JSON.parse(readFileSync(join(work, 'sweeps', 'bad', 'sweep.json'), 'utf8')).runs[0].config as Record<string, unknown>;
      const forged = [
        { id: 'aaaaaaaaaaaa', data: { v: 1 as const, id: 'aaaaaaaaaaaa', config: cfg } },
        { id: 'bbbbbbbbbbbb', data: { v: 1 as const, id: 'bbbbbbbbbbbb', config: { ...cfg, data: '/etc/passwd' } } },
        { id: 'cccccccccccc', data: { v: 1 as const, id: 'cccccccccccc', config: { ...cfg, out: '/tmp' } } },
      ];
      await engine.enqueue(forged, { attempts: 3, backoffMs: 10 });
      let views = await engine.inspect(forged.map((f) => f.id));
      const t0 = Date.now();
      while ([...views.values()].some((v) => v.state !== 'failed') && Date.now() - t0 < 30_000) {
        await new Promise((r) => setTimeout(r, 100));
        views = await engine.inspect(forged.map((f) => f.id));
      }
      await engine.close();
      expect(views.get('aaaaaaaaaaaa')).toMatchObject({ state: 'failed', failures: 1, error: expect.stringMatching(/^invalid job: the run id aaaaaaaaaaaa is not the hash of its config/) });
      expect(views.get('bbbbbbbbbbbb')).toMatchObject({ state: 'failed', failures: 1, error: expect.stringMatching(/^invalid job: --data "\/etc\/passwd" is a file/) });
      expect(views.get('cccccccccccc')).toMatchObject({ state: 'failed', failures: 1, error: expect.stringMatching(/^invalid job: the config sets "out", which only the worker decides/) });
      expect(existsSync(join(work, 'w', 'runs', 'aaaaaaaaaaaa'))).toBe(false);

      // A run that completes through the password-protected queue, so the worker's run folder and the
      // sweep's store hold a real run's files (config, checkpoint, metrics, summary) to search.
      writeFileSync(join(work, 'good.yaml'), SPEC.replace('name: tiny', 'name: good').replace('seeds: 3', 'seeds: 1').replace('hidden: ["8", "8,8"]', 'hidden: ["8"]').replace('lr: [0.05, 0.1]', 'lr: [0.1]'));
      const good = clt(['sweep', 'good.yaml', '--queue', url, '--json', '--no-report'], work);
      expect(good.status, good.stderr).toBe(0);
      expect((JSON.parse(good.stdout) as { runs: { status: string }[] }).runs.map((r) => r.status)).toEqual(['completed']);

      // The password is in no file the sweep or the worker wrote, nor in anything they printed.
      const written = [...files(join(work, 'sweeps')), ...files(join(work, 'w'))];
      expect(written.length).toBeGreaterThan(6);
      expect(written.some((f) => f.endsWith('summary.json') && f.includes(join(work, 'w')))).toBe(true);
      for (const f of written) expect(readFileSync(f).includes(Buffer.from(secret)), f).toBe(false);
      expect(bad.stdout + bad.stderr + good.stdout + good.stderr + wk.out()).not.toContain(secret);
      expect(wk.out()).toContain(`redis://:***@127.0.0.1:${locked.port}`);
    } finally {
      await stopAll([wk]);
      await locked.stop();
    }
    expect(wk.out()).not.toContain(secret);
  }, 180_000);
});
