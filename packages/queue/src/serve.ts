import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RUN_LOCK_FILE } from '@clt/core';
import { readSummary, runPool, type OptionInfo, type RunOutcome } from '@clt/experiments';
import { PermanentJobError, ReleaseJob, type QueueEngine } from './engine.js';
import { checkJobData, MAX_METRICS_BYTES, type RunJobData, type RunJobResult } from './payload.js';

/** What a queue worker ({@link serveQueue}) takes runs from, how it checks and runs them, and where. */
export interface ServeOptions {
  /** The queue to take runs from. */
  readonly engine: QueueEngine<RunJobData, RunJobResult>;
  /** The run command's options: the resolver that checks every job's config. */
  readonly options: readonly OptionInfo[];
  /** The caller's own refusals of a config (throws a message). */
  readonly checkConfig?: (config: Readonly<Record<string, unknown>>) => void;
  /** The module forked for each run: the same one the local pool forks, so a run is the same run either way. */
  readonly runWorker: string;
  /** Run folders live in `<runsDir>/<run id>`. */
  readonly runsDir: string;
  /** runsDir is shared between workers (`--shared-dir`): a run handed over after a worker died resumes there. */
  readonly shared: boolean;
  /** Runs at once (an integer ≥ 1). */
  readonly jobs: number;
  /** Milliseconds a worker may be silent before its runs are handed to another worker. */
  readonly stallMs: number;
  /** Stop taking runs: running ones get SIGINT, checkpoint and go back to the queue. */
  readonly signal: AbortSignal;
  /** Lines for the user: runs started, ended, refused. */
  readonly onEvent?: (line: string) => void;
  /** Milliseconds between progress reports of a running run. */
  readonly progressMs?: number;
  /** Node options of the run processes (default: none). */
  readonly execArgv?: readonly string[];
}

/**
 * A worker: take runs from the queue until `signal` aborts, each in its own process through the
 * local pool's code (skip if final, resume from a checkpoint, else start), and hand back the
 * summary and metrics. On abort, running runs get SIGINT, checkpoint, and go back to the queue.
 */
export async function serveQueue(o: ServeOptions): Promise<void> {
  mkdirSync(o.runsDir, { recursive: true });
  const me = `${hostname()}:${process.pid}`;
  const event = (line: string) => o.onEvent?.(line);
  await o.engine.take(async (job) => {
    let run;
    try {
      run = checkJobData(job.data, o.options, o.checkConfig);
    } catch (e) {
      event(`refused job ${JSON.stringify(job.id).slice(0, 40)}: ${(e as Error).message}`);
      throw new PermanentJobError(`invalid job: ${(e as Error).message}`);
    }
    // The job id is what the coordinator looks the result up by: it must be the run id too.
    if (job.id !== run.id) throw new PermanentJobError(`invalid job: its job id ${JSON.stringify(job.id).slice(0, 40)} is not its run id ${run.id}`);
    const runDir = join(o.runsDir, run.id);
    if (o.shared && job.deliveries > 1) clearForeignLock(runDir, event);
    const report = () => job.report({ worker: me, step: lastStep(runDir), deliveries: job.deliveries }).catch(() => { /* progress is best effort */ });
    await report();
    const ticker = setInterval(() => void report(), o.progressMs ?? 2000);
    event(`run ${run.id}: started (delivery ${job.deliveries})`);
    let outcome: RunOutcome | undefined;
    try {
      outcome = (await runPool({ runs: [run], runsDir: o.runsDir, worker: o.runWorker, jobs: 1, signal: o.signal, ...(o.execArgv ? { execArgv: o.execArgv } : {}) })).outcomes[0];
    } finally {
      clearInterval(ticker);
    }
    if (!outcome || outcome.status === 'interrupted') {
      event(`run ${run.id}: handed back to the queue (this worker is stopping)`);
      throw new ReleaseJob();
    }
    if (outcome.status === 'failed') {
      event(`run ${run.id}: failed: ${(outcome.error ?? '').split('\n')[0]}`);
      throw new Error(outcome.error ?? 'the run failed');
    }
    event(`run ${run.id}: ${outcome.status} (${outcome.action}, ${outcome.seconds.toFixed(1)} s)`);
    return { status: outcome.status, error: outcome.error, action: outcome.action, seconds: outcome.seconds, summary: readSummary(runDir) ?? null, metrics: readMetrics(runDir), worker: me };
  }, { concurrency: o.jobs, signal: o.signal, stallMs: o.stallMs });
}

function readMetrics(runDir: string): string | null {
  const path = join(runDir, 'metrics.jsonl');
  if (!existsSync(path) || statSync(path).size > MAX_METRICS_BYTES) return null;
  return readFileSync(path, 'utf8');
}

/**
 * In a shared folder, a run handed over by the queue may still hold the lock of the worker that
 * died on another host (core can only check for dead processes on its own host). The queue took
 * the job from that worker after it stopped renewing its lease, so its lock is stale: remove it.
 */
function clearForeignLock(runDir: string, event: (line: string) => void): void {
  const path = join(runDir, RUN_LOCK_FILE);
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as { hostname?: unknown; pid?: unknown };
    if (h.hostname === hostname()) return;
    unlinkSync(path);
    event(`run folder ${runDir}: removed the stale lock of process ${String(h.pid)} on ${String(h.hostname)} (the queue handed its run here)`);
  } catch { /* no lock, or gone already */ }
}

/** The step of the last record in a run's metrics.jsonl (read from its tail), or null. */
export function lastStep(runDir: string): number | null {
  const path = join(runDir, 'metrics.jsonl');
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = statSync(path).size, len = Math.min(size, 8192), buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n').filter((l) => l.trim() !== '');
    for (let i = lines.length - 1; i >= 0; i--) {
      const m = /"step":(\d+)/.exec(lines[i]!);
      if (m) return Number(m[1]);
    }
    return null;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
