import { existsSync, readFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import {
  expandSweep, exportStore, parseGridArg, query, readSweepSpec, runSweep, STORE_FILE, withOverrides,
  type OptionInfo, type PoolProgress, type ResolvedRun, type RunOutcome,
} from '@clt/experiments';
import { int, printJson, table } from '../options.js';
import { checkRunName } from '../run-folder.js';
import { trainCommand } from './train.js';
import { queueConfigCheck } from './worker.js';

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
    .description('Run a grid or list of `clt train` configs × seeds in a local process pool; runs and report go to <out>/<name>, results also to a DuckDB store there when @duckdb/node-api is installed (see docs/experiments.md)')
    .argument('<spec>', 'sweep spec, YAML or JSON: {name, base, grid, list, seeds, compareAt, samples}')
    .option('--grid <key=v1,v2>', 'add or replace a grid axis (repeatable); use | between values that contain commas: hidden=16,16|32', collect)
    .option('--seeds <n>', 'seeds 0..n-1 (replaces the spec\'s seeds)', int('--seeds'))
    .option('--jobs <n>', 'runs at once, each in its own process', int('--jobs'), 1)
    .option('--out <dir>', 'folder holding sweeps; this sweep is <out>/<name> (name from the spec, else the spec file name)', 'sweeps')
    .option('--json', 'print the outcome as JSON (no progress lines)')
    .option('--no-report', 'do not write <sweep>/report.html at the end (`clt sweep report <dir>` writes it later)')
    .option('--queue <url>', 'run on many machines: queue the runs at redis://[user:password@]host:port[/db] (rediss:// for TLS; a URL without a password takes $CLT_QUEUE_PASSWORD) for `clt worker`s, follow them and record the results here (docs/distributed-sweeps.md)')
    .option('--attempts <n>', 'with --queue: tries per run before it is marked failed', int('--attempts'), 3)
    .action(async (specFile: string, opts) => { await runSweepCommand(specFile, opts); });
  // `status` has --queue, --out and --json as the sweep itself does: they belong to the subcommand named before them.
  cmd.enablePositionalOptions();
  cmd.addCommand(new Command('status')
    .description('With --queue: where each run of a sweep is (queued, running, done, failed), from the queue and the sweep folder')
    .argument('<spec|dir>', 'the sweep spec, or the sweep folder (holding sweep.json)')
    .requiredOption('--queue <url>', 'the queue the sweep was started with')
    .option('--out <dir>', 'with a spec: the folder holding sweeps', 'sweeps')
    .option('--json', 'print one object per run as JSON')
    .action(async (target: string, opts: { queue: string; out: string; json?: boolean }) => { await sweepStatusCommand(target, opts); }));
  cmd.addCommand(new Command('query')
    .description('Run SQL on a sweep\'s results store (tables: runs, probes; needs @duckdb/node-api)')
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
    .description('Write <dir>/report.html (interactive, one offline file): each swept factor against λ*min, κ, E, final loss, test accuracy and the bound–loss correlations (mean ± sd over seeds), the loss curves, and the runs that did not complete; read from the results store, or from the run folders without @duckdb/node-api')
    .argument('<dir>', 'the sweep folder (holding sweep.json and runs/)')
    .action(async (dir: string) => { process.stdout.write(`${await writeReport(dir)}\n`); }));
  cmd.addCommand(new Command('export')
    .description('Write a table of a sweep\'s results store to Parquet or CSV (by the file\'s extension; needs @duckdb/node-api)')
    .argument('<dir>', 'the sweep folder')
    .requiredOption('--to <file>', 'output file: *.parquet or *.csv')
    .addOption(new Option('--table <t>', 'which table').choices(['runs', 'probes']).default('runs'))
    .action(async (dir: string, opts: { to: string; table: string }) => {
      process.stdout.write(`${await exportStore(dir, opts.to, opts.table)}\n`);
    }));
  return cmd;
}

/**
 * The sweep report; imported here: its chart stack (vega, resvg) takes a second to load and most
 * commands never need it. `errors`: the failed runs' errors this invocation saw (the report reads
 * them from the store when there is one, and needs them when it reads the run folders).
 */
async function writeReport(dir: string, errors?: Record<string, string>): Promise<string> {
  return (await import('../sweep-report/write.js')).writeSweepReport(dir, errors ? { errors } : {});
}

