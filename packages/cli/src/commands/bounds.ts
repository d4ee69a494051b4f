import { Command } from 'commander';
import { hoeffdingBound, riskFloor, softmaxLoss } from '@clt/core';
import { DATASET_HELP, loadDataset } from '../data/index.js';
import { fmt, fraction, int, printJson } from '../options.js';
import { readRun } from '../report/series.js';

export function boundsCommand(): Command {
  return new Command('bounds')
    .description('Data-determined bounds: the model-agnostic floor on empirical risk (with the conflicting inputs that cause it) and, for a run, the sandwich and a test-error confidence interval')
    .option('--data <spec>', `data set: ${DATASET_HELP}`, 'mnist')
    .option('--run <dir>', 'also summarize the bounds logged by a run directory')
    .option('--seed <n>', 'seed of the split', int('--seed', 0), 0)
    .option('--test-fraction <f>', 'held-out fraction (the floor is computed on the training rows)', fraction('--test-fraction'), 0.15)
    .option('--delta <d>', 'failure probability δ of the confidence interval', fraction('--delta'), 0.05)
    .option('--backend <name>', 'accepted for symmetry; these bounds are computed on the host in float64')
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      const ds = loadDataset(opts.data, { seed: opts.seed, testFraction: opts.testFraction });
      const floor = riskFloor(softmaxLoss, { data: ds.train.x, dim: ds.train.dim }, ds.train.labels, { numClasses: ds.train.classes, maxConflicts: 5 });
      const out: Record<string, unknown> = {
        data: ds.info.source, trainRows: ds.train.n,
        floor: { value: floor.value, units: 'nats (softmax cross-entropy)', groups: floor.groups, conflictingGroups: floor.conflictingGroups, conflictingSamples: floor.conflictingSamples, conflicts: floor.conflicts },
      };
      if (opts.run !== undefined) { // an empty --run is an error, not silently ignored
        if (String(opts.run).trim() === '') throw new Error('--run must name a run folder written by `clt train` (it is empty)');
        const run = readRun(opts.run), last = run.evals.at(-1), probes = run.probes;
        const testRows = Number(run.summary?.data ? run.summary.testRows ?? ds.test.n : ds.test.n);
        out.run = {
          dir: opts.run, trainLoss: last?.trainLoss ?? null, testAccuracy: last?.testAcc ?? null,
          trainLossAboveFloor: last ? last.trainLoss >= last.dataFloor : null,
          sandwich: { probes: probes.length, held: probes.filter((p) => p.holds).length },
          neighbourhood: probes.at(-1)?.neighbourhood ?? null,
          testErrorInterval: last?.testAcc !== null && last?.testAcc !== undefined ? { ...hoeffdingBound({ empiricalRisk: 1 - last.testAcc, n: testRows, delta: opts.delta }), delta: opts.delta, method: 'two-sided Hoeffding on the 0-1 test error (fixed predictor)' } : null,
        };
      }
      if (opts.json) return printJson(out);
      process.stdout.write(`data floor R̂* = Ĥ(Y|X) on ${ds.train.n} training rows of ${ds.info.source}: ${fmt(floor.value)} nats\n`);
      process.stdout.write(`  ${floor.groups} distinct inputs, ${floor.conflictingGroups} with conflicting labels (${floor.conflictingSamples} rows)\n`);
      if (floor.conflictingGroups === 0) process.stdout.write('  no input appears twice with different labels, so no model is forced above 0\n');
      const r = out.run as Record<string, any> | undefined;
      if (r) {
        process.stdout.write(`\nrun ${r.dir}: final training loss ${fmt(r.trainLoss)} (${r.trainLossAboveFloor ? '≥' : '<'} floor), sandwich held at ${r.sandwich.held}/${r.sandwich.probes} probes\n`);
        if (r.testErrorInterval) process.stdout.write(`  test error ${fmt(1 - r.testAccuracy)} ∈ [${fmt(r.testErrorInterval.lower)}, ${fmt(r.testErrorInterval.upper)}] with probability ≥ ${1 - opts.delta} (Hoeffding)\n`);
        if (r.neighbourhood !== null) process.stdout.write(`  SGD neighbourhood term ε² + 4L(n−m)M/m = ${fmt(r.neighbourhood)}\n`);
      }
    });
}
