import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runPool, type PoolProgress, type RunOutcome } from './pool.js';
import { runId } from './resolve.js';

const worker = fileURLToPath(new URL('./fake-worker-fixture.mjs', import.meta.url));
const run = (mode: string, k: number, ms = 0) => { const config = { mode, k, ms }; return { id: runId(config), config }; };
const calls = (dir: string) => readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n');

describe('local process pool', () => {
  it('isolates a crashing run, records errors, and never re-runs a final run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clt-pool-')), runsDir = join(dir, 'runs');
    const runs = [run('ok', 1), run('crash', 2), run('throw', 3), run('ok', 4), run('ok', 5)];
    const seen: RunOutcome[] = [], progress: PoolProgress[] = [];
    const first = await runPool({ runs, runsDir, worker, jobs: 2, onOutcome: (_r, o) => { seen.push(o); }, onProgress: (p) => progress.push(p) });
    expect(first.interrupted).toBe(false);
    const by = new Map(first.outcomes.map((o) => [o.id, o]));
    expect(by.get(runs[0]!.id)!.status).toBe('completed');
    expect(by.get(runs[1]!.id)!.status).toBe('failed');
    expect(by.get(runs[1]!.id)!.error).toMatch(/exit code 3 before reporting; its last output:\nfake worker: out of cheese/);
    expect(by.get(runs[2]!.id)!.error).toBe('fake worker: --lr is not a number');
    expect(seen.length).toBe(5);
    expect(Math.max(...progress.map((p) => p.running))).toBe(2); // never more than --jobs at once
    const last = progress.at(-1)!;
    expect([last.done, last.failed, last.running, last.queued]).toEqual([3, 2, 0, 0]);

    const mtime = statSync(join(runsDir, runs[0]!.id, 'summary.json')).mtimeMs;
    const again = await runPool({ runs, runsDir, worker, jobs: 2 });
    // Only the two failed runs ran again (their folders hold no metrics, so they start fresh).
    expect(calls(dir).length).toBe(7);
    expect(calls(dir).slice(5).sort()).toEqual([`${runs[1]!.id} crash resume=false overwrite=false`, `${runs[2]!.id} throw resume=false overwrite=false`].sort());
    expect(again.outcomes.filter((o) => o.action === 'skipped').length).toBe(3);
    expect(statSync(join(runsDir, runs[0]!.id, 'summary.json')).mtimeMs).toBe(mtime);
  });

  it('on abort sends SIGINT, reports runs as interrupted, and resumes them next time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clt-pool-')), runsDir = join(dir, 'runs');
    const runs = [run('ok', 1), run('slow', 2), run('slow', 3), run('ok', 4)];
    const ac = new AbortController();
    // Abort once both slow runs hold a checkpoint (the fixture writes it just before installing its
    // SIGINT handler, in the same tick). A fixed delay raced node's start-up on a loaded machine: a
    // worker killed while booting had no checkpoint, so the second pool started it fresh and the
    // fixture's fresh slow run waited out its 60 s.
    const started = () => [runs[1]!, runs[2]!].every((r) => existsSync(join(runsDir, r.id, 'checkpoint')));
    const poll = setInterval(() => { if (started()) { clearInterval(poll); ac.abort(); } }, 20);
    const first = await runPool({ runs, runsDir, worker, jobs: 2, signal: ac.signal }).finally(() => clearInterval(poll));
    expect(first.interrupted).toBe(true);
    const st = new Map(first.outcomes.map((o) => [o.id, o.status]));
    expect(st.get(runs[0]!.id)).toBe('completed');
    expect([st.get(runs[1]!.id), st.get(runs[2]!.id)]).toEqual(['interrupted', 'interrupted']);
    expect(st.get(runs[3]!.id)).toBeUndefined(); // queued behind the slow runs: never started
    const second = await runPool({ runs, runsDir, worker, jobs: 2 });
    expect(second.outcomes.every((o) => o.status === 'completed')).toBe(true);
    expect(second.outcomes.find((o) => o.id === runs[0]!.id)!.action).toBe('skipped');
    // Every slow run that had started was resumed from its checkpoint, not started over.
    for (const r of [runs[1]!, runs[2]!]) {
      const lines = calls(dir).filter((l) => l.startsWith(r.id));
      if (lines.length === 2) expect(lines[1]).toContain('resume=true overwrite=false');
    }
    expect(second.outcomes.filter((o) => o.action === 'resumed').length).toBeGreaterThanOrEqual(1);
  });

  it('refuses a bad --jobs', async () => {
    await expect(runPool({ runs: [], runsDir: tmpdir(), worker, jobs: 0 })).rejects.toThrow('--jobs must be an integer >= 1, got 0');
  });
});