async function runSweepCommand(specFile: string, opts: { grid?: string[]; seeds?: number; jobs: number; out: string; json?: boolean; report?: boolean; queue?: string; attempts: number }): Promise<void> {
  const options = trainOptionInfo();
  let spec = readSweepSpec(specFile, options);
  spec = withOverrides(spec, (opts.grid ?? []).map((g) => parseGridArg(g, options)), opts.seeds);
  const name = checkRunName(spec.name ?? basename(specFile, extname(specFile)), 'the sweep name (spec `name:`, else the spec file name)');
  const dir = resolve(opts.out, name);
  const ac = new AbortController();
  const stop = () => {
    if (!opts.json) process.stderr.write(opts.queue ? '\nclt sweep: stopping — the queued runs go on on the workers; run the same command again to collect their results\n' : '\nclt sweep: stopping — running runs checkpoint and exit; run the same command again to continue\n');
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
  let result;
  try {
    if (opts.queue) {
      // Loaded only here: single-machine users never load BullMQ.
      const { openQueue, runDistributedSweep } = await import('@clt/queue');
      const engine = openQueue(opts.queue);
      // runDistributedSweep checks the runs first (a run that may not go through the queue is refused
      // without a server), then that the queue can be reached.
      const onStart = () => { if (!opts.json) process.stderr.write(`clt sweep: ${dir} (queue ${engine.where}; start workers with: clt worker --queue <url>)\n`); };
      const onNotice = (line: string) => { if (!opts.json) process.stderr.write(`${live ? '\r\x1b[2K' : ''}clt sweep: ${line}\n`); };
      try {
        result = await runDistributedSweep({ spec, options, checkConfig: queueConfigCheck, dir, engine, attempts: opts.attempts, signal: ac.signal, onStart, onProgress, onNotice });
      } finally {
        await engine.close();
      }
    } else {
      if (!opts.json) process.stderr.write(`clt sweep: ${dir} (jobs ${opts.jobs})\n`);
      result = await runSweep({ spec, options, dir, worker: WORKER, jobs: opts.jobs, signal: ac.signal, onProgress });
    }
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
  if (opts.report !== false && !result.interrupted) {
    const errors = Object.fromEntries(result.outcomes.filter((o) => o.status === 'failed' && o.error !== null).map((o) => [o.id, o.error!]));
    try { report = await writeReport(result.dir, errors); } catch (e) { reportError = (e as Error).message; }
  }
  const store = result.storeError ? null : join(result.dir, STORE_FILE);
  if (opts.json) {
    printJson({ dir: result.dir, store, ...(result.storeError ? { storeError: result.storeError } : {}), report, ...(reportError ? { reportError } : {}), interrupted: result.interrupted, runs: result.runs.map((r) => ({ ...(byId.get(r.id) ?? { id: r.id, status: 'not started' }), config: r.config })) });
  } else {
    process.stderr.write(`${table([['run', 'status', 'how', 'seconds', 'error'], ...result.runs.map((r) => outcomeRow(r.id, byId.get(r.id)))])}\n`);
    if (store) process.stderr.write(`store: ${store}\n  clt sweep query ${result.dir} "SELECT * FROM runs"\n`);
    else process.stderr.write(`store: not written: ${result.storeError}\n  every result is in ${join(result.dir, 'runs')}, and the report reads it there; only \`clt sweep query\` and \`clt sweep export\` need the store (the same command, run again once it is installed, records the finished runs without running them again)\n`);
    if (report) process.stderr.write(`report: ${report}\n`);
    if (reportError) process.stderr.write(`clt sweep: the runs are recorded, but the report could not be written: ${reportError}\n  retry with: clt sweep report ${result.dir}\n`);
    if (result.interrupted) process.stderr.write(`interrupted: ${result.runs.length - result.outcomes.filter((o) => o.status !== 'interrupted').length} of ${result.runs.length} runs not final; run the same command again to continue (interrupted runs resume from their checkpoints)\n`);
    if (failed.length) process.stderr.write(`${failed.length} run${failed.length === 1 ? '' : 's'} failed; see the error column${store ? ` (SELECT run_id, error FROM runs WHERE status = 'failed')` : ''}; a re-run retries them\n`);
  }
  if (result.interrupted) process.exitCode = 130;
  else if (failed.length) process.exitCode = 1;
}

async function sweepStatusCommand(target: string, opts: { queue: string; out: string; json?: boolean }): Promise<void> {
  let dir: string, runs: ResolvedRun[];
  if (existsSync(join(target, 'sweep.json'))) {
    dir = resolve(target);
    runs = (JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')) as { runs: ResolvedRun[] }).runs;
  } else {
    const options = trainOptionInfo();
    const spec = readSweepSpec(target, options);
    dir = resolve(opts.out, checkRunName(spec.name ?? basename(target, extname(target)), 'the sweep name (spec `name:`, else the spec file name)'));
    runs = expandSweep(spec, options);
  }
  const { openQueue, sweepStatus } = await import('@clt/queue');
  const engine = openQueue(opts.queue);
  let rows;
  try { rows = await sweepStatus(engine, runs, dir); } finally { await engine.close(); }
  if (opts.json) return printJson(rows);
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  process.stdout.write(`${table([['run', 'state', 'failures', 'worker', 'step', 'error'], ...rows.map((r) => [r.id, r.state, String(r.failures), r.worker ?? '', r.step === null ? '' : String(r.step), (r.error ?? '').split('\n')[0]!.slice(0, 80)])])}\n`);
  process.stdout.write(`${runs.length} runs: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')} (${dir})\n`);
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
