import { existsSync, readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import type { DuckDBConnection, DuckDBInstance, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { loadDuckDB } from './duckdb.js';

/**
 * The results store of a sweep: one DuckDB file in the sweep folder, written only by the sweep's
 * coordinator (one writer), opened per batch of writes so queries can read between them.
 *
 *  - `runs`: one row per run: run_id, status, error, final metrics, then one column per config
 *    option (snake_case: weight_decay, layer_norm, …), config_json and summary_json (the whole
 *    summary.json, for fields not flattened, e.g. `summary_json->'$.correlations'`).
 *  - `probes`: one row per probe record of metrics.jsonl: run_id, step and every numeric or
 *    boolean field (nested ones joined with _: per_sample_violations). ±Infinity and NaN, which
 *    metrics.jsonl writes as strings, become DOUBLE values.
 * Ingesting a run deletes its rows first, so a run is recorded exactly once however often it is ingested.
 *
 * DuckDB (`@duckdb/node-api`) is an optional peer dependency, imported on first use: every function
 * here that opens the store rejects with a `StoreUnavailableError` naming the package when it is not
 * installed (see duckdb.ts).
 */
export const STORE_FILE = 'results.duckdb';

type SqlType = 'DOUBLE' | 'BOOLEAN' | 'VARCHAR' | 'INTEGER';
const RUN_COLUMNS: readonly [string, SqlType][] = [
  ['run_id', 'VARCHAR'], ['status', 'VARCHAR'], ['error', 'VARCHAR'], ['train_loss', 'DOUBLE'], ['train_accuracy', 'DOUBLE'],
  ['test_loss', 'DOUBLE'], ['test_accuracy', 'DOUBLE'], ['data_floor', 'DOUBLE'], ['steps_run', 'INTEGER'], ['seconds', 'DOUBLE'],
  ['parameters', 'INTEGER'], ['sandwich_held', 'INTEGER'], ['sandwich_probes', 'INTEGER'], ['config_json', 'VARCHAR'], ['summary_json', 'VARCHAR'],
];

/** One finished run as the coordinator hands it to the store. */
export interface RunResult {
  readonly id: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly status: string;
  readonly error: string | null;
  /** The run folder (summary.json and metrics.jsonl are read from it when present). */
  readonly runDir: string;
}

/** camelCase / kebab → snake_case column name. */
export function columnName(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9]+/g, '_').toLowerCase();
}

/**
 * Open a sweep's store, run `fn` on a connection, close it. Rejects with a `StoreUnavailableError`
 * when `@duckdb/node-api` is not installed.
 */
