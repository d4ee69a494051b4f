import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { schemaPath } from '@clt/experiments';

/** The built CLI: the sweep forks dist/sweep-worker.js, so these tests need `npx tsc -p tsconfig.build.json` first. */
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');
const NOTE = existsSync(BIN) ? '' : ' (skipped: build the package first, dist/bin.js is missing)';
const clt = (args: string[], cwd: string) => spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });

// 2 depths × skip on/off × 2 seeds of a tiny synthetic run (a few seconds each), checkpoints every 10 steps.
const SPEC = `name: depth-skip
base:
  data: "synthetic:gaussian?n=200&dim=8&classes=3"
  steps: 200
  batch: 16
  probe-size: 8
  probe-every: 100
  checkpoint-every: 10
grid:
  hidden: ["8,8", "8,8,8"]
  skip: [false, true]
seeds: 2
`;

const finals = (runs: string) => readdirSync(runs).filter((id) => existsSync(join(runs, id, 'summary.json')));

describe.skipIf(!existsSync(BIN))(`clt sweep${NOTE}`, () => {
  it('a 2 × 2 × 2-seed sweep, interrupted with Ctrl-C and run again, ends with exactly 8 runs in the store; final runs never re-run', async () => {
    const work = mkdtempSync(join(tmpdir(), 'clt-sweep-'));
    writeFileSync(join(work, 'depth.yaml'), SPEC);
    const dir = join(work, 'sweeps', 'depth-skip'), runs = join(dir, 'runs');
    const child = spawn(process.execPath, [BIN, 'sweep', 'depth.yaml', '--jobs', '2'], { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    // Interrupt once two runs are final and another has written a checkpoint (so it must resume).
    const midway = () => readdirSync(runs).filter((id) => existsSync(join(runs, id, 'checkpoint')) && !existsSync(join(runs, id, 'summary.json')));
    const t0 = Date.now();
    while (!(existsSync(runs) && finals(runs).length >= 2 && midway().length > 0) && Date.now() - t0 < 90_000) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(stderr).toMatch(/run the same command again to continue/);
    const before = new Map(finals(runs).map((id) => [id, statSync(join(runs, id, 'summary.json')).mtimeMs]));
    expect(before.size).toBeGreaterThanOrEqual(2);
    expect(before.size).toBeLessThan(8);

    const again = clt(['sweep', 'depth.yaml', '--jobs', '2', '--json'], work);
    expect(again.status, again.stderr).toBe(0);
    const out = JSON.parse(again.stdout) as { runs: { id: string; status: string; action: string }[]; interrupted: boolean };
    expect(out.interrupted).toBe(false);
    expect(out.runs.length).toBe(8);
    // Final statuses only (completed, or stalled if the loss stopped falling; core's stall rule decides).
    for (const r of out.runs) expect(['completed', 'stalled']).toContain(r.status);
    for (const r of out.runs) expect(r.action === 'skipped', r.id).toBe(before.has(r.id));
    for (const [id, mtime] of before) expect(statSync(join(runs, id, 'summary.json')).mtimeMs).toBe(mtime);
    // A run stopped after a checkpoint continued from it: its summary says from which step.
    const resumed = out.runs.filter((r) => r.action === 'resumed');
    expect(resumed.length, again.stdout).toBeGreaterThanOrEqual(1);
    for (const r of resumed) expect(JSON.parse(readFileSync(join(runs, r.id, 'summary.json'), 'utf8')).resumedFrom).toBeGreaterThan(0);

    const q = clt(['sweep', 'query', dir, 'SELECT run_id, hidden, skip, seed, status FROM runs ORDER BY run_id', '--format', 'json'], work);
    expect(q.status, q.stderr).toBe(0);
    const rows = JSON.parse(q.stdout) as { run_id: string; hidden: string; skip: boolean; seed: number; status: string }[];
    expect(rows.map((r) => r.run_id)).toEqual(out.runs.map((r) => r.id).sort());
    expect(new Set(rows.map((r) => `${r.hidden}/${r.skip}/${r.seed}`)).size).toBe(8);
    const table = clt(['sweep', 'query', dir, 'SELECT count(*) AS n FROM probes GROUP BY run_id'], work);
    expect(table.stdout).toMatch(/\(8 rows\)/);

    const pq = join(work, 'runs.parquet');
    expect(clt(['sweep', 'export', dir, '--to', pq], work).status).toBe(0);
    const back = clt(['sweep', 'query', dir, `SELECT count(*) AS n, count(DISTINCT run_id) AS ids FROM read_parquet('${pq}')`, '--format', 'csv'], work);
    expect(back.stdout).toBe('n,ids\n8,8\n');

    // Every run's files conform to the published schemas.
    const ajv = new Ajv.default({ allowUnionTypes: true });
    const summary = ajv.compile(JSON.parse(readFileSync(schemaPath('summary'), 'utf8')) as object);
    const record = ajv.compile(JSON.parse(readFileSync(schemaPath('metrics-record'), 'utf8')) as object);
    for (const r of out.runs) {
      const s = JSON.parse(readFileSync(join(runs, r.id, 'summary.json'), 'utf8'));
      expect(summary(s), JSON.stringify(summary.errors)).toBe(true);
      expect(s.run).toBe(r.id);
      for (const line of readFileSync(join(runs, r.id, 'metrics.jsonl'), 'utf8').trim().split('\n')) expect(record(JSON.parse(line)), JSON.stringify(record.errors)).toBe(true);
    }
  }, 240_000);

  it('names the file, line and key of a bad spec, and a bad --grid', () => {
    const work = mkdtempSync(join(tmpdir(), 'clt-sweep-'));
    writeFileSync(join(work, 's.yaml'), 'base:\n  steps: 3\ngrid:\n  depth: [1, 2]\n');
    const r = clt(['sweep', 's.yaml'], work);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^clt: s\.yaml line 4 \(grid\.depth\): "depth" is not a train option; known: data, hidden, activation, skip, layerNorm/);
    writeFileSync(join(work, 't.yaml'), 'base:\n  steps: 3\n');
    expect(clt(['sweep', 't.yaml', '--grid', 'lr=0.1,-2'], work).stderr).toMatch(/--grid lr=0.1,-2: --lr must be positive, got "-2"/);
    expect(existsSync(join(work, 'sweeps'))).toBe(false);
  });
});
