import { Queue, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { isIP } from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';
import type { EnqueueOptions, JobState, JobView, QueueEngine, TakenJob, TakeOptions } from './engine.js';
import { PermanentJobError, ReleaseJob } from './engine.js';
import type { QueueAddress } from './url.js';

/** Key prefix of every clt queue in Redis (BullMQ's own default is `bull`). */
const PREFIX = 'clt';
/** A job that stalled (its worker went silent) more often than this is failed instead of handed out again. */
const MAX_STALLS = 3;
/** Jobs per round trip when adding or inspecting many. */
const BATCH = 500;
/**
 * BullMQ's job id of an engine id: BullMQ refuses ids that read as integers, and a run id (12 hex
 * digits) is all decimal digits about once in 280 runs, so every id gets the same fixed prefix.
 */
const jobId = (id: string) => `run-${id}`;
const engineId = (jid: string) => jid.startsWith('run-') ? jid.slice(4) : jid;

/** ioredis options of an address: credentials and TLS from the URL, reconnecting for ever with a capped delay. */
export function redisOptions(a: QueueAddress): RedisOptions {
  return {
    host: a.host, port: a.port, db: a.db,
    ...(a.username !== undefined ? { username: a.username } : {}), ...(a.password !== undefined ? { password: a.password } : {}),
    // rediss://: TLS with the server's certificate checked (Node's defaults), against the host name when it is one.
    ...(a.tls ? { tls: isIP(a.host) ? {} : { servername: a.host } } : {}),
    // BullMQ's blocking calls need requests that wait out a reconnect rather than fail.
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(250 * times, 3000),
    connectionName: 'clt',
  };
}

/**
 * The BullMQ engine: one BullMQ queue named by the URL's `?queue=` (default clt-runs), jobs named
 * `run` with job id `run-<run id>`, results as BullMQ return values. Completed and failed jobs are kept,
 * so a restarted coordinator, `clt sweep status` and a second sweep of the same runs find them.
 */
export class BullmqEngine<D, R> implements QueueEngine<D, R> {
  readonly where: string;
  private readonly clients: Redis[] = [];
  private queueObj: Queue | undefined;
  private readonly listeners: ((line: string) => void)[] = [];
  private lost = false;

  constructor(private readonly address: QueueAddress) {
    this.where = `${address.redacted} (queue ${address.queue})`;
  }

  async check(): Promise<void> {
    const c = new Redis({ ...redisOptions(this.address), lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 5000 });
    // The first error says why (refused, WRONGPASS, TLS); connect() itself may only say "Connection is closed."
    let first: Error | undefined;
    c.on('error', (e: Error) => { first ??= e; });
    try {
      await c.connect();
      await c.ping();
    } catch (e) {
      throw new Error(`cannot reach the queue at ${this.address.redacted}: ${(first ?? e as Error).message}; start Redis there (or fix --queue), then run the same command again`);
    } finally {
      c.disconnect();
    }
  }

  private client(): Redis {
    const c = new Redis({ ...redisOptions(this.address), enableAutoPipelining: true });
    // Without an error listener ioredis prints every reconnect failure itself; this says it once per outage.
    c.on('error', (e: Error) => this.connectionLost(e.message));
    c.on('close', () => this.connectionLost('connection closed'));
    c.on('ready', () => {
      if (!this.lost) return;
      this.lost = false;
      for (const l of this.listeners) l(`the queue at ${this.address.redacted} is back`);
    });
    this.clients.push(c);
    return c;
  }

  private connectionLost(why: string): void {
    if (this.lost || this.clients.length === 0) return;
    this.lost = true;
    for (const l of this.listeners) l(`lost the queue at ${this.address.redacted} (${why}); retrying until it is back`);
  }

  onConnection(listener: (line: string) => void): void {
    this.listeners.push(listener);
  }

  private queue(): Queue {
    if (!this.queueObj) {
      this.queueObj = new Queue(this.address.queue, { connection: this.client(), prefix: PREFIX });
      // Without a listener the queue prints connection errors itself, stack and all.
      this.queueObj.on('error', (e: Error) => this.connectionLost(e.message));
    }
    return this.queueObj;
  }

  async enqueue(jobs: readonly { id: string; data: D }[], o: EnqueueOptions): Promise<number> {
    if (!Number.isInteger(o.attempts) || o.attempts < 1) throw new Error(`--attempts must be an integer >= 1, got ${o.attempts}`);
    const q = this.queue();
    let added = 0;
    for (let i = 0; i < jobs.length; i += BATCH) {
      const chunk = jobs.slice(i, i + BATCH);
      const known = await Promise.all(chunk.map((j) => q.getJobState(jobId(j.id))));
      const fresh = chunk.filter((_, k) => known[k] === 'unknown');
      // A job id BullMQ already holds is left as it is, so adding is idempotent even when two coordinators race.
      await q.addBulk(fresh.map((j) => ({
        name: 'run', data: j.data,
        opts: { jobId: jobId(j.id), attempts: o.attempts, backoff: { type: 'exponential', delay: o.backoffMs }, removeOnComplete: false, removeOnFail: false },
      })));
      added += fresh.length;
    }
    return added;
  }

  async take(handler: (job: TakenJob<D>) => Promise<R>, o: TakeOptions): Promise<void> {
    if (!Number.isInteger(o.concurrency) || o.concurrency < 1) throw new Error(`--jobs must be an integer >= 1, got ${o.concurrency}`);
    const worker = new Worker<D, R>(this.address.queue, async (job: Job<D, R>, token?: string) => {
      const taken: TakenJob<D> = {
        id: engineId(job.id!), data: job.data, deliveries: Math.max(1, job.attemptsStarted ?? 1),
        report: (p) => job.updateProgress(p),
      };
      try {
        return await handler(taken);
      } catch (e) {
        if (e instanceof PermanentJobError) throw new UnrecoverableError(e.message);
        if (e instanceof ReleaseJob) {
          await job.moveToWait(token);
          throw new WaitingError();
        }
        throw e;
      }
    }, {
      connection: this.client(), prefix: PREFIX, concurrency: o.concurrency,
      // The lock is renewed every stallMs/2; a worker silent for stallMs loses its jobs to the others.
      lockDuration: o.stallMs, stalledInterval: o.stallMs, maxStalledCount: MAX_STALLS,
    });
    worker.on('error', (e: Error) => this.connectionLost(e.message));
    if (!o.signal.aborted) await new Promise<void>((res) => o.signal.addEventListener('abort', () => res(), { once: true }));
    await worker.close();
  }

  async inspect(ids: readonly string[]): Promise<Map<string, JobView<R>>> {
    const q = this.queue(), out = new Map<string, JobView<R>>();
    for (let i = 0; i < ids.length; i += BATCH) {
      const views = await Promise.all(ids.slice(i, i + BATCH).map(async (id): Promise<JobView<R>> => {
        // State first, then the job: a job read first could complete in between and show no return value.
        const state = stateOf(await q.getJobState(jobId(id)));
        const job = state === 'missing' ? undefined : await q.getJob(jobId(id)) as Job<D, R> | undefined;
        if (!job) return { id, state: 'missing', failures: 0, progress: null };
        const progress = job.progress && typeof job.progress === 'object' ? job.progress as Record<string, unknown> : null;
        return {
          // BullMQ counts the successful attempt in attemptsMade too.
          id, state, failures: Math.max(0, (job.attemptsMade ?? 0) - (state === 'done' ? 1 : 0)), progress,
          ...(state === 'done' ? { result: job.returnvalue } : {}),
          ...(job.failedReason ? { error: job.failedReason } : {}),
        };
      }));
      for (const v of views) out.set(v.id, v);
    }
    return out;
  }

  async retry(ids: readonly string[]): Promise<number> {
    let n = 0;
    for (const v of (await this.inspect(ids)).values()) {
      if (v.state !== 'failed') continue;
      const job = await this.queue().getJob(jobId(v.id));
      await job?.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      n++;
    }
    return n;
  }

  async close(): Promise<void> {
    await this.queueObj?.close();
    const cs = this.clients.splice(0);
    for (const c of cs) c.disconnect();
  }
}

function stateOf(s: string): JobState {
  if (s === 'completed') return 'done';
  if (s === 'failed') return 'failed';
  if (s === 'active') return 'running';
  if (s === 'unknown') return 'missing';
  return 'queued'; // waiting, delayed (a retry's backoff), prioritized
}
