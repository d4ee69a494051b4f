import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedRun } from './resolve.js';
import { readSummary, runState, type FinalStatus } from './run-state.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

/** How one run of a sweep ended in this invocation. */
export interface RunOutcome {
  readonly id: string;
  /** `failed`: the run raised an error or its process died; `interrupted`: stopped by the sweep's Ctrl-C. */
  readonly status: FinalStatus | 'failed' | 'interrupted';
  /** skipped: final already; fresh, resumed (from its checkpoint) or restarted (no checkpoint yet). */
  readonly action: 'skipped' | 'fresh' | 'resumed' | 'restarted';
  readonly error: string | null;
  /** Wall seconds of this invocation's process (0 when skipped). */
  readonly seconds: number;
}

/** Counts of a pool's runs, reported after every start and end through {@link PoolOptions.onProgress}. */
export interface PoolProgress {
  /** Runs of the sweep, skipped ones included. */
  readonly total: number;
  /** Runs that ended with a final status (completed, diverged, stalled), skipped ones included. */
  readonly done: number;
  /** Worker processes running now. */
  readonly running: number;
  /** Runs that failed (error or dead process) in this invocation. */
  readonly failed: number;
  /** Runs waiting for a free slot. */
  readonly queued: number;
  /** Seconds left, from the mean wall time of runs finished in this invocation; null before the first. */
  readonly etaSeconds: number | null;
}

/** What {@link runPool} runs, where, how many at once, and whom it tells. */
export interface PoolOptions {
  /** The expanded runs of the sweep (see `expandSweep`), each with its id and resolved config. */
  readonly runs: readonly ResolvedRun[];
  /** Folder of run folders: run `id` lives in `<runsDir>/<id>`. */
  readonly runsDir: string;
  /** Absolute path of the worker module (it calls `serveWorker`). */
  readonly worker: string;
  /** Runs at once (≥ 1). */
  readonly jobs: number;
  /** Called once per run as it ends (also for skipped runs), in order of ending; awaited, one at a time. */
  readonly onOutcome?: (run: ResolvedRun, outcome: RunOutcome) => void | Promise<void>;
  /** Called with the counts after every start and end of a run. */
  readonly onProgress?: (p: PoolProgress) => void;
  /** Abort: no new runs start, running ones get SIGINT (they checkpoint and exit), the pool resolves. */
  readonly signal?: AbortSignal;
  /** Node options of the worker processes (default: none, not the parent's). */
  readonly execArgv?: readonly string[];
}

const STDERR_TAIL = 2000;

/**
 * Run a sweep's runs in a local process pool, `jobs` at once, one forked process per run.
 * A run whose folder holds a final summary is never run again; one with a checkpoint resumes;
 * one stopped before its first checkpoint starts over. Resolves when every run has ended or,
 * after an abort, when the running ones have stopped.
 */
