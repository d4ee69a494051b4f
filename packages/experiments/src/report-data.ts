import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { storeAvailable } from './duckdb.js';
import { sweptKeys } from './resolve.js';
import { FINAL_STATUSES, readRunError, readSummary } from './run-state.js';
import { flatten, STORE_FILE, withStore } from './store.js';
import type { SweepSpec } from './sweep-spec.js';

/**
 * What a sweep report shows, read from the sweep's results store (SQL) and its sweep.json. The
 * rendering (vega-lite, HTML) lives in the CLI; this module only extracts and aggregates numbers.
 *
 * Per run, the probe quantities are the values at the run's LAST probe (the end of training, not a
 * minimum over the run): λ*min = minᵢ λmin(Aᵢ), κ = the median over probe samples of λmax(Aᵢ)/λmin(Aᵢ)
 * (the `condition_median` probe field) and the gradient energy E. Final loss and test accuracy are
 * summary.json's `trainLoss` and `testAccuracy`; each correlation is summary.json's global Pearson r
 * of log₂ bound against log₂ probe-set loss. Aggregates are over seeds, per configuration cell
 * (one value of every factor), from completed and stalled runs only: failed and diverged runs have
 * no final metrics, and a stalled run is a real outcome of its configuration.
 */

export interface ReportMetric {
  readonly key: string;
  readonly label: string;
  /** Spans orders of magnitude: plotted on a log axis when every value is positive. */
  readonly log: boolean;
  readonly group: 'probe' | 'final' | 'correlation';
}

/**
 * The metrics every sweep report shows, before the per-run correlations (`r_<series>`) are added:
 * λ*min, κ and the gradient energy E at each run's last probe, the final training loss (nats) and
 * the test accuracy (a fraction in [0, 1]).
 */
export const BASE_METRICS: readonly ReportMetric[] = [
  { key: 'lambda_min_star', label: 'λ*min = minᵢ λmin(Aᵢ), last probe', log: true, group: 'probe' },
  { key: 'kappa', label: 'κ = median λmax(Aᵢ)/λmin(Aᵢ), last probe', log: true, group: 'probe' },
  { key: 'energy', label: 'gradient energy E, last probe', log: true, group: 'probe' },
  { key: 'train_loss', label: 'final training loss (nats)', log: true, group: 'final' },
  { key: 'test_accuracy', label: 'test accuracy', log: false, group: 'final' },
];

/** Final statuses whose runs carry final metrics and enter the aggregates. */
export const AGGREGATED_STATUSES = ['completed', 'stalled'] as const;

/** A factor of the sweep: a config key (other than the seed) whose value differs between runs. */
export interface ReportFactor {
  /** The config key (camelCase, as in sweep.json) and its runs-table column. */
  readonly key: string;
  /** Distinct values, in order (numbers ascending, false before true, strings in natural order). */
  readonly values: readonly unknown[];
}

/** One run of the sweep in the report: its status, config and per-run metric values. */
export interface ReportRun {
  /** The run id (12 hex digits, see `runId`). */
  readonly id: string;
  /** completed / stalled / diverged / failed, or `not run` for a run of sweep.json not in the store yet. */
  readonly status: string;
  /** The run's resolved config. */
  readonly config: Readonly<Record<string, unknown>>;
  /** Metric key → value (null: not measured). Non-finite values are kept (κ = ∞ when λmin = 0). */
  readonly metrics: Readonly<Record<string, number | null>>;
  /** Why the run is not `completed`: its error, the divergence, or the stall's numbers. */
  readonly reason: string | null;
}

/** Summary statistics of one metric over the seeds of a configuration cell, as {@link stat} computes them. */
export interface Stat {
  /** Mean and sample standard deviation (n − 1) over the finite values; sd is null for n < 2. */
  readonly mean: number | null;
  readonly sd: number | null;
  /** Finite values the mean and sd are taken over (nulls and non-finite values excluded). */
  readonly n: number;
  /** Values left out because they are ±∞ or NaN. */
  readonly nonFinite: number;
}

