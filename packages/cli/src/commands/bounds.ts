import { Command } from 'commander';
import { hoeffdingBound, riskFloor, softmaxLoss } from '@clt/core';
import { DATASET_HELP, loadDataset } from '../data/index.js';
import { fmt, fraction, int, printJson, table } from '../options.js';
import { readRun } from '../report/series.js';
import { generalizationRows, maxAbsLogit, type GeneralizationRow } from '../report/generalization.js';
import { backendModuleOption, backendFor, DEFAULT_BACKEND } from '../backends.js';
import { loadRun } from '../model-from-run.js';

export function boundsCommand(): Command {
  return new Command('bounds')
    .description('Data-determined bounds: the model-agnostic floor on empirical risk (with the conflicting inputs that cause it) and, for a run, the sandwich and a test-error confidence interval')
    .option('--data <spec>', `data set: ${DATASET_HELP}`, 'mnist')
    .option('--run <dir>', 'also summarize the bounds logged by a run directory')
    .option('--seed <n>', 'seed of the split', int('--seed', 0), 0)
    .option('--test-fraction <f>', 'held-out fraction (the floor is computed on the training rows)', fraction('--test-fraction'), 0.15)
    .option('--delta <d>', 'failure probability δ of the confidence interval', fraction('--delta'), 0.05)
    .option('--backend <name>', 'backend for the forward pass of --run on its test rows (the logit bound B behind ℓ_max); the bounds themselves are computed on the host in float64', DEFAULT_BACKEND)
    .addOption(backendModuleOption())
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
          generalization: await generalization(opts.run, last, opts.delta, opts.backend),
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
        if (r.generalization) printGeneralization(r.generalization);
        if (r.neighbourhood !== null) process.stdout.write(`  SGD neighbourhood term ε² + 4L(n−m)M/m = ${fmt(r.neighbourhood)}\n`);
      }
    });
}

/**
 * The generalization bounds on the run's own test split (rebuilt from its checkpoint's data record),
 * beside the measured gap. Null when the run logged no test evaluation.
 */
export async function generalization(dir: string, last: { trainLoss: number; trainAcc: number; testLoss: number | null; testAcc: number | null } | undefined, delta: number, backendName: string) {
  if (!last || last.testAcc === null) return null;
  const { model, checkpoint, data } = loadRun(dir);
  const test = data.test;
  const floor = riskFloor(softmaxLoss, { data: test.x, dim: test.dim }, test.labels, { numClasses: test.classes });
  const backend = await backendFor(backendName);
  const B = await maxAbsLogit(model, checkpoint.tensors, test.x, backend);
  const rows = generalizationRows({
    trainLoss: last.trainLoss, trainAcc: last.trainAcc, testLoss: last.testLoss, testAcc: last.testAcc, nTest: test.n, classes: test.classes, delta,
    conditionalEntropy: floor.value, logitBound: B,
  });
  return { split: 'test', testRows: test.n, classes: test.classes, delta, checkpointStep: checkpoint.step, logitBound: B, conditionalEntropy: floor.value, rows };
}

function printGeneralization(g: { testRows: number; delta: number; checkpointStep: number; rows: GeneralizationRow[] }): void {
  process.stdout.write(`\n  generalization on the ${g.testRows} test rows (weights of step ${g.checkpointStep}), each row at probability ≥ ${1 - g.delta}; gap = R(h) − R̂_train:\n`);
  const rs = g.rows.map((r) => [r.quantity, r.bound, `[${fmt(r.risk.lower)}, ${fmt(r.risk.upper)}]`, `[${fmt(r.gap.lower)}, ${fmt(r.gap.upper)}]`, `${fmt(r.measuredGap)}${r.measuredGapInside ? '' : ' (outside)'}`, r.status === 'reconstruction' ? 'reconstruction [INF]' : 'textbook']);
  process.stdout.write(table([['quantity', 'bound', 'risk R(h)', 'gap', 'measured gap (test − train)', 'status'], ...rs]).replace(/^/gm, '    ') + '\n');
  const notes = [...new Set(g.rows.filter((r) => r.status === 'reconstruction').map((r) => r.note))];
  for (const n of notes) process.stdout.write(`    [INF] ${n}\n`);
}
