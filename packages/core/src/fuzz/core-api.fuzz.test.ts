import { afterAll, describe, expect, it } from 'vitest';
import { formatOffenders, Tally } from '../testing/fuzz-classify.js';
import { fuzzLossFactory, fuzzLossHost, fuzzLossIR } from './loss-cases.js';
import { fuzzMlp, fuzzProbes, fuzzSchedule, fuzzTrainer } from './model-cases.js';
import { fuzzBounds, fuzzEstimators } from './numeric-cases.js';

/**
 * API fuzz of @clt/core (issue 17): seeded fast-check cases over the losses (host and IR on the
 * reference backend), bounds, estimators, probes, Mlp options, schedules and trainer options.
 * Each call is classified (see classify.ts); anything but "correct" or "clear error" fails the
 * area's test with the offending cases. The seed is fixed so CI runs are reproducible; set
 * CLT_FUZZ_SEED to explore others. Runs are sized for ≈ 10,000 cases in well under a minute.
 */
const SEED = Number(process.env.CLT_FUZZ_SEED ?? 20261217);
const tally = new Tally('core');

const AREAS: [string, (t: Tally, seed: number, runs: number) => Promise<void>, number][] = [
  ['losses-host', fuzzLossHost, 6000],
  ['losses-ir', fuzzLossIR, 800],
  ['losses-factory', fuzzLossFactory, 400],
  ['bounds', fuzzBounds, 1200],
  ['estimators', fuzzEstimators, 800],
  ['mlp', fuzzMlp, 300],
  ['schedule', fuzzSchedule, 400],
  ['probes', fuzzProbes, 150],
  ['trainer', fuzzTrainer, 60],
];

describe(`API fuzz of @clt/core (seed ${SEED})`, () => {
  afterAll(() => {
    console.log(`${tally.line()} (seed ${SEED})\n  by area: ${tally.areas()}`);
  });

  AREAS.forEach(([area, fuzz, runs], k) => {
    it(`${area}: ${runs} cases end correct or in a clear error`, async () => {
      await fuzz(tally, SEED + k, runs);
      const bad = tally.bad(area);
      expect(bad.length, formatOffenders(bad)).toBe(0);
    });
  });
});