/**
 * One configuration cell of the sweep (one value of every factor): its completed and stalled runs,
 * aggregated over seeds.
 */
export interface ReportCell {
  /** One value of every factor. */
  readonly factors: Readonly<Record<string, unknown>>;
  /** Ids of the cell's aggregated runs, ordered by seed. */
  readonly runs: readonly string[];
  /** The seeds of those runs, in the same order. */
  readonly seeds: readonly unknown[];
  /** Metric key → its statistics over the cell's runs. */
  readonly stats: Readonly<Record<string, Stat>>;
}

/**
 * Everything a sweep report shows, as {@link sweepReportData} returns it: per-run values, the
 * factors and constants of the sweep, per-cell aggregates and the probe-set loss curves.
 */
export interface SweepReportData {
  /** The sweep folder, as an absolute path. */
  readonly dir: string;
  /** The spec's `name`, else the sweep folder's base name. */
  readonly name: string;
  /** Where the runs were read from: the results store, or the run folders (no DuckDB needed). */
  readonly source: ReportSource;
  readonly factors: readonly ReportFactor[];
  /** Varying config keys left out as factors because a factor determines them (steps under compareAt: samples). */
  readonly derived: readonly { key: string; from: string }[];
  /** Config keys with one value in every run. */
  readonly constants: Readonly<Record<string, unknown>>;
  /** {@link BASE_METRICS} followed by one correlation metric (`r_<series>`) per series the summaries report. */
  readonly metrics: readonly ReportMetric[];
  /** Sliding-window size(s) of the correlations, as the summaries state them. */
  readonly correlationWindows: readonly number[];
  /** Every run of sweep.json, ordered by id; runs not ended yet come last with status `not run`. */
  readonly runs: readonly ReportRun[];
  /** The configuration cells, ordered by their factor values. */
  readonly cells: readonly ReportCell[];
  /** The probe-set loss at every probe of every run (the `risk` probe field). */
  readonly curves: readonly { run: string; step: number; loss: number }[];
}

const toNumber = (v: unknown): number | null => {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v === 'Infinity' || v === '-Infinity' || v === 'NaN') return Number(v);
  return null;
};

/** Mean and sample sd over the finite values. */
export function stat(values: readonly (number | null)[]): Stat {
  const present = values.filter((v): v is number => v !== null);
  const finite = present.filter(Number.isFinite), n = finite.length;
  const mean = n ? finite.reduce((a, b) => a + b, 0) / n : null;
  const sd = n >= 2 ? Math.sqrt(finite.reduce((a, v) => a + (v - mean!) ** 2, 0) / (n - 1)) : null;
  return { mean, sd, n, nonFinite: present.length - n };
}

/** Order of factor values: numbers ascending, false < true, strings naturally ("8,8" < "8,8,8", "16" > "8"). */
export function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return String(a).localeCompare(String(b), 'en', { numeric: true });
}

const key = (v: unknown) => JSON.stringify(v ?? null);

async function columnsOf(c: DuckDBConnection, table: string): Promise<Set<string>> {
  const r = await c.runAndReadAll(`SELECT column_name FROM information_schema.columns WHERE table_name = '${table}'`);
  return new Set(r.getRows().map(([n]) => String(n)));
}

const fmt = (v: unknown) => { const x = toNumber(v); return x === null ? String(v) : Number.isFinite(x) ? String(Number(x.toPrecision(4))) : String(x); };

/** Why a run is not `completed`, in words, from its store row and summary.json. */
export function runReason(status: string, error: string | null, summary: Record<string, any> | undefined): string | null {
  if (status === 'completed') return null;
  if (status === 'failed') return error ?? 'failed (no error recorded)';
  if (status === 'diverged') return [summary?.error ?? error ?? 'diverged', summary?.suggestion].filter(Boolean).join(' — ');
  if (status === 'stalled') {
    const st = summary?.stall as Record<string, unknown> | undefined;
    if (!st) return 'stalled (summary.json has no stall details)';
    return `the ${st.series} went ${fmt(st.lossFrom)} → ${fmt(st.lossTo)} from step ${st.fromStep} to ${st.step} (${st.probes} probes), ` +
      `less than the ${Number(st.fraction) * 100}% fall required, and ${fmt(st.lossAtWarmup)} after warm-up (not halved); data floor ${fmt(st.dataFloor)}`;
  }
  if (status === 'not run') return 'not in the results store yet: the sweep was interrupted before this run ended; run the sweep again';
  return error;
}

