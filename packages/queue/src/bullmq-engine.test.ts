import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullmqEngine } from './bullmq-engine.js';
import { PermanentJobError, ReleaseJob, type TakenJob } from './engine.js';
import { freePort, redisMissing, startRedis, type RedisFixture } from './redis-server-fixture.js';
import { openQueue } from './index.js';
import { parseQueueUrl } from './url.js';

const MISSING = redisMissing();
type D = { n: number; mode: string };
const engine = (url: string, queue: string) => new BullmqEngine<D, { twice: number }>(parseQueueUrl(`${url}?queue=${queue}`));
const until = async (cond: () => Promise<boolean>, ms = 20_000) => {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

// Said out loud, not only in the (hidden when skipped) suite name.
if (MISSING !== undefined) console.warn(`BullMQ engine tests skipped: ${MISSING}`);

describe.skipIf(MISSING !== undefined)(`BullMQ engine on a real redis-server${MISSING ? ` (skipped: ${MISSING})` : ''}`, () => {
  let redis: RedisFixture;
  beforeAll(async () => { redis = await startRedis({ password: 'pw-Hunter2' }); });
  afterAll(async () => { await redis?.dispose(); });

  it('enqueues by id once, runs handlers, reports progress, retries a failing job a bounded number of times', async () => {
    const coord = engine(redis.url, 'engine-a'), work = engine(redis.url, 'engine-a');
    await coord.check();
    const jobs = [{ id: 'a1', data: { n: 1, mode: 'ok' } }, { id: 'a2', data: { n: 2, mode: 'ok' } }, { id: 'a3', data: { n: 3, mode: 'flaky' } },
      { id: 'a4', data: { n: 4, mode: 'bad' } }, { id: 'a5', data: { n: 5, mode: 'invalid' } }];
    expect(await coord.enqueue(jobs, { attempts: 3, backoffMs: 10 })).toBe(5);
    expect(await coord.enqueue(jobs, { attempts: 3, backoffMs: 10 })).toBe(0); // same ids: nothing added
    const calls = new Map<string, number>();
    const ac = new AbortController();
    const taking = work.take(async (job: TakenJob<D>) => {
      calls.set(job.id, (calls.get(job.id) ?? 0) + 1);
      await job.report({ step: job.data.n * 10 });
      if (job.data.mode === 'bad') throw new Error(`deterministic failure of ${job.id}`);
      if (job.data.mode === 'flaky' && calls.get(job.id)! < 2) throw new Error('first attempt fails');
      if (job.data.mode === 'invalid') throw new PermanentJobError('invalid job: no such option');
      return { twice: job.data.n * 2 };
    }, { concurrency: 2, signal: ac.signal, stallMs: 5000 });
    const ids = jobs.map((j) => j.id);
    await until(async () => [...(await coord.inspect(ids)).values()].every((v) => v.state === 'done' || v.state === 'failed'));
    const v = await coord.inspect([...ids, 'nope']);
    expect(v.get('a1')).toMatchObject({ state: 'done', result: { twice: 2 }, progress: { step: 10 }, failures: 0 });
    expect(v.get('a3')).toMatchObject({ state: 'done', result: { twice: 6 }, failures: 1 });
    expect(v.get('a4')).toMatchObject({ state: 'failed', failures: 3, error: 'deterministic failure of a4' });
    expect(v.get('a5')).toMatchObject({ state: 'failed', failures: 1, error: 'invalid job: no such option' });
    expect(v.get('nope')!.state).toBe('missing');
    expect([calls.get('a1'), calls.get('a3'), calls.get('a4'), calls.get('a5')]).toEqual([1, 2, 3, 1]);
    // A re-run of the sweep retries failed jobs with fresh attempts.
    expect(await coord.retry(ids)).toBe(2);
    await until(async () => [...(await coord.inspect(['a4', 'a5'])).values()].every((x) => x.state === 'failed'));
    expect(calls.get('a4')).toBe(6);
    ac.abort();
    await taking;
    await coord.close(); await work.close();
  });

  it('an id made of decimal digits only (as about 1 run id in 280 is) is queued and found like any other', async () => {
    const coord = engine(redis.url, 'engine-c'), work = engine(redis.url, 'engine-c');
    const ids = ['123456789012', '000000000007', 'abc'];
    expect(await coord.enqueue(ids.map((id, n) => ({ id, data: { n, mode: 'ok' } })), { attempts: 1, backoffMs: 10 })).toBe(3);
    expect(await coord.enqueue([{ id: ids[0]!, data: { n: 0, mode: 'ok' } }], { attempts: 1, backoffMs: 10 })).toBe(0);
    const seen: string[] = [];
    const ac = new AbortController();
    const taking = work.take(async (job) => { seen.push(job.id); return { twice: job.data.n * 2 }; }, { concurrency: 1, signal: ac.signal, stallMs: 5000 });
    await until(async () => [...(await coord.inspect(ids)).values()].every((v) => v.state === 'done'));
    expect([...(await coord.inspect(ids)).values()].map((v) => [v.id, v.result?.twice])).toEqual([['123456789012', 0], ['000000000007', 2], ['abc', 4]]);
    expect(seen.sort()).toEqual([...ids].sort());
    ac.abort();
    await taking;
    await coord.close(); await work.close();
  });

  it('a released job goes back to the queue without using an attempt', async () => {
    const coord = engine(redis.url, 'engine-b'), work = engine(redis.url, 'engine-b');
    await coord.enqueue([{ id: 'b1', data: { n: 1, mode: 'ok' } }], { attempts: 1, backoffMs: 10 });
    let seen = 0;
    const ac = new AbortController();
    const taking = work.take(async (job) => {
      if (++seen === 1) throw new ReleaseJob();
      return { twice: job.data.n * 2 };
    }, { concurrency: 1, signal: ac.signal, stallMs: 5000 });
    await until(async () => (await coord.inspect(['b1'])).get('b1')!.state === 'done');
    expect((await coord.inspect(['b1'])).get('b1')).toMatchObject({ failures: 0, result: { twice: 2 } });
    expect(seen).toBe(2);
    ac.abort();
    await taking;
    await coord.close(); await work.close();
  });

  it('a wrong password or an unreachable server is a clear error that never shows the password', async () => {
    const wrong = new BullmqEngine(parseQueueUrl(`redis://:not-the-Secret9@127.0.0.1:${redis.port}`));
    const e1 = await wrong.check().then(() => '', (e: Error) => e.message);
    expect(e1).toMatch(new RegExp(`^cannot reach the queue at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${redis.port}: .*(WRONGPASS|invalid).*start Redis there \\(or fix --queue\\)`));
    expect(e1).not.toContain('not-the-Secret9');
    const port = await freePort();
    const down = new BullmqEngine(parseQueueUrl(`rediss://u:Secret9@127.0.0.1:${port}/3`));
    const e2 = await down.check().then(() => '', (e: Error) => e.message);
    expect(e2).toMatch(new RegExp(`^cannot reach the queue at rediss://u:\\*\\*\\*@127\\.0\\.0\\.1:${port}/3: .*ECONNREFUSED`));
    expect(e2).not.toContain('Secret9');
  });

  it('a URL without a password takes $CLT_QUEUE_PASSWORD (kept out of the process list), and says nothing of it', async () => {
    const url = `redis://127.0.0.1:${redis.port}`;
    const none = openQueue(url, {});
    expect(await none.check().then(() => '', (e: Error) => e.message)).toMatch(new RegExp(`^cannot reach the queue at ${url.replace(/\./g, '\\.')}: .*(NOAUTH|Authentication required)`));
    const withEnv = openQueue(url, { CLT_QUEUE_PASSWORD: 'pw-Hunter2' });
    await withEnv.check();
    expect(withEnv.where).toBe(`${url} (queue clt-runs)`);
    // A password in the URL wins over the environment.
    const urlWins = openQueue(`redis://:pw-Hunter2@127.0.0.1:${redis.port}`, { CLT_QUEUE_PASSWORD: 'wrong' });
    await urlWins.check();
    await none.close(); await withEnv.close(); await urlWins.close();
  });
});
