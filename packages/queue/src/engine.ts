/**
 * The job engine behind distributed sweeps, kept small so a second engine can sit beside BullMQ:
 *
 *  - `enqueue` (coordinator): add jobs by id; an id already known to the engine adds nothing;
 *  - `take` (worker): run a handler on jobs as they come, `concurrency` at once;
 *  - `report` (worker, on a taken job): progress for `clt sweep status`;
 *  - complete: the handler's resolved value is the job's result; a thrown error fails the attempt
 *    (retried up to the job's attempts), a `PermanentJobError` fails the job at once, and a
 *    `ReleaseJob` hands it back untouched (a worker shutting down);
 *  - `inspect` (coordinator, status): where each job is, with its result or error once it ended.
 *
 * Delivery is at least once: a job whose worker stops answering is handed to another worker, so a
 * result may arrive twice; the coordinator records by run id, which makes that harmless.
 */
export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'missing';

/** One job as {@link QueueEngine.inspect} sees it: its state, failures, progress and, once ended, result or error. */
export interface JobView<R> {
  /** The job id (for sweeps: the run id). */
  readonly id: string;
  /** Where the job is; `missing` when the engine does not know the id. */
  readonly state: JobState;
  /** Attempts that ended in an error so far. */
  readonly failures: number;
  /** The last `report`ed progress, if any. */
  readonly progress: Record<string, unknown> | null;
  /** The handler's result, once `done`. */
  readonly result?: R;
  /** The last error (the final one when `failed`). */
  readonly error?: string;
}

/** A job handed to a worker's handler by {@link QueueEngine.take}. */
export interface TakenJob<D> {
  /** The job id given at `enqueue` (for sweeps: the run id). */
  readonly id: string;
  /** The payload as enqueued; untrusted: check it before use (see `checkJobData`). */
  readonly data: D;
  /** How many times the job was handed to a worker (> 1: an earlier worker failed or stopped answering). */
  readonly deliveries: number;
  /** Store progress for `inspect` (JSON data, replacing the previous report). */
  report(progress: Record<string, unknown>): Promise<void>;
}

/** Thrown by a handler: the job can never succeed (e.g. an invalid payload); no retries. */
export class PermanentJobError extends Error {
  constructor(message: string) { super(message); this.name = 'PermanentJobError'; }
}

/** Thrown by a handler: give the job back to the queue without counting an attempt (the worker is stopping). */
export class ReleaseJob extends Error {
  constructor(message = 'the worker is stopping') { super(message); this.name = 'ReleaseJob'; }
}

/** Retry policy of the jobs added by {@link QueueEngine.enqueue}. */
export interface EnqueueOptions {
  /** Attempts per job before it is failed (≥ 1). */
  readonly attempts: number;
  /** Milliseconds before the first retry; doubles each time. */
  readonly backoffMs: number;
}

/** How a worker takes jobs in {@link QueueEngine.take}. */
export interface TakeOptions {
  /** Handlers running at once (an integer ≥ 1). */
  readonly concurrency: number;
  /** Resolve `take` after this aborts: no new jobs; running handlers are awaited. */
  readonly signal: AbortSignal;
  /** A job whose worker is silent this long is handed to another worker. */
  readonly stallMs: number;
}

/**
 * A job queue with payload type D and result type R, as distributed sweeps use it (see the contract
 * above {@link JobState}); {@link BullmqEngine} implements it on Redis, `openQueue` opens one from a URL.
 */
export interface QueueEngine<D, R> {
  /** Where the queue is, password removed: the only form that may be printed or stored. */
  readonly where: string;
  /** Fail fast with a clear error when the queue cannot be reached. */
  check(): Promise<void>;
  /** Add jobs by id; ids the engine already holds are left as they are. Returns how many were added. */
  enqueue(jobs: readonly { id: string; data: D }[], o: EnqueueOptions): Promise<number>;
  /** Run `handler` on jobs as they arrive until `o.signal` aborts; resolves once the running handlers have ended. */
  take(handler: (job: TakenJob<D>) => Promise<R>, o: TakeOptions): Promise<void>;
  /** The view of each id (unknown ids as `missing`), keyed by id. */
  inspect(ids: readonly string[]): Promise<Map<string, JobView<R>>>;
  /** Put failed jobs back in the queue with fresh attempts; returns how many were failed. */
  retry(ids: readonly string[]): Promise<number>;
  /** Called with a line when the connection is lost or back (for the user; never holds credentials). */
  onConnection(listener: (line: string) => void): void;
  /** Close the engine's connections; the jobs stay in the queue. */
  close(): Promise<void>;
}