/** Where {@link sweepReportData} reads the runs from. */
export type ReportSource = 'store' | 'folders';

/** Where {@link sweepReportData} reads a sweep's runs from, and failed runs' errors it cannot read there. */
export interface SweepReportOptions {
  /**
   * `store`: the results store (needs `@duckdb/node-api`); `folders`: sweep.json and each run's
   * folder (summary.json, metrics.jsonl), no DuckDB needed; `auto` (the default): the store when it
   * exists and DuckDB loads, else the folders. Both give the same numbers.
   */
  readonly source?: ReportSource | 'auto';
  /**
   * Errors of runs that failed, by run id (the sweep that just ran them knows them). Read from the
   * folders, a run without a final summary is `failed` with its error from here or from the
   * error.json the sweep left in its folder, else `not run`.
   */
  readonly errors?: Readonly<Record<string, string>>;
}

/** One run as either source gives it, before aggregation. */
interface RawRun {
  readonly id: string;
  readonly status: string;
  readonly error: string | null;
  readonly config: Record<string, unknown>;
  readonly summary: Record<string, any> | undefined;
  /** lambda_min_star, kappa, energy (last probe) and train_loss, test_accuracy. */
  readonly values: Record<string, unknown>;
}
type Planned = { spec?: SweepSpec; runs?: { id: string; config: Record<string, unknown> }[] };
type Curve = { run: string; step: number; loss: number };

/** The probe fields behind the report's probe metrics (last probe of each run). */
const LAST_PROBE: readonly [field: string, metric: string][] = [['lambda_min_star', 'lambda_min_star'], ['condition_median', 'kappa'], ['energy', 'energy']];

async function fromStore(dir: string, sweepDir: string): Promise<{ raw: RawRun[]; curves: Curve[] }> {
  return withStore(dir, async (c) => {
    const runCols = await columnsOf(c, 'runs');
    if (runCols.size === 0) throw new Error(`the results store of ${sweepDir} has no runs table yet: no run of the sweep has ended; run the sweep first`);
    const probeCols = await columnsOf(c, 'probes');
    // The value at each run's last probe; a probe field no run wrote is NULL.
    const last = (col: string, as: string) => (probeCols.has(col) ? `arg_max("${col}", step) AS ${as}` : `NULL::DOUBLE AS ${as}`);
    const sql = `WITH last AS (SELECT run_id, ${LAST_PROBE.map(([f, m]) => last(f, m)).join(', ')} FROM probes GROUP BY run_id)
      SELECT r.run_id, r.status, r.error, r.train_loss, r.test_accuracy, r.config_json, r.summary_json, l.lambda_min_star, l.kappa, l.energy
      FROM runs r LEFT JOIN last l USING (run_id) ORDER BY r.run_id`;
    const rows = (await c.runAndReadAll(sql)).getRowObjects() as Record<string, unknown>[];
    const curves = probeCols.has('risk')
      ? ((await c.runAndReadAll('SELECT run_id, step, risk FROM probes WHERE risk IS NOT NULL AND isfinite(risk) ORDER BY run_id, step')).getRows()
        .map(([run, step, loss]) => ({ run: String(run), step: Number(step), loss: Number(loss) })))
      : [];
    const raw = rows.map((r): RawRun => ({
      id: String(r.run_id), status: String(r.status), error: (r.error as string | null) ?? null,
      config: JSON.parse(String(r.config_json)) as Record<string, unknown>,
      summary: typeof r.summary_json === 'string' ? (JSON.parse(r.summary_json) as Record<string, any>) : undefined,
      values: r,
    }));
    return { raw, curves };
  }, true);
}

/**
 * The same rows from the run folders, as the store would hold them (its ingest reads these very
 * files): final runs by their summary.json, failed runs by `errors`, the value at the last probe
 * that has each field (DuckDB's arg_max skips NULLs), and the finite probe-set losses.
 */
