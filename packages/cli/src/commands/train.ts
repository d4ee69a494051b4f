import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { DivergenceError, Mlp, parameterCount, parseSchedule, train, writeFileAtomic, jsonNumbers, type Activation, type MetricRecord } from '@clt/core';
import { backendFor, DEFAULT_BACKEND } from '../backends.js';
import { DATASET_HELP, loadDataset } from '../data/index.js';
import { fmt, fraction, int, num, printJson, widths } from '../options.js';
import { writeReport } from '../report/write-report.js';

/** Defaults of `clt train`: real MNIST, about 20–40 s of training on 2 cores, ≥ 95% test accuracy. */
export const TRAIN_DEFAULTS = {
  data: 'mnist', hidden: '256,256', activation: 'relu', epochs: 20, batch: 64, lr: 0.05, schedule: 'cosine:warmup=100',
  momentum: 0.9, weightDecay: 5e-4, seed: 0, testFraction: 0.15, probeSize: 64, budget: 0.5, out: 'runs',
} as const;

export function trainCommand(): Command {
  const d = TRAIN_DEFAULTS;
  return new Command('train')
    .description('Train an MLP with SGD while monitoring the theory (structure-matrix eigenvalues, gradient energy, sandwich bounds, data floor); writes runs/<name>/{metrics.jsonl,checkpoint,summary.json,report.html}')
    .option('--data <spec>', `data set: ${DATASET_HELP}`, d.data)
    .option('--hidden <widths>', 'hidden layer widths, comma-separated', d.hidden)
    .addOption(new Option('--activation <fn>', 'hidden activation').choices(['relu', 'tanh', 'gelu']).default(d.activation))
    .option('--skip', 'residual connections between equal-width hidden layers')
    .option('--layer-norm', 'LayerNorm before each hidden activation (per-sample, unlike BatchNorm)')
    .option('--sparsity <f>', 'fraction of hidden weights fixed to zero by a seeded mask', num('--sparsity', (x) => x >= 0 && x < 1, 'in [0, 1)'), 0)
    .option('--epochs <n>', 'passes over the training rows', int('--epochs'), d.epochs)
    .option('--steps <n>', 'number of SGD steps (overrides --epochs)', int('--steps'))
    .option('--batch <n>', 'mini-batch size', int('--batch'), d.batch)
    .option('--lr <rate>', 'base learning rate', num('--lr', (x) => x > 0, 'positive'), d.lr)
    .option('--schedule <s>', 'constant | step:every=N,gamma=G | cosine:warmup=N,min=LR', d.schedule)
    .option('--momentum <mu>', 'heavy-ball momentum in [0, 1)', num('--momentum', (x) => x >= 0 && x < 1, 'in [0, 1)'), d.momentum)
    .option('--weight-decay <wd>', 'L2 weight decay', num('--weight-decay', (x) => x >= 0, '>= 0'), d.weightDecay)
    .option('--seed <n>', 'seed of the split, initial weights, batch order and probe set', int('--seed', 0), d.seed)
    .option('--test-fraction <f>', 'fraction of rows held out for testing', fraction('--test-fraction'), d.testFraction)
    .option('--standardize', 'standardize features with training-set mean and std')
    .option('--limit <n>', 'use at most n rows of the data set (seeded, stratified)', int('--limit'))
    .addOption(new Option('--dtype <t>', 'float type of the compiled graphs').choices(['f32', 'f64']).default('f32'))
    .option('--probe-every <n>', 'steps between structure-matrix probes (default: ~60 per run)', int('--probe-every'))
    .option('--probe-size <n>', 'training rows in the fixed probe set', int('--probe-size'), d.probeSize)
    .option('--budget <f>', 'largest fraction of wall time the probes may take', num('--budget', (x) => x > 0 && x <= 1, 'in (0, 1]'), d.budget)
    .option('--checkpoint-every <n>', 'steps between checkpoints (default: once per epoch)', int('--checkpoint-every'))
    .option('--no-probes', 'turn the structure-matrix probes off (per-step monitors stay)')
    .option('--backend <name>', 'backend to run on (see `clt backends`)', DEFAULT_BACKEND)
    .option('--name <name>', 'run name (default: the data set name)')
    .option('--out <dir>', 'directory holding runs', d.out)
    .option('--resume', 'continue runs/<name> from its checkpoint (same options required)')
    .option('--no-report', 'do not write report.html')
    .option('--json', 'print the summary as JSON (no progress bar)')
    .action(async (opts) => {
      await runTrain(opts);
    });
}

