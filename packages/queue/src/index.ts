import { BullmqEngine } from './bullmq-engine.js';
import type { QueueEngine } from './engine.js';
import type { RunJobData, RunJobResult } from './payload.js';
import { parseQueueUrl } from './url.js';

export { DEFAULT_QUEUE_NAME, parseQueueUrl, redactUrl, type QueueAddress } from './url.js';
export { PermanentJobError, ReleaseJob, type EnqueueOptions, type JobState, type JobView, type QueueEngine, type TakenJob, type TakeOptions } from './engine.js';
export { BullmqEngine, redisOptions } from './bullmq-engine.js';
export { checkJobData, checkJobResult, MAX_METRICS_BYTES, runJobData, type RunJobData, type RunJobResult } from './payload.js';
export { runDistributedSweep, type DistributedSweepOptions } from './coordinator.js';
export { lastStep, serveQueue, type ServeOptions } from './serve.js';
export { sweepStatus, type RunStatus } from './status.js';

/** Where a password may come from instead of the URL (a URL is visible in the process list). */
export const PASSWORD_ENV = 'CLT_QUEUE_PASSWORD';

/**
 * The engine for a `--queue` URL: redis:// and rediss:// → BullMQ (the only engine so far). A URL
 * without a password takes the one in $CLT_QUEUE_PASSWORD, if set.
 */
export function openQueue(url: string, env: Readonly<Record<string, string | undefined>> = process.env): QueueEngine<RunJobData, RunJobResult> {
  const a = parseQueueUrl(url), pw = env[PASSWORD_ENV];
  return new BullmqEngine<RunJobData, RunJobResult>(a.password === undefined && pw ? { ...a, password: pw } : a);
}