function fromFolders(dir: string, planned: Planned, errors: Readonly<Record<string, string>>): { raw: RawRun[]; curves: Curve[] } {
  const raw: RawRun[] = [], curves: Curve[] = [];
  for (const p of planned.runs ?? []) {
    const runDir = join(dir, 'runs', p.id);
    const summary = readSummary(runDir);
    const final = summary && (FINAL_STATUSES as readonly string[]).includes(summary.status as string);
    const error = errors[p.id] ?? readRunError(runDir);
    if (!final && error === undefined) continue; // not ended: listed as `not run`
    const status = final ? String(summary.status) : 'failed';
    const kept = summary && Object.keys(summary).length ? summary : undefined; // the store keeps no empty summary
    const values: Record<string, unknown> = { train_loss: kept?.trainLoss ?? null, test_accuracy: typeof kept?.testAccuracy === 'number' ? kept.testAccuracy : null };
    const metrics = join(runDir, 'metrics.jsonl');
    const probes = existsSync(metrics) ? readFileSync(metrics, 'utf8').split('\n').filter((l) => l.trim() !== '').flatMap((l) => {
      try { return [JSON.parse(l) as Record<string, unknown>]; } catch { return []; } // a torn last line of an interrupted run
    }).filter((x) => x.type === 'probe').map((x) => flatten(x)) : [];
    for (const [field, metric] of LAST_PROBE) {
      let best: { step: number; v: number } | undefined;
      for (const pr of probes) {
        const v = pr[field], step = pr.step;
        if (typeof v === 'number' && typeof step === 'number' && (!best || step > best.step)) best = { step, v };
      }
      values[metric] = best?.v ?? null;
    }
    for (const pr of probes) if (typeof pr.risk === 'number' && Number.isFinite(pr.risk) && typeof pr.step === 'number') curves.push({ run: p.id, step: pr.step, loss: pr.risk });
    raw.push({ id: p.id, status, error: final ? null : error!, config: p.config, summary: kept as Record<string, any> | undefined, values });
  }
  raw.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  curves.sort((a, b) => (a.run < b.run ? -1 : a.run > b.run ? 1 : a.step - b.step));
  return { raw, curves };
}

const NOT_ENDED = 'no final summary.json in its run folder: the run failed or was interrupted before it ended; run the sweep again (it retries failed runs and resumes interrupted ones)';