export async function runTrain(opts: Record<string, any>): Promise<Record<string, unknown>> {
  const ds = loadDataset(opts.data, { seed: opts.seed, testFraction: opts.testFraction, standardize: !!opts.standardize, ...(opts.limit ? { limit: opts.limit } : {}) });
  const model = new Mlp({ sizes: [ds.train.dim, ...widths(opts.hidden), ds.train.classes], activation: opts.activation as Activation, skip: !!opts.skip, layerNorm: !!opts.layerNorm, sparsity: opts.sparsity ?? 0, maskSeed: opts.seed });
  const backend = await backendFor(opts.backend);
  const name = opts.name ?? String(opts.data).replace(/^synthetic:/, '').replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 60);
  const runDir = resolve(opts.out, name);
  if (!opts.resume && existsSync(runDir)) rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const stepsPerEpoch = Math.floor(ds.train.n / opts.batch);
  const total = opts.steps ?? opts.epochs * stepsPerEpoch;
  const quiet = !!opts.json || !process.stderr.isTTY;
  if (!opts.json) {
    process.stderr.write(`clt train: ${ds.info.source} (${ds.train.n} train / ${ds.test.n} test rows, ${ds.train.dim} features, ${ds.train.classes} classes)\n`);
    process.stderr.write(`  MLP ${model.options.sizes.join('-')} ${model.activation}, ${parameterCount(model).toLocaleString('en-US')} parameters, backend ${backend.name}, ${total} steps of batch ${opts.batch}\n`);
    process.stderr.write(`  run directory: ${runDir}\n`);
  }
  const bar = quiet ? undefined : new SingleBar({ format: '  {bar} {percentage}% | step {value}/{total} | loss {loss} | test acc {acc} | {eta_formatted} left', hideCursor: true, clearOnComplete: false }, Presets.shades_classic);
  bar?.start(total, 0, { loss: '—', acc: '—' });
  let lastPrint = 0;
  const onRecord = (r: MetricRecord) => {
    if (r.type === 'step') {
      if (bar) bar.update(r.step, { loss: fmt(r.loss, 3) });
      else if (!opts.json && (r.step - lastPrint >= Math.max(1, Math.floor(total / 10)) || r.step === total)) {
        lastPrint = r.step;
        process.stderr.write(`  step ${r.step}/${total}  loss ${fmt(r.loss, 3)}\n`);
      }
    } else if (r.type === 'eval' && r.testAcc !== null) bar?.update({ acc: `${(r.testAcc * 100).toFixed(2)}%` });
  };
  const meta = { data: ds.info, classNames: ds.train.classNames ?? null, testRows: ds.test.n };
  let result;
  try {
    result = await train({
      model, backend, train: ds.train, test: ds.test, batch: opts.batch, steps: total, schedule: parseSchedule(opts.schedule, opts.lr),
      momentum: opts.momentum, weightDecay: opts.weightDecay, seed: opts.seed, dtype: opts.dtype,
      monitor: opts.probes === false ? false : { probeSize: opts.probeSize, budget: opts.budget, ...(opts.probeEvery ? { probeEvery: opts.probeEvery } : {}) },
      runDir, resume: !!opts.resume, meta, ...(opts.checkpointEvery ? { checkpointEvery: opts.checkpointEvery } : {}), ...(ds.info.knownFloor !== undefined ? { dataFloor: ds.info.knownFloor } : {}), onRecord,
    });
  } catch (e) {
    bar?.stop();
    if (e instanceof DivergenceError) throw new Error(`${e.message}\n  partial metrics and summary are in ${runDir}`);
    throw e;
  }
  bar?.stop();
  const f = result.final;
  const summary = {
    status: result.status, run: name, runDir, backend: backend.name, data: ds.info, model: model.describe(), parameters: result.parameterCount,
    steps: result.steps, seconds: result.seconds, probeSeconds: result.probeSeconds, skippedProbes: result.skippedProbes,
    trainLoss: f.trainLoss, trainAccuracy: f.trainAcc, testLoss: f.testLoss, testAccuracy: f.testAcc, dataFloor: result.dataFloor,
    trainLossAboveFloor: f.trainLoss >= result.dataFloor,
    sandwich: sandwichSummary(result.records),
    options: { ...opts, json: undefined },
  };
  writeFileAtomic(join(runDir, 'summary.json'), JSON.stringify(summary, jsonNumbers, 2));
  let report: string | undefined;
  if (opts.report !== false) report = await writeReport(runDir);
  if (opts.json) printJson({ ...summary, report: report ?? null });
  else {
    process.stderr.write(`\n  done in ${fmt(result.seconds, 3)} s (probes ${fmt(result.probeSeconds, 3)} s): train loss ${fmt(f.trainLoss)} (data floor ${fmt(result.dataFloor)}), ` +
      `test accuracy ${f.testAcc === null ? '—' : `${(f.testAcc * 100).toFixed(2)}%`}\n`);
    const sw = summary.sandwich;
    process.stderr.write(`  sandwich held at ${sw.held}/${sw.probes} probes${sw.held < sw.probes ? ' (see report)' : ''}\n`);
    if (report) process.stderr.write(`  report: ${report}\n`);
  }
  return summary;
}

function sandwichSummary(records: readonly MetricRecord[]): { probes: number; held: number; firstViolationStep: number | null } {
  const probes = records.filter((r) => r.type === 'probe') as { step: number; holds: boolean }[];
  const bad = probes.find((p) => !p.holds);
  return { probes: probes.length, held: probes.filter((p) => p.holds).length, firstViolationStep: bad?.step ?? null };
}
