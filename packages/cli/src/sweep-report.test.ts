import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The built CLI: the sweep forks dist/sweep-worker.js, so these tests need `npx tsc -p tsconfig.build.json` first. */
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');
const NOTE = existsSync(BIN) ? '' : ' (skipped: build the package first, dist/bin.js is missing)';
const clt = (args: string[], cwd: string) => spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
/** The CLI as installed without the optional @duckdb/node-api: Node's own resolution error for it (test-fixtures/no-duckdb.mjs). */
const NO_DUCKDB = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-fixtures', 'no-duckdb.mjs');
const cltNoDuckDB = (args: string[], cwd: string) => spawnSync(process.execPath, ['--import', NO_DUCKDB, BIN, ...args], { cwd, encoding: 'utf8' });
const NEEDS_DUCKDB = 'the sweep results store needs @duckdb/node-api, which is not installed; install it with npm install @duckdb/node-api@1.5.6-r.1';
const dataBlock = (html: string) => JSON.parse(html.match(/<script type="application\/json" id="clt-sweep-data">([\s\S]*?)<\/script>/)![1]!.replace(/<\\\//g, '</')) as Json;

// data × lr × 2 seeds of a tiny synthetic run: lr 1e-9 cannot move the loss (→ stalled, K = 3 probes),
// the missing data file fails at load time (→ failed, instantly), lr 0.05 trains.
const DATA = 'synthetic:gaussian?n=120&dim=6&classes=3&separation=1';
const SPEC = `name: report
base:
  steps: 30
  batch: 16
  probe-size: 6
  probe-every: 5
  schedule: constant
  momentum: 0
  stall-probes: 3
grid:
  data: ["${DATA}", "missing.csv"]
  lr: [0.05, 1e-9]
seeds: 2
`;

type Json = Record<string, any>;
const number = (v: unknown) => (typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : null);

/** Mean and sample sd (n − 1) of the finite values, written out here rather than taken from the report's code. */
function meanSd(values: (number | null)[]): { mean: number | null; sd: number | null; n: number } {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (xs.length === 0) return { mean: null, sd: null, n: 0 };
  let sum = 0;
  for (const x of xs) sum += x;
  const mean = sum / xs.length;
  if (xs.length < 2) return { mean, sd: null, n: xs.length };
  let ss = 0;
  for (const x of xs) ss += (x - mean) * (x - mean);
  return { mean, sd: Math.sqrt(ss / (xs.length - 1)), n: xs.length };
}
const close = (a: number | null, b: number | null, what: string) => {
  if (b === null) return expect(a, what).toBeNull();
  expect(a, what).not.toBeNull();
  expect(Math.abs(a! - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));
};

describe.skipIf(!existsSync(BIN))(`clt sweep report${NOTE}`, () => {
  it('a finished sweep writes report.html: each factor named, per-factor mean ± sd equal to a recomputation from the run folders, failed and stalled runs with their reasons', () => {
    const work = mkdtempSync(join(tmpdir(), 'clt-sweep-report-'));
    writeFileSync(join(work, 'r.yaml'), SPEC);
    const dir = join(work, 'sweeps', 'report'), page = join(dir, 'report.html');
    const run = clt(['sweep', 'r.yaml', '--jobs', '2'], work);
    expect(run.status, run.stderr).toBe(1); // the missing-file runs failed; the report is written anyway
    expect(run.stderr).toContain(`report: ${page}`);
    const html = readFileSync(page, 'utf8');

    // Self-contained and interactive: the run report's inline libraries, one JSON spec and one static
    // SVG per chart (the browser half is in report-browser.test.ts), nothing fetched.
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/(src|href)="https?:/);
    for (const g of ['vega', 'vegaLite', 'vegaEmbed']) expect(html).toContain(`.${g}=`);
    expect(html).toContain('<h2>Against data</h2>');
    expect(html).toContain('<h2>Against lr</h2>');
    expect(html).toContain('<h2>Loss curves of every run</h2>');
    for (const id of ['factor-data', 'factor-lr', 'loss-curves']) {
      expect(html).toMatch(new RegExp(`<div class="fig vis" id="${id}" data-spec="spec-${id}"><svg`));
      const spec = JSON.parse(new RegExp(`<script type="application/json" id="spec-${id}">([\\s\\S]*?)</script>`).exec(html)![1]!);
      if (id === 'loss-curves') expect(spec.params.map((p: Json) => p.name)).toEqual(['zoom']);
      else expect(spec.concat.every((c: Json, i: number) => c.layer.some((l: Json) => l.params?.[0]?.name === `zoom_${i}`))).toBe(true);
    }
    expect(html).toContain('from the sweep\'s results store (results.duckdb)');

    const data = dataBlock(html);
    expect(data.source).toBe('store');
    expect(data.factors).toEqual([{ key: 'data', values: ['missing.csv', DATA] }, { key: 'lr', values: [1e-9, 0.05] }]);

    // Recompute every aggregate from the run folders: last probe record of metrics.jsonl, summary.json.
    const planned = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')) as { runs: { id: string; config: Json }[] };
    expect(planned.runs.length).toBe(8);
    const perRun = planned.runs.map(({ id, config }) => {
      const runDir = join(dir, 'runs', id);
      const summary = existsSync(join(runDir, 'summary.json')) ? (JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as Json) : undefined;
      const probes = existsSync(join(runDir, 'metrics.jsonl'))
        ? readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Json).filter((r) => r.type === 'probe') : [];
      const last = probes.reduce<Json | undefined>((a, p) => (!a || p.step > a.step ? p : a), undefined);
      const values: Record<string, number | null> = {
        lambda_min_star: number(last?.lambdaMinStar), kappa: number(last?.conditionMedian), energy: number(last?.energy),
        train_loss: number(summary?.trainLoss), test_accuracy: number(summary?.testAccuracy),
      };
      for (const [k, s] of Object.entries((summary?.correlations?.series ?? {}) as Record<string, Json>)) values[`r_${k}`] = number(s.r);
      return { id, config, status: (summary?.status as string | undefined) ?? 'failed', values };
    });
    const byStatus = (s: string) => perRun.filter((r) => r.status === s);
    expect(byStatus('failed').map((r) => r.config.data)).toEqual(['missing.csv', 'missing.csv', 'missing.csv', 'missing.csv']);
    expect(byStatus('stalled').map((r) => r.config.lr)).toEqual([1e-9, 1e-9]);
    expect(byStatus('completed').length + byStatus('stalled').length).toBe(4);

    const metricKeys = (data.metrics as Json[]).map((m) => m.key as string);
    expect(metricKeys.slice(0, 5)).toEqual(['lambda_min_star', 'kappa', 'energy', 'train_loss', 'test_accuracy']);
    expect(metricKeys).toContain('r_lowerBound');
    expect(metricKeys).toContain('r_energy');
    // Two cells: (DATA, 1e-9) and (DATA, 0.05), two seeds each; the failed runs form none.
    expect((data.cells as Json[]).map((c) => [c.factors, c.seeds])).toEqual([[{ data: DATA, lr: 1e-9 }, [0, 1]], [{ data: DATA, lr: 0.05 }, [0, 1]]]);
    for (const cell of data.cells as Json[]) {
      const runs = perRun.filter((r) => r.config.data === cell.factors.data && r.config.lr === cell.factors.lr && r.status !== 'failed');
      expect(runs.length).toBe(2);
      for (const k of metricKeys) {
        const want = meanSd(runs.map((r) => r.values[k] ?? null)), got = cell.stats[k] as Json;
        const what = `${JSON.stringify(cell.factors)} ${k}`;
        expect(got.n, what).toBe(want.n);
        close(number(got.mean), want.mean, `${what} mean`);
        close(number(got.sd), want.sd, `${what} sd`);
      }
      expect(cell.stats.lambda_min_star.n).toBe(2);
      expect(cell.stats.lambda_min_star.sd).not.toBeNull();
    }

    // The table of runs that did not complete: every failed and stalled run, with its reason.
    const table = html.match(/<table class="grid" id="problems">([\s\S]*?)<\/table>/)![1]!;
    for (const r of byStatus('failed')) expect(table).toMatch(new RegExp(`<code>${r.id}</code></td><td><b>failed</b></td>.*cannot read data file missing\\.csv`));
    for (const r of byStatus('stalled')) expect(table).toMatch(new RegExp(`<code>${r.id}</code></td><td><b>stalled</b></td>.*lr=1e-9.*probe-set loss went .* less than the 1% fall required`));
    for (const r of byStatus('completed')) expect(table).not.toContain(r.id);

    // `clt sweep report <dir>` writes the same page again from the store.
    rmSync(page);
    const again = clt(['sweep', 'report', dir], work);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout.trim()).toBe(page);
    expect(statSync(page).size).toBeGreaterThan(1000);
    expect(readFileSync(page, 'utf8').match(/id="clt-sweep-data">([\s\S]*?)<\/script>/)![1]).toBe(html.match(/id="clt-sweep-data">([\s\S]*?)<\/script>/)![1]);
  }, 180_000);

  it('without @duckdb/node-api: the sweep runs, says what to install, and its report reads the run folders; query and export name the package; the same command records the runs once it is installed', () => {
    const work = mkdtempSync(join(tmpdir(), 'clt-sweep-no-duckdb-'));
    writeFileSync(join(work, 'r.yaml'), SPEC);
    const dir = join(work, 'sweeps', 'report'), page = join(dir, 'report.html');
    const run = cltNoDuckDB(['sweep', 'r.yaml', '--jobs', '2'], work);
    expect(run.status, run.stderr).toBe(1); // the missing-file runs failed, as with the store
    expect(run.stderr).toContain(`store: not written: ${NEEDS_DUCKDB}`);
    expect(run.stderr).toContain(`report: ${page}`);
    expect(run.stderr).not.toMatch(/TypeError|ReferenceError|at .*\.js:\d+/); // a message, not a crash
    expect(existsSync(join(dir, 'results.duckdb'))).toBe(false);
    const folders = dataBlock(readFileSync(page, 'utf8'));
    expect(readFileSync(page, 'utf8')).toContain('from the run folders');
    expect(folders.source).toBe('folders');
    const statuses = (d: Json) => Object.fromEntries((d.runs as Json[]).map((r) => [r.id, [r.status, r.reason]])) as Record<string, [string, string]>;
    expect(Object.values(statuses(folders)).filter(([s]) => s === 'failed').map(([, why]) => why)).toEqual(Array(4).fill(expect.stringContaining('cannot read data file missing.csv')));
    expect(Object.values(statuses(folders)).filter(([s]) => s === 'stalled').length).toBe(2);

    for (const args of [['sweep', 'query', dir, 'SELECT 1'], ['sweep', 'export', dir, '--to', join(work, 'runs.csv')]]) {
      const r = cltNoDuckDB(args, work);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr.trim()).toBe(`clt: ${NEEDS_DUCKDB} (an optional dependency of @clt/cli and @clt/experiments), then run the command again`);
    }
    // A sweep recipe of `clt reproduce` reads its verdicts from the store: it says so before any run starts.
    const rep = cltNoDuckDB(['reproduce', 'width-kappa', '--quick', '--out', join(work, 'rep')], work);
    expect(rep.status).toBe(1);
    expect(rep.stderr).toContain(`clt: recipe width-kappa reads its sweep's results store: ${NEEDS_DUCKDB}`);
    expect(existsSync(join(work, 'rep'))).toBe(false);
    const report = cltNoDuckDB(['sweep', 'report', dir], work);
    expect(report.status, report.stderr).toBe(0);
    expect(dataBlock(readFileSync(page, 'utf8')).cells).toEqual(folders.cells);

    // With DuckDB: the same command records the four final runs without running them (the failed ones are retried).
    const again = clt(['sweep', 'r.yaml', '--jobs', '2', '--json'], work);
    expect(again.status).toBe(1);
    const out = JSON.parse(again.stdout) as Json;
    expect(out.store).toBe(join(dir, 'results.duckdb'));
    expect((out.runs as Json[]).filter((r) => r.status !== 'failed').map((r) => r.action)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
    const store = dataBlock(readFileSync(page, 'utf8'));
    expect(store.source).toBe('store');
    // The store and the run folders give the same report.
    for (const k of ['factors', 'derived', 'metrics', 'cells']) expect(store[k], k).toEqual(folders[k]);
    expect(statuses(store)).toEqual(statuses(folders));
    const q = clt(['sweep', 'query', dir, 'SELECT count(*) AS n FROM runs', '--format', 'json'], work);
    expect(JSON.parse(q.stdout)).toEqual([{ n: 8 }]);
  }, 180_000);

  it('says what to do when the folder is not a sweep', () => {
    const work = mkdtempSync(join(tmpdir(), 'clt-sweep-report-'));
    const r = clt(['sweep', 'report', work], work);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no results store in .*results\.duckdb is missing.*run `clt sweep <spec> --out <folder>` first/);
  });
});