/** Read and aggregate everything the sweep report shows (see {@link SweepReportOptions} for where from). */
export async function sweepReportData(sweepDir: string, options: SweepReportOptions = {}): Promise<SweepReportData> {
  const dir = resolve(sweepDir);
  const sweepJson = join(dir, 'sweep.json'), storeFile = join(dir, STORE_FILE);
  if (!existsSync(sweepJson) && !existsSync(storeFile))
    throw new Error(`no results store in ${sweepDir} (${STORE_FILE} is missing, and so is sweep.json): it is not a sweep folder; run \`clt sweep <spec> --out <folder>\` first, and pass the sweep's folder`);
  const planned = existsSync(sweepJson) ? (JSON.parse(readFileSync(sweepJson, 'utf8')) as Planned) : {};
  const want = options.source ?? 'auto';
  const source: ReportSource = want !== 'auto' ? want : existsSync(storeFile) && (await storeAvailable()) ? 'store' : 'folders';
  if (source === 'folders' && !planned.runs) throw new Error(`${sweepDir} has no sweep.json, which lists the sweep's runs: the report cannot be read from the run folders`);
  const { raw, curves } = source === 'store' ? await fromStore(dir, sweepDir) : fromFolders(dir, planned, options.errors ?? {});
  if (source === 'folders' && raw.length === 0) throw new Error(`no run of the sweep in ${sweepDir} has ended yet (no run folder holds a final summary.json); run the sweep first`);

  const corrKeys = new Map<string, string>(), windows = new Set<number>();
  const runs: ReportRun[] = raw.map((r) => {
    const summary = r.summary;
    const metrics: Record<string, number | null> = {};
    for (const m of BASE_METRICS) metrics[m.key] = toNumber(r.values[m.key]);
    const corr = summary?.correlations as { window?: number; series?: Record<string, { label: string; r: unknown }> } | undefined;
    if (typeof corr?.window === 'number') windows.add(corr.window);
    for (const [k, s] of Object.entries(corr?.series ?? {})) {
      if (!corrKeys.has(k)) corrKeys.set(k, s.label);
      metrics[`r_${k}`] = toNumber(s.r);
    }
    return { id: r.id, status: r.status, config: r.config, metrics, reason: runReason(r.status, r.error, summary) };
  });
  const stored = new Set(runs.map((r) => r.id));
  for (const p of planned.runs ?? []) if (!stored.has(p.id)) runs.push({ id: p.id, status: 'not run', config: p.config, metrics: {}, reason: source === 'store' ? runReason('not run', null, undefined) : NOT_ENDED });

  const metrics: ReportMetric[] = [...BASE_METRICS, ...[...corrKeys].map(([k, label]) => ({ key: `r_${k}`, label: `r: ${label}`, log: false, group: 'correlation' as const }))];
  const { factors, derived, constants } = findFactors(runs, planned.spec ? sweptKeys(planned.spec) : []);

  const cellsByKey = new Map<string, { factors: Record<string, unknown>; runs: ReportRun[] }>();
  for (const run of runs) {
    if (!(AGGREGATED_STATUSES as readonly string[]).includes(run.status)) continue;
    const f = Object.fromEntries(factors.map((x) => [x.key, run.config[x.key]]));
    const k = key(factors.map((x) => run.config[x.key]));
    const cell = cellsByKey.get(k) ?? { factors: f, runs: [] };
    cell.runs.push(run);
    cellsByKey.set(k, cell);
  }
  const cells: ReportCell[] = [...cellsByKey.values()]
    .sort((a, b) => { for (const f of factors) { const d = compareValues(a.factors[f.key], b.factors[f.key]); if (d) return d; } return 0; })
    .map((c) => ({ ...c, runs: [...c.runs].sort((a, b) => compareValues(a.config.seed, b.config.seed)) }))
    .map((c) => ({
      factors: c.factors, runs: c.runs.map((r) => r.id), seeds: c.runs.map((r) => r.config.seed),
      stats: Object.fromEntries(metrics.map((m) => [m.key, stat(c.runs.map((r) => r.metrics[m.key] ?? null))])),
    }));
  return { dir, name: planned.spec?.name ?? dir.split(/[\\/]/).pop()!, source, factors, derived, constants, metrics, correlationWindows: [...windows].sort((a, b) => a - b), runs, cells, curves };
}

/**
 * The factors: config keys whose value differs between runs, except the seed (aggregated over)
 * and keys that a swept key determines (steps = ceil(samples / batch) under compareAt: samples).
 */
function findFactors(runs: readonly ReportRun[], swept: readonly string[]) {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.config)))];
  const distinct = (k: string) => [...new Map(runs.map((r) => [key(r.config[k]), r.config[k]])).values()].sort(compareValues);
  const varying = keys.filter((k) => k !== 'seed' && distinct(k).length > 1);
  const constants = Object.fromEntries(keys.filter((k) => k !== 'seed' && distinct(k).length === 1).map((k) => [k, runs[0]!.config[k]]));
  const determines = (a: string, b: string) => {
    const m = new Map<string, string>();
    return runs.every((r) => { const ka = key(r.config[a]), kb = key(r.config[b]); if (m.has(ka) && m.get(ka) !== kb) return false; m.set(ka, kb); return true; });
  };
  const derived: { key: string; from: string }[] = [];
  for (const k of varying) {
    if (swept.includes(k)) continue;
    const from = varying.find((s) => s !== k && swept.includes(s) && determines(s, k));
    if (from) derived.push({ key: k, from });
  }
  const factors = varying.filter((k) => !derived.some((d) => d.key === k)).map((k) => ({ key: k, values: distinct(k) }));
  return { factors, derived, constants };
}
