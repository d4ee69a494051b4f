import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '@clt/core';
import {
  expandSweep, ingestRuns, query, recordRunError, runState, STORE_FILE, storeUnavailableReason,
  type OptionInfo, type PoolProgress, type ResolvedRun, type RunOutcome, type SweepResult, type SweepSpec,
} from '@clt/experiments';
import type { JobView, QueueEngine } from './engine.js';
import { checkJobData, checkJobResult, runJobData, type RunJobData, type RunJobResult } from './payload.js';

/** What {@link runDistributedSweep} runs through the queue, where it records results, and whom it tells. */
export interface DistributedSweepOptions {
  /** The sweep before expansion. */
  readonly spec: SweepSpec;
  /** The run command's options (defaults and parsers), as for `runSweep`; the workers resolve with the same. */
  readonly options: readonly OptionInfo[];
  /** The caller's own refusals of a config (the same hook the workers use), applied before anything is queued. */
  readonly checkConfig?: (config: Readonly<Record<string, unknown>>) => void;
  /** The sweep folder: sweep.json, results.duckdb and runs/<run id>/ (summary.json and metrics.jsonl as the workers sent them). */
  readonly dir: string;
  /** The queue (e.g. from `openQueue`). */
  readonly engine: QueueEngine<RunJobData, RunJobResult>;
  /** Attempts per run before it is failed. */
  readonly attempts: number;
  /** Milliseconds before a failed run's first retry, doubling each time. Default 2000. */
  readonly backoffMs?: number;
  /** Milliseconds between polls of the queue for the pending runs. Default 500. */
  readonly pollMs?: number;
  /** Called once the runs are checked and the queue answered, before anything is queued. */
  readonly onStart?: () => void;
  /** Called with the counts of the sweep's runs as they change, as the local pool reports them. */
  readonly onProgress?: (p: PoolProgress) => void;
  /** Lines for the user: connection lost and back, invalid results. */
  readonly onNotice?: (line: string) => void;
  /** Stop following: the coordinator returns with the pending runs `interrupted`; the queued and running jobs carry on. */
  readonly signal?: AbortSignal;
}

/**
 * The coordinator of a sweep on many machines: expand the spec, queue every run that is not final
 * (job id = run id, so queueing again adds nothing), and follow the jobs until every run has ended,
 * writing each result into the sweep's store as it arrives. The coordinator is the store's only
 * writer, and it records a run once: a run already final in the sweep folder is not recorded again,
 * and a result delivered twice finds its run final. Stopping it (signal) leaves the jobs running on
 * the workers; running it again picks up the results. Jobs that failed in an earlier invocation are
 * retried, as the local pool retries failed runs.
 */