export async function runPool(o: PoolOptions): Promise<{ outcomes: RunOutcome[]; interrupted: boolean }> {
  if (!Number.isInteger(o.jobs) || o.jobs < 1) throw new Error(`--jobs must be an integer >= 1, got ${o.jobs}`);
  mkdirSync(o.runsDir, { recursive: true });
  const outcomes: RunOutcome[] = [], queue: ResolvedRun[] = [];
  const children = new Set<ChildProcess>();
  let failed = 0, doneCount = 0, runSeconds = 0, ranCount = 0;
  let report: Promise<void> = Promise.resolve(), reportError: unknown;
  const record = (run: ResolvedRun, out: RunOutcome) => {
    outcomes.push(out);
    if (out.status === 'failed') failed++;
    else if (out.status !== 'interrupted') doneCount++;
    if (out.action !== 'skipped' && out.status !== 'interrupted') { runSeconds += out.seconds; ranCount++; }
    // The first failure of onOutcome (e.g. the store) is kept and thrown once the running runs have ended.
    report = report.then(() => o.onOutcome?.(run, out)).catch((e: unknown) => { reportError ??= e; });
    progress();
  };
  const progress = () => {
    const queued = queue.length, running = children.size, left = queued + running;
    const eta = ranCount === 0 ? null : (runSeconds / ranCount) * Math.ceil(left / o.jobs);
    o.onProgress?.({ total: o.runs.length, done: doneCount, running, failed, queued, etaSeconds: eta });
  };
  const skipped: [ResolvedRun, RunOutcome][] = [];
  for (const run of o.runs) {
    const s = runState(join(o.runsDir, run.id));
    if (s.kind === 'done') skipped.push([run, { id: run.id, status: s.status, action: 'skipped', error: null, seconds: 0 }]);
    else queue.push(run);
  }
  for (const [run, out] of skipped) record(run, out); // after the queue is known, so progress counts are right
  const aborted = () => o.signal?.aborted === true;
  const onAbort = () => { for (const c of children) c.kill('SIGINT'); };
  o.signal?.addEventListener('abort', onAbort);
  try {
    await new Promise<void>((resolveAll) => {
      const next = () => {
        if (children.size === 0 && (queue.length === 0 || aborted())) return resolveAll();
        while (!aborted() && children.size < o.jobs && queue.length > 0) launch(queue.shift()!);
        progress();
      };
      const launch = (run: ResolvedRun) => {
        const s = runState(join(o.runsDir, run.id));
        const action = s.kind === 'resumable' ? 'resumed' : s.kind === 'restart' ? 'restarted' : 'fresh';
        const started = Date.now();
        const child = fork(o.worker, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [...(o.execArgv ?? [])] });
        children.add(child);
        let reply: WorkerReply | undefined, stderr = '';
        child.stderr?.on('data', (b: Buffer) => { stderr = (stderr + b.toString()).slice(-STDERR_TAIL); });
        child.on('message', (m: WorkerReply) => { reply = m; });
        const req: WorkerRequest = { type: 'run', id: run.id, config: run.config, runsDir: o.runsDir, resume: s.kind === 'resumable', overwrite: s.kind === 'restart' };
        child.send(req);
        let ended = false;
        const end = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
          if (ended) return;
          ended = true;
          children.delete(child);
          const seconds = (Date.now() - started) / 1000;
          record(run, outcomeOf(run.id, join(o.runsDir, run.id), action, seconds, reply, code, signal, stderr, aborted(), spawnError));
          next();
        };
        child.on('error', (e) => end(null, null, e));
        child.on('exit', (code, signal) => end(code, signal));
      };
      next();
    });
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  await report;
  if (reportError !== undefined) throw reportError;
  return { outcomes, interrupted: aborted() };
}

/** Decide a run's outcome from its folder (the truth), the worker's reply and how its process ended. */
function outcomeOf(id: string, runDir: string, action: RunOutcome['action'], seconds: number, reply: WorkerReply | undefined,
  code: number | null, signal: NodeJS.Signals | null, stderr: string, aborted: boolean, spawnError?: Error): RunOutcome {
  const s = runState(runDir);
  if (s.kind === 'done') return { id, status: s.status, action, error: reply?.type === 'error' ? reply.message : null, seconds };
  // SIGINT handled by the run exits 130; a kill by the signal itself ends with signal SIGINT.
  if (aborted && (code === 130 || signal === 'SIGINT' || reply === undefined)) return { id, status: 'interrupted', action, error: null, seconds };
  const why = spawnError ? `the worker could not start: ${spawnError.message}`
    : reply?.type === 'error' ? reply.message
    : reply?.type === 'done' ? `the run reported status ${JSON.stringify(reply.summary.status)} but left no final summary.json (${readSummary(runDir) ? 'it is not final' : 'missing'})`
    : `the worker process ended with ${signal ? `signal ${signal}` : `exit code ${code}`} before reporting${stderr.trim() ? `; its last output:\n${stderr.trim()}` : ''}`;
  return { id, status: 'failed', action, error: why, seconds };
}