export async function withStore<T>(sweepDir: string, fn: (c: DuckDBConnection) => Promise<T>, readOnly = false): Promise<T> {
  const duckdb = await loadDuckDB();
  const path = join(resolve(sweepDir), STORE_FILE);
  if (readOnly && !existsSync(path)) {
    const ranWithout = existsSync(join(resolve(sweepDir), 'sweep.json'))
      ? '; the sweep ran without the store (@duckdb/node-api was not installed then): run the same `clt sweep <spec>` again to record its finished runs (they are not run again)'
      : '; run `clt sweep <spec> --out <folder>` first, and pass the sweep\'s folder';
    throw new Error(`no results store in ${sweepDir} (${STORE_FILE} is missing)${ranWithout}`);
  }
  let instance: DuckDBInstance;
  try {
    instance = await duckdb.DuckDBInstance.create(path, readOnly ? { access_mode: 'READ_ONLY' } : {});
  } catch (e) {
    const msg = (e as Error).message;
    throw new Error(`cannot open the results store ${path}: ${msg}${/lock/i.test(msg) ? ' (the sweep is writing it right now; try again in a moment)' : ''}`);
  }
  const c = await instance.connect();
  try {
    return await fn(c);
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

/** Record finished runs (replacing any earlier rows of the same runs), in one transaction. */
export async function ingestRuns(sweepDir: string, results: readonly RunResult[]): Promise<void> {
  if (results.length === 0) return;
  await withStore(sweepDir, async (c) => {
    await c.run(`CREATE TABLE IF NOT EXISTS runs (${RUN_COLUMNS.map(([n, t]) => `"${n}" ${t}`).join(', ')}, PRIMARY KEY (run_id))`);
    await c.run('CREATE TABLE IF NOT EXISTS probes (run_id VARCHAR NOT NULL, step INTEGER NOT NULL)');
    const runTypes = await columnTypes(c, 'runs'), probeTypes = await columnTypes(c, 'probes');
    const bind = bindTypes(await loadDuckDB());
    await c.run('BEGIN TRANSACTION');
    try {
      for (const r of results) await ingestOne(c, r, runTypes, probeTypes, bind);
      await c.run('COMMIT');
    } catch (e) {
      await c.run('ROLLBACK');
      throw e;
    }
  });
}

async function ingestOne(c: DuckDBConnection, r: RunResult, runTypes: Map<string, SqlType>, probeTypes: Map<string, SqlType>, bind: BindTypes): Promise<void> {
  const summaryPath = join(r.runDir, 'summary.json');
  const summary = existsSync(summaryPath) ? (JSON.parse(readFileSync(summaryPath, 'utf8')) as Record<string, any>) : {};
  const sandwich = (summary.sandwich ?? {}) as Record<string, unknown>;
  const row: Record<string, unknown> = {
    run_id: r.id, status: r.status, error: r.error, train_loss: num(summary.trainLoss), train_accuracy: summary.trainAccuracy,
    test_loss: num(summary.testLoss), test_accuracy: summary.testAccuracy, data_floor: num(summary.dataFloor), steps_run: summary.steps,
    seconds: summary.seconds, parameters: summary.parameters, sandwich_held: sandwich.held, sandwich_probes: sandwich.probes,
    config_json: JSON.stringify(r.config), summary_json: Object.keys(summary).length ? JSON.stringify(summary) : null,
  };
  for (const [k, v] of Object.entries(r.config)) {
    const col = columnName(k);
    if (col in row) throw new Error(`config option ${k} collides with the runs column ${col}`);
    row[col] = v;
  }
  await c.run('DELETE FROM runs WHERE run_id = $1', [r.id]);
  await c.run('DELETE FROM probes WHERE run_id = $1', [r.id]);
  await insert(c, 'runs', [row], runTypes, bind);
  const metrics = join(r.runDir, 'metrics.jsonl');
  if (!existsSync(metrics)) return;
  const probes = readFileSync(metrics, 'utf8').split('\n').filter((l) => l.trim() !== '').flatMap((l) => {
    try { return [JSON.parse(l) as Record<string, unknown>]; } catch { return []; } // a torn last line of an interrupted run
  }).filter((x) => x.type === 'probe');
  await insert(c, 'probes', probes.map((p) => ({ run_id: r.id, ...flatten(p) })), probeTypes, bind);
}

/** A number as JSON files write it: non-finite values are the strings "Infinity", "-Infinity", "NaN". */
function num(v: unknown): unknown {
  return v === 'Infinity' || v === '-Infinity' || v === 'NaN' ? Number(v) : v;
}

/** Numeric and boolean leaves of a record, nested keys joined with _ ("Infinity" strings are numbers). */
export function flatten(rec: Record<string, unknown>, prefix = ''): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {};
  for (const [k, v] of Object.entries(rec)) {
    const name = prefix + columnName(k);
    if (typeof v === 'number' || typeof v === 'boolean') out[name] = v;
    else if (typeof num(v) === 'number') out[name] = num(v) as number;
    else if (v && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flatten(v as Record<string, unknown>, `${name}_`));
  }
  return out;
}

async function columnTypes(c: DuckDBConnection, table: string): Promise<Map<string, SqlType>> {
  const r = await c.runAndReadAll(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '${table}'`);
  return new Map(r.getRows().map(([n, t]) => [String(n), String(t) as SqlType]));
}

type BindTypes = Record<SqlType, DuckDBType>;
const bindTypes = (d: typeof import('@duckdb/node-api')): BindTypes => ({ DOUBLE: d.DOUBLE, BOOLEAN: d.BOOLEAN, VARCHAR: d.VARCHAR, INTEGER: d.INTEGER });

function sqlType(v: unknown): SqlType {
  return typeof v === 'boolean' ? 'BOOLEAN' : typeof v === 'number' ? 'DOUBLE' : 'VARCHAR';
}

/** Insert rows, adding a column the first time a key appears; a value of another type than its column is stored as NULL. */
async function insert(c: DuckDBConnection, table: string, rows: readonly Record<string, unknown>[], types: Map<string, SqlType>, bind: BindTypes): Promise<void> {
  if (rows.length === 0) return;
  for (const row of rows) {
    for (const [k, v] of Object.entries(row)) {
      if (types.has(k) || v === null || v === undefined) continue;
      if (!/^[a-z0-9_]+$/.test(k)) throw new Error(`cannot store field ${JSON.stringify(k)}: not a plain column name`);
      await c.run(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS "${k}" ${sqlType(v)}`);
      types.set(k, sqlType(v));
    }
  }
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) => types.has(k));
  const fits = (t: SqlType | undefined, v: unknown) => (t === 'DOUBLE' || t === 'INTEGER' ? typeof v === 'number' : t === 'BOOLEAN' ? typeof v === 'boolean' : typeof v === 'string');
  const params: DuckDBValue[] = [], paramTypes: DuckDBType[] = [];
  const tuples = rows.map((row) => `(${cols.map((k) => {
    const v = row[k], t = types.get(k);
    params.push(v === undefined || v === null || !fits(t, v) ? null : (t === 'INTEGER' ? Math.round(v as number) : v) as DuckDBValue);
    // Bound with the column's type: left to itself the binding reads an integral double (1e30) as BIGINT and overflows.
    paramTypes.push(bind[t ?? 'VARCHAR']);
    return `$${params.length}`;
  }).join(', ')})`);
  await c.run(`INSERT INTO ${table} (${cols.map((k) => `"${k}"`).join(', ')}) VALUES ${tuples.join(', ')}`, params, paramTypes);
}

