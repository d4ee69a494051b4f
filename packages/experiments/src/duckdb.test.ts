import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DUCKDB_INSTALL, DUCKDB_VERSION, setDuckDBLoader, storeAvailable, storeUnavailableReason, StoreUnavailableError } from './duckdb.js';
import { sweepReportData } from './report-data.js';
import { RUN_ERROR_FILE } from './run-state.js';
import { exportStore, ingestRuns, query, STORE_FILE } from './store.js';
import { runSweep } from './sweep.js';
import { TEST_OPTIONS } from './test-options.js';

/**
 * An install without DuckDB, simulated with Node's own resolution failure: a fresh folder outside
 * the workspace (no node_modules on the way up) imports `@duckdb/node-api` in a child Node process,
 * and the loader rejects with exactly the error (code and message) Node threw there. (The test
 * runner resolves imports its own way, so the import cannot fail in this process.)
 */
function absentDuckDB(): () => Promise<unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'clt-no-duckdb-'));
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', "import('@duckdb/node-api').then(() => console.log('{}'), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })))"], { cwd: dir, encoding: 'utf8' });
  const { code, message } = JSON.parse(r.stdout) as { code?: string; message?: string };
  expect(code).toBe('ERR_MODULE_NOT_FOUND');
  return () => Promise.reject(Object.assign(new Error(message), { code }));
}

const worker = fileURLToPath(new URL('./fake-worker-fixture.mjs', import.meta.url));
const MESSAGE = /^the sweep results store needs @duckdb\/node-api, which is not installed; install it with npm install @duckdb\/node-api@1\.5\.6-r\.1 .*then run the command again$/;

afterEach(() => setDuckDBLoader());

