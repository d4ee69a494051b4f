import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sweepReportData } from './report-data.js';
import { ingestRuns } from './store.js';

/** A run folder with hand-written probes and summary, so every aggregate is known in closed form. */
function runFolder(root: string, id: string, probes: { step: number; lambdaMinStar: number; conditionMedian: number; energy: number; risk: number }[], summary: Record<string, unknown> | undefined): string {
  const dir = join(root, 'runs', id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'metrics.jsonl'), [{ type: 'start', step: 0 }, ...probes.map((p) => ({ type: 'probe', ...p }))].map((r) => JSON.stringify(r)).join('\n') + '\n');
  if (summary) writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary));
  return dir;
}
const corr = (lower: number | null, energy: number) => ({ window: 5, probes: 2, series: { lowerBound: { label: 'lower bound', kind: 'bound', r: lower }, energy: { label: 'baseline log₂ E', kind: 'baseline', r: energy } } });
const probe = (step: number, lambdaMinStar: number, conditionMedian: number, energy: number, risk: number) => ({ step, lambdaMinStar, conditionMedian, energy, risk });

describe('sweep report data', () => {
  it('aggregates each configuration over seeds (mean, sample sd) from completed and stalled runs, and explains the others', async () => {
    const sweep = mkdtempSync(join(tmpdir(), 'clt-report-data-'));
    const cfg = (hidden: string, skip: boolean, seed: number) => ({ hidden, skip, seed, lr: 0.1 });
    const stall = { fraction: 0.01, probes: 10, fromStep: 0, lossFrom: 2.3, step: 10, lossTo: 2.299, lossAtWarmup: 2.3, dataFloor: 0, series: 'probe-set loss' };
    const results = [
      // hidden 8, no skip: seeds 0 (completed) and 1 (stalled) form one cell; the LAST probe counts.
      { id: 'a0', config: cfg('8', false, 0), status: 'completed', error: null,
        runDir: runFolder(sweep, 'a0', [probe(0, 0.5, 3, 1, 1), probe(10, 0.2, 5, 0.1, 0.5)], { status: 'completed', trainLoss: 0.4, testAccuracy: 0.9, correlations: corr(0.9, 0.8) }) },
      { id: 'a1', config: cfg('8', false, 1), status: 'stalled', error: null,
        runDir: runFolder(sweep, 'a1', [probe(0, 0.9, 1, 2, 2.3), probe(10, 0.4, 7, 0.3, 2.299)], { status: 'stalled', stall, trainLoss: 0.6, testAccuracy: 0.7, correlations: corr(0.5, 0.2) }) },
      { id: 'b0', config: cfg('8,8', false, 0), status: 'completed', error: null,
        runDir: runFolder(sweep, 'b0', [probe(10, 0.1, 2, 0.05, 0.3)], { status: 'completed', trainLoss: 0.25, testAccuracy: 0.95, correlations: corr(null, 0.6) }) },
      { id: 'b1', config: cfg('8,8', false, 1), status: 'failed', error: 'cannot read data file x.csv', runDir: join(sweep, 'runs', 'b1') },
      { id: 'c0', config: cfg('8', true, 0), status: 'diverged', error: null,
        runDir: runFolder(sweep, 'c0', [probe(0, 0.5, 3, 1, 1)], { status: 'diverged', error: 'the loss became NaN at step 3', suggestion: 'lower --lr', config: {} }) },
    ];
    await ingestRuns(sweep, results);
    // sweep.json plans one more run that never ended.
    writeFileSync(join(sweep, 'sweep.json'), JSON.stringify({ spec: { name: 'toy', grid: { hidden: ['8', '8,8'], skip: [false, true] }, seeds: [0, 1] }, runs: [...results.map((r) => ({ id: r.id, config: r.config })), { id: 'd0', config: cfg('8,8', true, 0) }] }));

    const d = await sweepReportData(sweep);
    expect(d.name).toBe('toy');
    expect(d.factors).toEqual([{ key: 'hidden', values: ['8', '8,8'] }, { key: 'skip', values: [false, true] }]);
    expect(d.constants).toEqual({ lr: 0.1 });
    expect(d.metrics.map((m) => m.key)).toEqual(['lambda_min_star', 'kappa', 'energy', 'train_loss', 'test_accuracy', 'r_lowerBound', 'r_energy']);
    expect(d.correlationWindows).toEqual([5]);
    // Only cells with a completed or stalled run; the diverged and failed runs are not averaged.
    expect(d.cells.map((c) => [c.factors, c.runs])).toEqual([[{ hidden: '8', skip: false }, ['a0', 'a1']], [{ hidden: '8,8', skip: false }, ['b0']]]);
    const [a, b] = d.cells as [typeof d.cells[0], typeof d.cells[0]];
    const sd2 = (x: number, y: number) => Math.abs(x - y) / Math.SQRT2; // sample sd of two values
    const expectStat = (s: { mean: number | null; sd: number | null; n: number }, mean: number, sd: number | null, n: number) => {
      expect(s.n).toBe(n);
      expect(s.mean).toBeCloseTo(mean, 12);
      if (sd === null) expect(s.sd).toBeNull(); else expect(s.sd).toBeCloseTo(sd, 12);
    };
    expectStat(a.stats.lambda_min_star!, 0.3, sd2(0.2, 0.4), 2);
    expectStat(a.stats.kappa!, 6, sd2(5, 7), 2);
    expectStat(a.stats.energy!, 0.2, sd2(0.1, 0.3), 2);
    expectStat(a.stats.train_loss!, 0.5, sd2(0.4, 0.6), 2);
    expectStat(a.stats.test_accuracy!, 0.8, sd2(0.9, 0.7), 2);
    expectStat(a.stats.r_lowerBound!, 0.7, sd2(0.9, 0.5), 2);
    expectStat(b.stats.lambda_min_star!, 0.1, null, 1);
    expect(b.stats.r_lowerBound).toEqual({ mean: null, sd: null, n: 0, nonFinite: 0 }); // r undefined (null in summary.json)
    expectStat(b.stats.r_energy!, 0.6, null, 1);

    const reason = Object.fromEntries(d.runs.map((r) => [r.id, [r.status, r.reason]]));
    expect(reason.a0).toEqual(['completed', null]);
    expect(reason.a1![1]).toBe('the probe-set loss went 2.3 → 2.299 from step 0 to 10 (10 probes), less than the 1% fall required, and 2.3 after warm-up (not halved); data floor 0');
    expect(reason.b1).toEqual(['failed', 'cannot read data file x.csv']);
    expect(reason.c0).toEqual(['diverged', 'the loss became NaN at step 3 — lower --lr']);
    expect(reason.d0![0]).toBe('not run');
    expect(d.curves.filter((c) => c.run === 'a0')).toEqual([{ run: 'a0', step: 0, loss: 1 }, { run: 'a0', step: 10, loss: 0.5 }]);

    // Read from the run folders instead (no DuckDB): the same data, with the failed run's error
    // given by the sweep that ran it; only the reason of the run that never ended is worded for folders.
    expect(d.source).toBe('store');
    const f = await sweepReportData(sweep, { source: 'folders', errors: { b1: 'cannot read data file x.csv' } });
    expect(f.source).toBe('folders');
    const ended = (x: typeof d) => ({ ...x, source: null, runs: x.runs.filter((r) => r.id !== 'd0') });
    expect(ended(f)).toEqual(ended(d));
    expect(f.runs.find((r) => r.id === 'd0')).toMatchObject({ status: 'not run', reason: expect.stringMatching(/no final summary\.json/) });
  });

  it('does not count a key a swept factor determines (steps under compareAt: samples) as a factor', async () => {
    const sweep = mkdtempSync(join(tmpdir(), 'clt-report-data-'));
    const runs = [16, 64].flatMap((batch) => [0, 1].map((seed) => ({ id: `r${batch}-${seed}`, config: { batch, steps: Math.ceil(640 / batch), seed }, status: 'completed', error: null,
      runDir: runFolder(sweep, `r${batch}-${seed}`, [probe(0, 1, 1, 1, 1)], { status: 'completed', trainLoss: batch / 100 + seed, testAccuracy: 1 }) })));
    await ingestRuns(sweep, runs);
    writeFileSync(join(sweep, 'sweep.json'), JSON.stringify({ spec: { grid: { batch: [16, 64] }, seeds: 2, compareAt: 'samples', samples: 640 }, runs: runs.map((r) => ({ id: r.id, config: r.config })) }));
    const d = await sweepReportData(sweep);
    expect(d.factors).toEqual([{ key: 'batch', values: [16, 64] }]);
    expect(d.derived).toEqual([{ key: 'steps', from: 'batch' }]);
    const means = d.cells.map((c) => c.stats.train_loss!.mean!);
    expect(means[0]).toBeCloseTo(0.16 + 0.5, 12);
    expect(means[1]).toBeCloseTo(0.64 + 0.5, 12);
    expect({ ...(await sweepReportData(sweep, { source: 'folders' })), source: 'store' }).toEqual(d);
  });

  it('says what to do when the folder holds no store', async () => {
    await expect(sweepReportData(mkdtempSync(join(tmpdir(), 'clt-report-data-')))).rejects.toThrow(/no results store in .* run `clt sweep <spec> --out <folder>` first/);
  });
});