/** The rows of a SQL query on a sweep's results store, as {@link query} returns them. */
export interface QueryResult {
  /** Column names, in the order of the SELECT list. */
  readonly columns: string[];
  /** JSON-safe values: integers as numbers (as strings beyond 2^53), DECIMAL as strings, ±Infinity as "Infinity". */
  readonly rows: Record<string, unknown>[];
}

/** Run SQL against a sweep's store (read-only). */
export async function query(sweepDir: string, sql: string): Promise<QueryResult> {
  return withStore(sweepDir, async (c) => {
    const r = await c.runAndReadAll(sql);
    // count(*) and other integer aggregates are BIGINT, which JSON gets as strings: numbers when exact.
    const big = new Set(r.columnNames().filter((_, i) => /INT/.test(String(r.columnTypes()[i]))));
    const rows = (r.getRowObjectsJson() as Record<string, unknown>[]).map((row) => {
      for (const k of big) if (typeof row[k] === 'string' && Number.isSafeInteger(Number(row[k]))) row[k] = Number(row[k]);
      return row;
    });
    return { columns: r.columnNames(), rows };
  }, true);
}

/** Write a table (or a SELECT) to Parquet or CSV, by the file's extension, with DuckDB's COPY. */
export async function exportStore(sweepDir: string, file: string, source = 'runs'): Promise<string> {
  const ext = extname(file).toLowerCase();
  const format = ext === '.parquet' ? 'FORMAT parquet' : ext === '.csv' ? 'FORMAT csv, HEADER true' : undefined;
  if (!format) throw new Error(`--to ${file}: the file must end in .parquet or .csv`);
  const from = /^[a-z_]+$/.test(source) ? source : `(${source})`;
  const out = resolve(file);
  await withStore(sweepDir, (c) => c.run(`COPY ${from} TO '${out.replace(/'/g, "''")}' (${format})`), true);
  return out;
}
