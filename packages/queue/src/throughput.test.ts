import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSpec, query, type OptionInfo } from '@clt/experiments';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullmqEngine } from './bullmq-engine.js';
import { runDistributedSweep } from './coordinator.js';
import type { RunJobData, RunJobResult } from './payload.js';
import { redisMissing, startRedis, type RedisFixture } from './redis-server-fixture.js';
import { parseQueueUrl } from './url.js';

/**
 * The engine's overhead: a coordinator following a sweep of trivial runs (the worker's handler
 * answers at once with a one-line summary), every result written into the sweep's store. The
 * jobs/s printed here is the figure quoted in docs/distributed-sweeps.md; CLT_QUEUE_BENCH_RUNS
 * sizes it (default 300, enough for a stable rate, a few seconds).
 */
const MISSING = redisMissing();
const N = Number(process.env.CLT_QUEUE_BENCH_RUNS ?? 300);
const OPTIONS: OptionInfo[] = [{ key: 'x', flag: '--x', boolean: false, parse: Number }];

// Said out loud, not only in the (hidden when skipped) suite name.
if (MISSING !== undefined) console.warn(`coordinator throughput test skipped: ${MISSING}`);

describe.skipIf(MISSING !== undefined)(`coordinator throughput on a real redis-server${MISSING ? ` (skipped: ${MISSING})` : ''}`, () => {
  let redis: RedisFixture;
  beforeAll(async () => { redis = await startRedis(); });
  afterAll(async () => { await redis?.dispose(); });

  it(`${N} trivial runs through queue, worker and store: each recorded once; prints jobs/s`, async () => {
    const url = `${redis.url}?queue=bench`;
    const coord = new BullmqEngine<RunJobData, RunJobResult>(parseQueueUrl(url)), work = new BullmqEngine<RunJobData, RunJobResult>(parseQueueUrl(url));
    const dir = mkdtempSync(join(tmpdir(), 'clt-qbench-'));
    const spec = checkSpec({ base: {}, grid: { x: Array.from({ length: N }, (_, i) => i) }, seeds: [0] }, OPTIONS);
    const ac = new AbortController();
    let handled = 0;
    const taking = work.take(async (job) => {
      handled++;
      return { status: 'completed', error: null, action: 'fresh', seconds: 0, summary: { status: 'completed', trainLoss: Number(job.data.config.x) }, metrics: null, worker: 'bench' };
    }, { concurrency: 16, signal: ac.signal, stallMs: 30_000 });
    const t0 = performance.now();
    const r = await runDistributedSweep({ spec, options: OPTIONS, dir, engine: coord, attempts: 1, pollMs: 100 });
    const seconds = (performance.now() - t0) / 1000;
    ac.abort();
    await taking;
    await coord.close(); await work.close();
    expect(r.interrupted).toBe(false);
    expect(r.outcomes.filter((o) => o.status === 'completed').length).toBe(N);
    expect(handled).toBe(N);
    const rows = (await query(dir, 'SELECT count(*) AS n, count(DISTINCT run_id) AS ids, sum(train_loss) AS s FROM runs')).rows;
    expect(rows).toEqual([{ n: N, ids: N, s: (N * (N - 1)) / 2 }]);
    rmSync(dir, { recursive: true, force: true });
    process.stdout.write(`coordinator throughput: ${N} trivial runs queued, run and recorded in ${seconds.toFixed(2)} s = ${(N / seconds).toFixed(0)} jobs/s (one worker process, concurrency 16, poll 100 ms)\n`);
  }, 120_000);
});
