import { canonicalJson, checkSpec, expandSweep, NON_CONFIG_KEYS, RUN_ID_LENGTH, type OptionInfo, type ResolvedRun } from '@clt/experiments';

/**
 * What travels through the queue. A job is data: a run id and the run's resolved config. A worker
 * trusts neither: it re-resolves the config with the same resolver `clt sweep` uses and requires the
 * id to be that config's hash, so a job can only ever ask for a run a sweep spec could have made.
 * Where a run writes is the worker's choice (its runs folder + the checked id), never the job's.
 */
export interface RunJobData {
  readonly v: 1;
  readonly id: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/** A finished run as a worker hands it back: the coordinator writes the two files into its own run folder. */
export interface RunJobResult {
  readonly status: string;
  readonly error: string | null;
  /** How this delivery ran it: fresh, resumed (from a checkpoint in the shared folder), restarted or skipped (already final there). */
  readonly action: string;
  readonly seconds: number;
  /** summary.json of the run. */
  readonly summary: Record<string, unknown> | null;
  /** metrics.jsonl of the run (the probe records go into the store), or null when too large to carry. */
  readonly metrics: string | null;
  /** host:pid of the worker process that ran it. */
  readonly worker: string;
}

/** Largest config (as JSON) a job may carry; real ones are about 1 KB. */
const MAX_CONFIG_BYTES = 64 * 1024;
/** Largest metrics.jsonl carried back in a result; a run with more probe records keeps them on its worker. */
export const MAX_METRICS_BYTES = 32 * 1024 * 1024;

/** The queue payload of a resolved run: `{ v: 1, id, config }`, data only. */
export function runJobData(run: ResolvedRun): RunJobData {
  return { v: 1, id: run.id, config: run.config };
}

/**
 * Check a job's payload and return the run it stands for, resolved by the same resolver as
 * `clt sweep`. `checkConfig` adds the caller's own refusals (for clt: code modules and data files).
 * Throws a message saying what is wrong; the caller fails the job without retries.
 */
export function checkJobData(data: unknown, options: readonly OptionInfo[], checkConfig?: (config: Readonly<Record<string, unknown>>) => void): ResolvedRun {
  if (!isPlainObject(data)) throw new Error('the job payload is not an object');
  const keys = Object.keys(data).sort().join(',');
  if (keys !== 'config,id,v' || data.v !== 1) throw new Error(`the job payload must be {v: 1, id, config}, got keys ${keys}`);
  const id = data.id;
  if (typeof id !== 'string' || !new RegExp(`^[0-9a-f]{${RUN_ID_LENGTH}}$`).test(id)) throw new Error(`the run id ${JSON.stringify(id)?.slice(0, 40)} is not ${RUN_ID_LENGTH} hex digits`);
  const config = data.config;
  if (!isPlainObject(config)) throw new Error('the config is not an object');
  if (JSON.stringify(config).length > MAX_CONFIG_BYTES) throw new Error(`the config is larger than ${MAX_CONFIG_BYTES} bytes`);
  for (const [k, v] of Object.entries(config)) {
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(k)) throw new Error(`the config key ${JSON.stringify(k).slice(0, 40)} is not an option name`);
    if ((NON_CONFIG_KEYS as readonly string[]).includes(k)) throw new Error(`the config sets "${k}", which only the worker decides`);
    if (!(typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)))) throw new Error(`the config value of ${k} is not a string, a finite number or a boolean`);
  }
  checkConfig?.(config);
  const { seed, ...base } = config;
  let runs: ResolvedRun[];
  try {
    runs = expandSweep(checkSpec({ base, grid: {}, seeds: [seed ?? 0] }, options), options);
  } catch (e) {
    throw new Error(`the config is not a valid run: ${(e as Error).message}`);
  }
  const run = runs[0]!;
  if (runs.length !== 1 || run.id !== id) throw new Error(`the run id ${id} is not the hash of its config (that config's id is ${run.id})`);
  if (canonicalJson(run.config) !== canonicalJson(config)) throw new Error(`the config of run ${id} is not in resolved form`);
  return run;
}

/** Check a result as the coordinator receives it (a worker of another version or a corrupt job must not write junk). */
export function checkJobResult(r: unknown): RunJobResult {
  if (!isPlainObject(r)) throw new Error('the result is not an object');
  const str = (k: string, nullable = false) => {
    const v = r[k];
    if (typeof v === 'string' || (nullable && v === null)) return v as string;
    throw new Error(`the result's ${k} is not a string`);
  };
  const summary = r.summary;
  if (summary !== null && !isPlainObject(summary)) throw new Error("the result's summary is not an object");
  const seconds = typeof r.seconds === 'number' && Number.isFinite(r.seconds) ? r.seconds : 0;
  return { status: str('status'), error: str('error', true), action: str('action'), seconds, summary, metrics: str('metrics', true), worker: str('worker') };
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && Object.getPrototypeOf(x) === Object.prototype;
}
