import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '@clt/core';
import { runPool, type PoolProgress, type RunOutcome } from './pool.js';
import { expandSweep, type ResolvedRun } from './resolve.js';
import { storeUnavailableReason } from './duckdb.js';
import { recordRunError } from './run-state.js';
import { ingestRuns } from './store.js';
import type { OptionInfo, SweepSpec } from './sweep-spec.js';

/** What {@link runSweep} runs: a sweep spec, the run command's options, the sweep folder and the pool's size. */
export interface SweepOptions {
  /** The sweep before expansion (base, grid, list, seeds). */
  readonly spec: SweepSpec;
  /** The options of the run command (see OptionInfo): defaults and parsers for resolving configs. */
  readonly options: readonly OptionInfo[];
  /** The sweep folder: sweep.json, results.duckdb and runs/<run id>/. */
  readonly dir: string;
  /** Absolute path of the worker module. */
  readonly worker: string;
  /** Runs at once (an integer ≥ 1; `runSweep` rejects anything else). */
  readonly jobs: number;
  /** Called with the pool's counts after every start and end of a run. */
  readonly onProgress?: (p: PoolProgress) => void;
  /** Abort: no new runs start and the running ones are sent SIGINT (they checkpoint and exit). */
  readonly signal?: AbortSignal;
}

/** What {@link runSweep} did: every run of the sweep and how each ended in this invocation. */
export interface SweepResult {
  /** The sweep folder, as an absolute path. */
  readonly dir: string;
  /** Every run of the expanded sweep, in expansion order. */
  readonly runs: readonly ResolvedRun[];
  /** One outcome per run that ended (skipped ones included), in order of ending. */
  readonly outcomes: readonly RunOutcome[];
  /** True when the sweep was aborted; interrupted runs resume on the next invocation. */
  readonly interrupted: boolean;
  /**
   * Why the ended runs were not recorded in the results store: `@duckdb/node-api` is not installed
   * (its error, naming the package). The runs ran all the same; their folders hold every result, and
   * running the sweep again once DuckDB is installed records them without running them again.
   * Undefined when the store was written.
   */
  readonly storeError?: string;
}

/**
 * Expand a spec, run what is not final yet in a local pool, and record every ended run in the
 * store as it ends (the coordinator is the store's only writer). Re-running the same sweep after an
 * interruption continues it: final runs are skipped (and re-ingested, which is idempotent),
 * interrupted ones resume from their checkpoints. Without `@duckdb/node-api` the runs run and
 * nothing is recorded (`storeError` says why).
 */
export async function runSweep(o: SweepOptions): Promise<SweepResult> {
  const dir = resolve(o.dir), runsDir = join(dir, 'runs');
  const runs = expandSweep(o.spec, o.options);
  mkdirSync(runsDir, { recursive: true });
  writeFileAtomic(join(dir, 'sweep.json'), JSON.stringify({ spec: o.spec, runs }, null, 2));
  const noStore = await storeUnavailableReason();
  const { outcomes, interrupted } = await runPool({
    runs, runsDir, worker: o.worker, jobs: o.jobs, ...(o.signal ? { signal: o.signal } : {}), ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    onOutcome: async (run, out) => {
      if (out.status === 'interrupted') return; // not ended: it resumes on the next invocation
      // The run folder keeps a failed run's error (the store may be missing, or read without later).
      recordRunError(join(runsDir, run.id), out);
      if (noStore) return; // no DuckDB: the run folder is the only record
      await ingestRuns(dir, [{ id: run.id, config: run.config, status: out.status, error: out.error, runDir: join(runsDir, run.id) }]);
    },
  });
  return { dir, runs, outcomes, interrupted, ...(noStore ? { storeError: noStore.message } : {}) };
}
