import { existsSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import {
  exportStore, parseGridArg, query, readSweepSpec, runSweep, STORE_FILE, withOverrides,
  type OptionInfo, type PoolProgress, type RunOutcome,
} from '@clt/experiments';
import { int, printJson, table } from '../options.js';
import { checkRunName } from '../run-folder.js';
import { trainCommand } from './train.js';

/** The worker module the pool forks (dist/sweep-worker.js beside dist/commands/). */
const WORKER = fileURLToPath(new URL('../sweep-worker.js', import.meta.url));

/** `clt train`'s options as the experiment layer needs them: key, flag, parser and default. */
export function trainOptionInfo(): OptionInfo[] {
  return trainCommand().options.map((o) => ({
    key: o.attributeName(), flag: o.long!, boolean: !o.required && !o.optional,
    ...(o.parseArg ? { parse: (t: string) => o.parseArg!(t, undefined) } : {}),
    // A lone --no-x option defaults to true (commander sets that on the command, not the option).
    ...(o.negate ? { defaultValue: true } : o.defaultValue !== undefined ? { defaultValue: o.defaultValue } : {}),
  }));
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function sweepCommand(): Command {
  const cmd = new Command('sweep')
    .description('Run a grid or list of `clt train` configs × seeds in a local process pool; results go to a DuckDB store in <out>/<name> (see docs/experiments.md)')
    .argument('<spec>', 'sweep spec, YAML or JSON: {name, base, grid, list, seeds, compareAt, samples}')
    .option('--grid <key=v1,v2>', 'add or replace a grid axis (repeatable); use | between values that contain commas: hidden=16,16|32', collect)
    .option('--seeds <n>', 'seeds 0..n-1 (replaces the spec\'s seeds)', int('--seeds'))
    .option('--jobs <n>', 'runs at once, each in its own process', int('--jobs'), 1)
    .option('--out <dir>', 'folder holding sweeps; this sweep is <out>/<name> (name from the spec, else the spec file name)', 'sweeps')
    .option('--json', 'print the outcome as JSON (no progress lines)')
    .option('--no-report', 'do not write <sweep>/report.html at the end (`clt sweep report <dir>` writes it later)')
    .action(async (specFile: string, opts) => { await runSweepCommand(specFile, opts); });
  cmd.addCommand(new Command('query')
    .description('Run SQL on a sweep\'s results store (tables: runs, probes)')
    .argument('<dir>', 'the sweep folder (holding results.duckdb)')
    .argument('<sql>', 'SQL, e.g. "SELECT hidden, skip, avg(test_accuracy) FROM runs GROUP BY ALL"')
    .addOption(new Option('--format <f>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .action(async (dir: string, sql: string, opts: { format: string }) => {
      const r = await query(dir, sql);
      if (opts.format === 'json') printJson(r.rows);
      else if (opts.format === 'csv') process.stdout.write(toCsv(r.columns, r.rows));
      else process.stdout.write(`${table([r.columns, ...r.rows.map((row) => r.columns.map((c) => cell(row[c])))])}\n(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})\n`);
    }));
  cmd.addCommand(new Command('report')
    .description('Write <dir>/report.html: each swept factor against λ*min, κ, E, final loss, test accuracy and the bound–loss correlations (mean ± sd over seeds), the loss curves, and the runs that did not complete')
    .argument('<dir>', 'the sweep folder (holding results.duckdb)')
    .action(async (dir: string) => { process.stdout.write(`${await writeReport(dir)}\n`); }));
  cmd.addCommand(new Command('export')
    .description('Write a table of a sweep\'s results store to Parquet or CSV (by the file\'s extension)')
    .argument('<dir>', 'the sweep folder')
    .requiredOption('--to <file>', 'output file: *.parquet or *.csv')
    .addOption(new Option('--table <t>', 'which table').choices(['runs', 'probes']).default('runs'))
    .action(async (dir: string, opts: { to: string; table: string }) => {
      process.stdout.write(`${await exportStore(dir, opts.to, opts.table)}\n`);
    }));
  return cmd;
}

/** The sweep report; imported here: its chart stack (vega, resvg) takes a second to load and most commands never need it. */
async function writeReport(dir: string): Promise<string> {
  return (await import('../sweep-report/write.js')).writeSweepReport(dir);
}

async function runSweepCommand(specFile: string, opts: { grid?: string[]; seeds?: number; jobs: number; out: string; json?: boolean; report?: boolean }): Promise<void> {
  const options = trainOptionInfo();
  let spec = readSweepSpec(specFile, options);
  spec = withOverrides(spec, (opts.grid ?? []).map((g) => parseGridArg(g, options)), opts.seeds);
  const name = checkRunName(spec.name ?? basename(specFile, extname(specFile)), 'the sweep name (spec `name:`, else the spec file name)');
  const dir = resolve(opts.out, name);
  const ac = new AbortController();
  const stop = () => {
    if (!opts.json) process.stderr.write('\nclt sweep: stopping — running runs checkpoint and exit; run the same command again to continue\n');
    ac.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const live = !opts.json && process.stderr.isTTY;
  let last = '';
  const onProgress = (p: PoolProgress) => {
    const line = progressLine(p);
    if (opts.json || line === last) return;
    last = line;
    process.stderr.write(live ? `\r\x1b[2K${line}` : `${line}\n`);
  };
  if (!opts.json) process.stderr.write(`clt sweep: ${dir} (jobs ${opts.jobs})\n`);
  let result;
  try {
    result = await runSweep({ spec, options, dir, worker: WORKER, jobs: opts.jobs, signal: ac.signal, onProgress });
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
  if (live) process.stderr.write('\n');
  const byId = new Map(result.outcomes.map((o) => [o.id, o]));
  const failed = result.outcomes.filter((o) => o.status === 'failed');
  // The report of a finished sweep (failed runs included: they are in its table). An interrupted
  // sweep gets none: it is not finished, and Ctrl-C should stop promptly.
  let report: string | null = null, reportError: string | null = null;
  if (opts.report !== false && !result.interrupted && existsSync(join(result.dir, STORE_FILE))) {
    try { report = await writeReport(result.dir); } catch (e) { reportError = (e as Error).message; }
  }
  if (opts.json) {
    printJson({ dir: result.dir, store: join(result.dir, STORE_FILE), report, ...(reportError ? { reportError } : {}), interrupted: result.interrupted, runs: result.runs.map((r) => ({ ...(byId.get(r.id) ?? { id: r.id, status: 'not started' }), config: r.config })) });
  } else {
    process.stderr.write(`${table([['run', 'status', 'how', 'seconds', 'error'], ...result.runs.map((r) => outcomeRow(r.id, byId.get(r.id)))])}\n`);
    process.stderr.write(`store: ${join(result.dir, STORE_FILE)}\n  clt sweep query ${result.dir} "SELECT * FROM runs"\n`);
    if (report) process.stderr.write(`report: ${report}\n`);
    if (reportError) process.stderr.write(`clt sweep: the runs are recorded, but the report could not be written: ${reportError}\n  retry with: clt sweep report ${result.dir}\n`);
    if (result.interrupted) process.stderr.write(`interrupted: ${result.runs.length - result.outcomes.filter((o) => o.status !== 'interrupted').length} of ${result.runs.length} runs not final; run the same command again to continue (interrupted runs resume from their checkpoints)\n`);
    if (failed.length) process.stderr.write(`${failed.length} run${failed.length === 1 ? '' : 's'} failed; see the error column (SELECT run_id, error FROM runs WHERE status = 'failed'); a re-run retries them\n`);
  }
  if (result.interrupted) process.exitCode = 130;
  else if (failed.length) process.exitCode = 1;
}

function progressLine(p: PoolProgress): string {
  const eta = p.etaSeconds === null ? '' : ` · ETA ${p.etaSeconds < 90 ? `${Math.round(p.etaSeconds)} s` : `${(p.etaSeconds / 60).toFixed(1)} min`}`;
  return `  ${p.done}/${p.total} done · ${p.running} running · ${p.failed} failed · ${p.queued} queued${eta}`;
}

function outcomeRow(id: string, o: RunOutcome | undefined): string[] {
  if (!o) return [id, 'not started', '', '', ''];
  return [id, o.status, o.action, o.seconds ? o.seconds.toFixed(1) : '', (o.error ?? '').split('\n')[0]!.slice(0, 100)];
}

function cell(v: unknown): string {
  return v === null || v === undefined ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function toCsv(columns: string[], rows: Record<string, unknown>[]): string {
  const q = (v: unknown) => { const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v); return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s; };
  return [columns.map(q).join(','), ...rows.map((r) => columns.map((c) => q(r[c])).join(','))].join('\n') + '\n';
}