export async function runDistributedSweep(o: DistributedSweepOptions): Promise<SweepResult> {
  const dir = resolve(o.dir), runsDir = join(dir, 'runs');
  const runs = expandSweep(o.spec, o.options);
  // The workers refuse what this refuses, so say it now rather than after a round trip per run.
  for (const r of runs) {
    try { checkJobData(runJobData(r), o.options, o.checkConfig); } catch (e) { throw new Error(`run ${r.id} cannot go through the queue: ${(e as Error).message}`); }
  }
  await o.engine.check();
  o.onStart?.();
  mkdirSync(runsDir, { recursive: true });
  writeFileAtomic(join(dir, 'sweep.json'), JSON.stringify({ spec: o.spec, runs }, null, 2));
  const notice = (line: string) => o.onNotice?.(line);
  o.engine.onConnection(notice);

  // Without @duckdb/node-api the runs go through the queue all the same, and nothing is recorded:
  // the mirrored run folders hold the results (a later run of the same command records them).
  const noStore = await storeUnavailableReason();
  const record = noStore ? async () => {} : ingestRuns;
  const stored = noStore ? new Set<string>() : await storedRuns(dir);
  const outcomes: RunOutcome[] = [], pending = new Map<string, ResolvedRun>();
  let failed = 0, done = 0, running = 0, secondsSum = 0, secondsN = 0;
  const progress = (queued: number) => {
    const left = pending.size;
    const eta = secondsN === 0 ? null : (secondsSum / secondsN) * Math.ceil(left / Math.max(1, running));
    o.onProgress?.({ total: runs.length, done, running, failed, queued, etaSeconds: eta });
  };
  const unrecorded: { run: ResolvedRun; status: string }[] = [];
  for (const run of runs) {
    const s = runState(join(runsDir, run.id));
    if (s.kind !== 'done') { pending.set(run.id, run); continue; }
    // Final here already (an earlier invocation mirrored it): recorded unless the store lost it.
    if (!stored.has(run.id)) unrecorded.push({ run, status: s.status });
    outcomes.push({ id: run.id, status: s.status, action: 'skipped', error: null, seconds: 0 });
    done++;
  }
  await record(dir, unrecorded.map(({ run, status }) => ({ id: run.id, config: run.config, status, error: null, runDir: join(runsDir, run.id) })));
  const retried = await o.engine.retry([...pending.keys()]);
  if (retried) notice(`${retried} run${retried === 1 ? '' : 's'} that failed before ${retried === 1 ? 'goes' : 'go'} back in the queue`);
  await o.engine.enqueue([...pending.values()].map((r) => ({ id: r.id, data: runJobData(r) })), { attempts: o.attempts, backoffMs: o.backoffMs ?? 2000 });
  progress(pending.size);

  const aborted = () => o.signal?.aborted === true;
  let outage = false;
  while (pending.size > 0 && !aborted()) {
    let views: Map<string, JobView<RunJobResult>>;
    try {
      views = await untilAborted(o.engine.inspect([...pending.keys()]), o.signal);
      outage = false;
    } catch (e) {
      if (aborted()) break;
      if (!outage) notice(`cannot read the queue at ${o.engine.where}: ${(e as Error).message}; retrying (Ctrl-C stops; the same command continues later)`);
      outage = true;
      await sleep(o.pollMs ?? 500, o.signal);
      continue;
    }
    running = 0;
    let queued = 0;
    // The runs that ended since the last look: written to the store in one transaction, then taken off `pending`.
    const ended: { run: ResolvedRun; status: string; error: string | null; outcome: RunOutcome }[] = [];
    const lost: ResolvedRun[] = [];
    for (const [id, run] of pending) {
      const v = views.get(id);
      if (!v || v.state === 'missing') {
        // Gone from the queue (e.g. Redis restarted without persistence): queue it again.
        lost.push(run);
        queued++;
      } else if (v.state === 'queued') queued++;
      else if (v.state === 'running') running++;
      else if (v.state === 'done') {
        let result: RunJobResult;
        try {
          result = checkJobResult(v.result);
        } catch (e) {
          const why = `the worker's result is invalid: ${(e as Error).message}`;
          notice(`run ${id}: ${why}`);
          ended.push({ run, status: 'failed', error: why, outcome: { id, status: 'failed', action: 'fresh', error: why, seconds: 0 } });
          continue;
        }
        mirror(join(runsDir, id), result);
        const s = runState(join(runsDir, id));
        const status = s.kind === 'done' ? s.status : 'failed';
        const error = s.kind === 'done' ? result.error : `the worker reported ${JSON.stringify(result.status)} but sent no final summary`;
        ended.push({ run, status, error, outcome: { id, status, action: result.action as RunOutcome['action'], error, seconds: result.seconds } });
        secondsSum += result.seconds; secondsN++;
      } else {
        const error = v.error ?? 'the run failed';
        ended.push({ run, status: 'failed', error, outcome: { id, status: 'failed', action: 'fresh', error, seconds: 0 } });
      }
    }
    if (lost.length > 0) {
      try {
        await o.engine.enqueue(lost.map((r) => ({ id: r.id, data: runJobData(r) })), { attempts: o.attempts, backoffMs: o.backoffMs ?? 2000 });
      } catch { /* the queue went away again: the next look finds them missing still */ }
    }
    if (ended.length > 0) {
      // One writer, one transaction per look; a run is taken off `pending` only once it is in the store,
      // and a run already final here is never recorded again (a restarted coordinator skips it above).
      for (const e of ended) recordRunError(join(runsDir, e.run.id), e);
      await record(dir, ended.map((e) => ({ id: e.run.id, config: e.run.config, status: e.status, error: e.error, runDir: join(runsDir, e.run.id) })));
      for (const e of ended) {
        outcomes.push(e.outcome);
        if (e.status === 'failed') failed++; else done++;
        pending.delete(e.run.id);
      }
    }
    progress(queued);
    if (pending.size > 0) await sleep(o.pollMs ?? 500, o.signal);
  }
  for (const id of pending.keys()) outcomes.push({ id, status: 'interrupted', action: 'fresh', error: null, seconds: 0 });
  return { dir, runs, outcomes, interrupted: pending.size > 0, ...(noStore ? { storeError: noStore.message } : {}) };
}

/** Run ids already in the store (none when it does not exist yet). */
async function storedRuns(dir: string): Promise<Set<string>> {
  if (!existsSync(join(dir, STORE_FILE))) return new Set();
  try {
    return new Set((await query(dir, 'SELECT run_id FROM runs')).rows.map((r) => String(r.run_id)));
  } catch {
    return new Set(); // no runs table yet
  }
}


/** Write a worker's files into the coordinator's run folder: metrics first, the summary (which makes the run final) last. */
function mirror(runDir: string, r: RunJobResult): void {
  mkdirSync(runDir, { recursive: true });
  if (r.metrics !== null) writeFileAtomic(join(runDir, 'metrics.jsonl'), r.metrics);
  if (r.summary !== null) writeFileAtomic(join(runDir, 'summary.json'), JSON.stringify(r.summary, null, 2));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((res) => {
    const t = setTimeout(done, ms);
    function done() { clearTimeout(t); signal?.removeEventListener('abort', done); res(); }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** A promise that also settles (rejects) when the signal aborts, so Ctrl-C is prompt while Redis is away. */
function untilAborted<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((res, rej) => {
    const onAbort = () => rej(new Error('stopped'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then((v) => { signal.removeEventListener('abort', onAbort); res(v); }, (e: unknown) => { signal.removeEventListener('abort', onAbort); rej(e as Error); });
  });
}