describe('DuckDB is optional', () => {
  it('names the package and its install command when it is absent, in every store function', async () => {
    setDuckDBLoader(absentDuckDB());
    expect(await storeAvailable()).toBe(false);
    const why = await storeUnavailableReason();
    expect(why).toBeInstanceOf(StoreUnavailableError);
    expect(why!.message).toMatch(MESSAGE);
    expect(why!.reason).toMatch(/Cannot find package '@duckdb\/node-api'/);
    const sweep = mkdtempSync(join(tmpdir(), 'clt-no-duckdb-sweep-'));
    for (const p of [query(sweep, 'SELECT 1'), exportStore(sweep, join(sweep, 'x.csv')), ingestRuns(sweep, [{ id: 'a', config: {}, status: 'failed', error: 'x', runDir: join(sweep, 'a') }])]) {
      const e = await p.then(() => undefined, (x: unknown) => x);
      expect(e).toBeInstanceOf(StoreUnavailableError);
      expect((e as Error).message).toMatch(MESSAGE);
      expect((e as StoreUnavailableError).code).toBe('CLT_STORE_UNAVAILABLE');
    }
    expect(existsSync(join(sweep, STORE_FILE))).toBe(false);
    // Installed meanwhile: the next call loads it (a failure is not cached).
    setDuckDBLoader();
    expect(await storeAvailable()).toBe(true);
  });

  it('tells a package that is there but fails to load (its native binding) from an absent one', async () => {
    setDuckDBLoader(() => Promise.reject(new Error('libduckdb.so: cannot open shared object file')));
    const why = await storeUnavailableReason();
    expect(why!.message).toBe(`the sweep results store needs @duckdb/node-api, which is installed but could not be loaded (libduckdb.so: cannot open shared object file); reinstall it with ${DUCKDB_INSTALL}, then run the command again`);
  });

  it('a sweep without DuckDB runs every run, records nothing, says why, and its report data comes from the run folders', async () => {
    setDuckDBLoader(absentDuckDB());
    const dir = join(mkdtempSync(join(tmpdir(), 'clt-no-duckdb-sweep-')), 's');
    const options = [...TEST_OPTIONS, { key: 'mode', flag: '--mode', boolean: false }];
    const r = await runSweep({ spec: { name: 's', base: {}, grid: { mode: ['ok', 'throw'] }, seeds: 2 }, options, dir, worker, jobs: 2 });
    expect(r.interrupted).toBe(false);
    expect(r.outcomes.map((o) => o.status).sort()).toEqual(['completed', 'completed', 'failed', 'failed']);
    expect(r.storeError).toMatch(MESSAGE);
    expect(existsSync(join(dir, STORE_FILE))).toBe(false);
    const errors = Object.fromEntries(r.outcomes.filter((o) => o.error).map((o) => [o.id, o.error!]));
    const d = await sweepReportData(dir, { errors });
    expect(d.source).toBe('folders');
    expect(d.factors.map((f) => f.key)).toEqual(['mode']);
    expect(d.runs.map((x) => x.status).sort()).toEqual(['completed', 'completed', 'failed', 'failed']);
    expect(d.runs.filter((x) => x.status === 'failed').map((x) => x.reason)).toEqual(['fake worker: --lr is not a number', 'fake worker: --lr is not a number']);
    expect(d.cells.map((c) => [c.factors, c.stats.train_loss!.mean, c.stats.train_loss!.n])).toEqual([[{ mode: 'ok' }, 0.5, 2]]);
    // Later, without the errors: the failed runs' folders kept them (error.json), so the report still
    // tells them from runs that never ran.
    for (const id of Object.keys(errors)) expect(JSON.parse(readFileSync(join(dir, 'runs', id, RUN_ERROR_FILE), 'utf8'))).toMatchObject({ status: 'failed', error: 'fake worker: --lr is not a number' });
    const later = await sweepReportData(dir);
    expect(later.runs.filter((x) => x.status === 'failed').map((x) => x.reason)).toEqual(['fake worker: --lr is not a number', 'fake worker: --lr is not a number']);
    expect(later.runs.filter((x) => x.status === 'not run')).toEqual([]);
    // A run folder with neither a final summary nor an error: `not run`, with what to do.
    rmSync(join(dir, 'runs', Object.keys(errors)[0]!, RUN_ERROR_FILE));
    expect((await sweepReportData(dir)).runs.filter((x) => x.status === 'not run').map((x) => x.reason)).toEqual([expect.stringMatching(/no final summary\.json.*run the sweep again/)]);
    // Asking for the store explicitly says what to install.
    await expect(sweepReportData(dir, { source: 'store' })).rejects.toThrow(MESSAGE);

    // Once DuckDB is there, the same sweep records the finished runs without running them again.
    setDuckDBLoader();
    const again = await runSweep({ spec: { name: 's', base: {}, grid: { mode: ['ok', 'throw'] }, seeds: 2 }, options, dir, worker, jobs: 2 });
    expect(again.storeError).toBeUndefined();
    expect(again.outcomes.filter((o) => o.status === 'completed').map((o) => o.action)).toEqual(['skipped', 'skipped']);
    expect((await query(dir, 'SELECT status, count(*) AS n FROM runs GROUP BY ALL ORDER BY ALL')).rows).toEqual([{ status: 'completed', n: 2 }, { status: 'failed', n: 2 }]);
  });

  it('a run that failed and then succeeds loses its error.json; the retry starts it over (the folder is not empty)', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'clt-run-error-')), 's');
    const options = [...TEST_OPTIONS, { key: 'mode', flag: '--mode', boolean: false }];
    const spec = { name: 's', base: {}, grid: { mode: ['once'] }, seeds: 1 };
    const first = await runSweep({ spec, options, dir, worker, jobs: 1 });
    const id = first.outcomes[0]!.id;
    expect(first.outcomes[0]).toMatchObject({ status: 'failed', error: 'fake worker: first attempt fails' });
    expect(existsSync(join(dir, 'runs', id, RUN_ERROR_FILE))).toBe(true);
    const second = await runSweep({ spec, options, dir, worker, jobs: 1 });
    expect(second.outcomes[0]).toMatchObject({ status: 'completed', action: 'restarted' });
    expect(existsSync(join(dir, 'runs', id, RUN_ERROR_FILE))).toBe(false);
    expect(readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n')).toEqual([`${id} once resume=false overwrite=false`, `${id} once resume=false overwrite=true`]);
    expect((await sweepReportData(dir, { source: 'folders' })).runs.map((r) => r.status)).toEqual(['completed']);
  });

  it('the install command names the version in the package manifests (a prerelease tag: a caret range would not span the next one)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as Record<string, Record<string, string>>;
    const cli = JSON.parse(readFileSync(new URL('../../cli/package.json', import.meta.url), 'utf8')) as Record<string, Record<string, string>>;
    for (const p of [pkg, cli]) {
      expect(p.peerDependencies!['@duckdb/node-api']).toBe(DUCKDB_VERSION);
      expect(p.devDependencies!['@duckdb/node-api']).toBe(DUCKDB_VERSION);
      expect(p.dependencies!['@duckdb/node-api']).toBeUndefined();
      expect((p.peerDependenciesMeta as unknown as Record<string, { optional: boolean }>)['@duckdb/node-api']).toEqual({ optional: true });
    }
  });
});
