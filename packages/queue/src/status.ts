import { join } from 'node:path';
import { runState, type ResolvedRun } from '@clt/experiments';
import type { QueueEngine } from './engine.js';
import type { RunJobData, RunJobResult } from './payload.js';

/** One run of a distributed sweep as {@link sweepStatus} reports it. */
export interface RunStatus {
  /** The run id. */
  readonly id: string;
  /** From the queue; `recorded` when the queue does not know the run but the sweep folder holds it as final; `not queued` otherwise. */
  readonly state: 'queued' | 'running' | 'done' | 'failed' | 'recorded' | 'not queued';
  /** Failed attempts so far (a queued run with failures is waiting for its retry). */
  readonly failures: number;
  /** host:pid of the worker running or that ran it. */
  readonly worker: string | null;
  /** The last step a running run reported. */
  readonly step: number | null;
  /** The last error of a failed attempt, if any. */
  readonly error: string | null;
}

/** Where each run of a sweep is: in the queue (queued, running, done, failed) or only in the sweep folder. */
export async function sweepStatus(engine: QueueEngine<RunJobData, RunJobResult>, runs: readonly ResolvedRun[], sweepDir?: string): Promise<RunStatus[]> {
  await engine.check();
  const views = await engine.inspect(runs.map((r) => r.id));
  return runs.map((r): RunStatus => {
    const v = views.get(r.id);
    const final = sweepDir !== undefined && runState(join(sweepDir, 'runs', r.id)).kind === 'done';
    if (!v || v.state === 'missing') return { id: r.id, state: final ? 'recorded' : 'not queued', failures: 0, worker: null, step: null, error: null };
    const worker = v.state === 'done' && v.result ? v.result.worker : typeof v.progress?.worker === 'string' ? v.progress.worker : null;
    const step = v.state === 'running' && typeof v.progress?.step === 'number' ? v.progress.step : null;
    return { id: r.id, state: v.state, failures: v.failures, worker, step, error: v.error ?? null };
  });
}
