import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { coreRun } from './core-run-fixture.js';
import { schemaPath } from './schemas.js';
import { columnName, exportStore, flatten, ingestRuns, query } from './store.js';

const rowCheck = (name: 'runs-table' | 'probes-table') => new Ajv.default({ allowUnionTypes: true }).compile(JSON.parse(readFileSync(schemaPath(name), 'utf8')) as object);

describe('results store (DuckDB)', () => {
  it('records each run exactly once, one row per probe, and answers SQL', async () => {
    const { dir: runDir, records } = await coreRun();
    writeFileSync(join(runDir, 'summary.json'), JSON.stringify({ status: 'completed', trainLoss: 0.25, trainAccuracy: 0.875, testLoss: 'Infinity', testAccuracy: null, dataFloor: 0, steps: 12, seconds: 1.5, parameters: 83, sandwich: { held: 3, probes: 4 } }));
    const sweep = mkdtempSync(join(tmpdir(), 'clt-store-'));
    const a = { id: 'aaaaaaaaaaaa', config: { hidden: '8', skip: true, weightDecay: 0.001, seed: 0 }, status: 'completed', error: null, runDir };
    const b = { id: 'bbbbbbbbbbbb', config: { hidden: '8,8', skip: false, weightDecay: 0.001, seed: 1 }, status: 'failed', error: 'boom', runDir: join(sweep, 'absent') };
    await ingestRuns(sweep, [a, b]);
    await ingestRuns(sweep, [a]); // again: replaces, never duplicates
    await ingestRuns(sweep, [a, b]);
    const runs = await query(sweep, 'SELECT * FROM runs ORDER BY run_id');
    expect(runs.rows.map((r) => [r.run_id, r.status, r.error])).toEqual([['aaaaaaaaaaaa', 'completed', null], ['bbbbbbbbbbbb', 'failed', 'boom']]);
    const ra = runs.rows[0]!;
    expect([ra.train_loss, ra.test_loss, ra.test_accuracy, ra.steps_run, ra.sandwich_held, ra.hidden, ra.skip, ra.weight_decay]).toEqual([0.25, 'Infinity', null, 12, 3, '8', true, 0.001]);
    expect(JSON.parse(ra.config_json as string)).toEqual(a.config);
    const nProbes = records.filter((r) => r.type === 'probe').length;
    expect(nProbes).toBeGreaterThan(1);
    const probes = await query(sweep, 'SELECT run_id, count(*) AS n, min(step) AS first FROM probes GROUP BY run_id');
    expect(probes.rows).toEqual([{ run_id: 'aaaaaaaaaaaa', n: nProbes, first: 0 }]);
    // A probe row carries the record's numbers: compare with metrics.jsonl directly.
    const p0 = records.find((r) => r.type === 'probe')!;
    const row = (await query(sweep, 'SELECT * FROM probes WHERE step = 0')).rows[0]!;
    expect(row.lambda_min_star).toBe(p0.lambdaMinStar);
    expect(row.per_sample_violations).toBe((p0.perSample as { violations: number }).violations);
    expect(row.holds).toBe(p0.holds);
    for (const r of runs.rows) expect(rowCheck('runs-table')(r), JSON.stringify(r).slice(0, 300)).toBe(true);
    const pc = rowCheck('probes-table');
    for (const r of (await query(sweep, 'SELECT * FROM probes')).rows) expect(pc(r), JSON.stringify(pc.errors)).toBe(true);
  });

  it('exports Parquet and CSV that read back with the same rows', async () => {
    const sweep = mkdtempSync(join(tmpdir(), 'clt-store-'));
    await ingestRuns(sweep, [1, 2, 3].map((k) => ({ id: `${k}`.repeat(12), config: { lr: k / 10 }, status: 'failed', error: `e${k}`, runDir: join(sweep, 'none') })));
    const pq = await exportStore(sweep, join(sweep, 'runs.parquet'));
    const csv = await exportStore(sweep, join(sweep, 'runs.csv'));
    const back = await query(sweep, `SELECT run_id, lr FROM read_parquet('${pq}') ORDER BY run_id`);
    expect(back.rows).toEqual([{ run_id: '111111111111', lr: 0.1 }, { run_id: '222222222222', lr: 0.2 }, { run_id: '333333333333', lr: 0.3 }]);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines.length).toBe(4);
    expect(lines[0]!.split(',')).toContain('run_id');
    await expect(exportStore(sweep, join(sweep, 'runs.xlsx'))).rejects.toThrow('must end in .parquet or .csv');
  });

  it('says what to do when a folder has no store', async () => {
    await expect(query(tmpdir(), 'SELECT 1')).rejects.toThrow(/no results store in .*run `clt sweep <spec> --out <folder>` first/);
  });

  it('names columns in snake_case and flattens nested numbers', () => {
    expect(['weightDecay', 'layerNorm', 'probe-size', 'lambdaMinStar'].map(columnName)).toEqual(['weight_decay', 'layer_norm', 'probe_size', 'lambda_min_star']);
    expect(flatten({ a: 1, perSample: { violations: 2 }, s: 'x', up: 'Infinity', ok: true })).toEqual({ a: 1, per_sample_violations: 2, up: Infinity, ok: true });
  });
});
