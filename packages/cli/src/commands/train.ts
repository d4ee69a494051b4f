import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, Option } from 'commander';
import {
  acquireRunLock, checkpointWritesSettled, correlationSummary, describeParameterCount, describeStepTimes, DivergenceError, parameterCounts, STALL_DEFAULTS, type ProbeRecord, jsonNumbers, loadCheckpoint, parseSchedule, readJsonl, runLockHolder, RunLockedError, train, writeFileAtomic,
  type MetricRecord,
} from '@clt/core';
import { backendModuleOption, backendFor, DEFAULT_BACKEND } from '../backends.js';
import { DATASET_HELP, loadDataset } from '../data/index.js';
import { modelFromOptions, modelLine, modelOptions } from '../model-from-run.js';
import { dataOptions, fmt, fraction, int, num, printJson } from '../options.js';
import { TrainProgress } from '../progress.js';
import { checkRunName, clearRunFolder, defaultRunName, ensureWritableFolder, runFolderPath, runFolderState } from '../run-folder.js';

/** Defaults of `clt train`: real MNIST, about 20–40 s of training on 2 cores, ≥ 95% test accuracy. */
export const TRAIN_DEFAULTS = {
  data: 'mnist', hidden: '256,256', activation: 'relu', epochs: 20, batch: 64, lr: 0.05, schedule: 'cosine:warmup=100',
  momentum: 0.9, weightDecay: 5e-4, seed: 0, testFraction: 0.15, probeSize: 64, budget: 0.5, out: 'runs',
} as const;

export function trainCommand(): Command {
  const d = TRAIN_DEFAULTS;
  const cmd = new Command('train')
    .description('Train a model (MLP, LeNet-5, ResNet-18, ViT) with SGD while monitoring the theory (structure-matrix eigenvalues, gradient energy, sandwich bounds, data floor); writes runs/<name>/{metrics.jsonl,checkpoint,summary.json,report.html}')
    .option('--data <spec>', `data set: ${DATASET_HELP}`, d.data)
    .option('--hidden <widths>', 'mlp: hidden layer widths, comma-separated', d.hidden)
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
    .option('--fuse-steps <k>', 'SGD steps per backend run, 1 to 64 (default 1): 4-8 make small batches faster on ONNX Runtime, same updates', num('--fuse-steps', (x) => Number.isInteger(x) && x >= 1 && x <= 64, 'a whole number from 1 to 64'))
    .option('--no-probes', 'turn the structure-matrix probes off (per-step monitors stay)')
    .option('--stall-probes <k>', 'K: the run ends "stalled" when its loss did not fall by --stall-fraction over the last K probes after warm-up (and has not halved since warm-up); 0 disables', int('--stall-probes', 0), STALL_DEFAULTS.probes)
    .option('--stall-fraction <f>', 'the fraction the loss must fall by over --stall-probes probes; 0 disables', num('--stall-fraction', (x) => x >= 0 && x < 1, 'in [0, 1)'), STALL_DEFAULTS.fraction)
    .option('--backend <name>', 'backend to run on (see `clt backends`)', DEFAULT_BACKEND)
    .addOption(backendModuleOption())
    .option('--name <name>', 'run name: one folder name inside --out (no / or \\, not starting with . or -; default: from the data set)')
    .option('--out <dir>', 'directory holding runs', d.out)
    .option('--resume', 'continue <out>/<name> from its checkpoint (same options required)')
    .option('--overwrite', 'replace an existing run folder <out>/<name> (only one written by clt train; deleted after every option is checked)')
    .option('--no-report', 'do not write report.html')
    .option('--json', 'print the summary as JSON on stdout (no progress output)')
    .action(async (opts) => {
      await runTrain(opts);
    });
  for (const o of [...modelOptions(), ...dataOptions()]) cmd.addOption(o);
  return cmd;
}

/**
 * `clt train`. Every option is checked — name, folders, schedule, data, model, backend — before
 * anything in the run folder changes; an existing run is replaced only with --overwrite and
 * continued only with --resume; the folder is locked while this process writes it.
 */
export async function runTrain(opts: Record<string, any>): Promise<Record<string, unknown>> {
  if (opts.resume && opts.overwrite) throw new Error('--resume and --overwrite cannot be used together: --resume continues the run in the folder, --overwrite replaces it');
  if (String(opts.out ?? '').trim() === '') throw new Error('--out must name a folder (it is empty); the default is runs');
  const name = opts.name !== undefined ? checkRunName(String(opts.name)) : checkRunName(defaultRunName(opts.data), `the run name derived from --data (pass --name to choose one):`);
  const { out, runDir } = runFolderPath(opts.out, name);
  checkRunFolder(runDir, opts, name, false); // fast answer before loading anything; checked again under the lock
  ensureWritableFolder(out, '--out');

  const schedule = parseSchedule(opts.schedule, opts.lr);
  const ds = loadDataset(opts.data, {
    seed: opts.seed, testFraction: opts.testFraction, standardize: !!opts.standardize, ...(opts.limit ? { limit: opts.limit } : {}),
    ...(opts.mini !== undefined ? { mini: opts.mini } : {}), ...(opts.normalize !== undefined ? { normalize: opts.normalize } : {}), ...(opts.dataPath !== undefined ? { dataPath: opts.dataPath } : {}),
  });
  const model = modelFromOptions(opts, ds.train);
  if (opts.batch > ds.train.n) throw new Error(`--batch ${opts.batch} is larger than the ${ds.train.n} training rows; use --batch ${ds.train.n} or less`);
  const backend = await backendFor(opts.backend);
  if (!backend.dtypes.includes(opts.dtype)) throw new Error(`--dtype ${opts.dtype} is not supported by backend ${backend.name} (it has ${backend.dtypes.join(', ')}); use --dtype ${backend.dtypes[0]} or another --backend`);
  const stepsPerEpoch = Math.floor(ds.train.n / opts.batch);
  const total: number = opts.steps ?? opts.epochs * stepsPerEpoch;

  // Everything is checked: take the folder. Only now may an existing run be replaced.
  if (runFolderState(runDir) === 'absent') {
    try { mkdirSync(runDir); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create run folder ${runDir}: ${(e as Error).message}`); }
  }
  const lock = acquireRunLock(runDir);
  const stopInterrupts = onInterrupt((signal, code) => interrupted(signal, code));
  let step = 0, progress: TrainProgress | undefined;
  function interrupted(signal: string, code: number): void {
    progress?.stop();
    // Checkpoints are written in the background: let the one in flight become durable (a second
    // Ctrl-C kills at once), so the checkpoint named below is on disk to stay.
    void checkpointWritesSettled().then(() => {
      process.stderr.write(`\nclt train: ${signal === 'SIGINT' ? 'interrupted (Ctrl-C)' : `stopped by ${signal}`} at step ${step} of ${total}.\n${interruptAdvice(runDir, name, opts)}`);
      lock.release();
      process.exit(code);
    });
  }
  try {
    checkRunFolder(runDir, opts, name, true);
    if (opts.overwrite) clearRunFolder(runDir);
    if (!opts.json) {
      process.stderr.write(`clt train: ${ds.info.source} (${ds.train.n} train / ${ds.test.n} test rows, ${ds.train.dim} features, ${ds.train.classes} classes)\n`);
      process.stderr.write(`  ${modelLine(model)}, ${describeParameterCount(model)}, backend ${backend.name}, ${total} steps of batch ${opts.batch}\n`);
      process.stderr.write(`  run directory: ${runDir}\n`);
    }
    // A bar with steps/s and ETA on a terminal, periodic lines otherwise; nothing with --json (stdout stays JSON only).
    progress = opts.json ? undefined : new TrainProgress(total);
    let resumedFrom: number | null = null;
    const onRecord = (r: MetricRecord) => {
      if (r.type === 'resume') {
        step = resumedFrom = r.step;
        if (!opts.json) process.stderr.write(`  resuming from step ${r.step} of ${total} (checkpoint ${join(runDir, 'checkpoint')})\n`);
      } else if (r.type === 'step') {
        step = r.step;
        progress?.step(r.step, r.loss);
      } else if (r.type === 'eval' && r.testAcc !== null) progress?.testAccuracy(r.testAcc);
    };
    progress?.building(backend.name, opts.probes !== false);
    const meta = { data: ds.info, classNames: ds.train.classNames ?? null, testRows: ds.test.n };
    let result;
    try {
      result = await train({
        model, backend, train: ds.train, test: ds.test, batch: opts.batch, steps: total, schedule,
        momentum: opts.momentum, weightDecay: opts.weightDecay, seed: opts.seed, dtype: opts.dtype,
        monitor: opts.probes === false ? false : { probeSize: opts.probeSize, budget: opts.budget, ...(opts.probeEvery ? { probeEvery: opts.probeEvery } : {}) },
        runDir, resume: !!opts.resume, lock, meta, stall: { probes: opts.stallProbes ?? STALL_DEFAULTS.probes, fraction: opts.stallFraction ?? STALL_DEFAULTS.fraction }, ...(opts.checkpointEvery ? { checkpointEvery: opts.checkpointEvery } : {}), ...(opts.fuseSteps > 1 ? { fuseSteps: opts.fuseSteps } : {}), ...(ds.info.knownFloor !== undefined ? { dataFloor: ds.info.knownFloor } : {}), onRecord,
      });
    } catch (e) {
      progress?.stop();
      if (e instanceof DivergenceError) throw new Error(`${e.message}\n  partial metrics and summary are in ${runDir}`);
      throw e;
    }
    progress?.stop();
    const f = result.final;
    const whole = wholeRunRecords(result.records, runDir);
    const summary = {
      status: result.status, ...(result.stall ? { stall: result.stall } : {}), run: name, runDir, backend: backend.name, data: ds.info, model: model.describe(), parameters: result.parameterCount,
      effectiveParameters: parameterCounts(model).effective,
      steps: result.steps, resumedFrom, seconds: result.seconds, probeSeconds: result.probeSeconds, skippedProbes: result.skippedProbes, stepTimes: result.stepTimes,
      trainLoss: f.trainLoss, trainAccuracy: f.trainAcc, testLoss: f.testLoss, testAccuracy: f.testAcc, dataFloor: result.dataFloor,
      trainLossAboveFloor: f.trainLoss >= result.dataFloor,
      sandwich: sandwichSummary(whole),
      correlations: correlationSummary(whole.filter((r): r is ProbeRecord => r.type === 'probe')),
      options: { ...opts, json: undefined },
    };
    writeFileAtomic(join(runDir, 'summary.json'), JSON.stringify(summary, jsonNumbers, 2));
    let report: string | undefined;
    // Imported here: the report's chart stack (vega, resvg) takes a second to load and most commands never need it.
    if (opts.report !== false) report = await (await import('../report/write-report.js')).writeReport(runDir);
    if (opts.json) printJson({ ...summary, report: report ?? null });
    else {
      process.stderr.write(`\n  done in ${fmt(result.seconds, 3)} s (probes ${fmt(result.probeSeconds, 3)} s): train loss ${fmt(f.trainLoss)} (data floor ${fmt(result.dataFloor)}), ` +
        `test accuracy ${f.testAcc === null ? '—' : `${(f.testAcc * 100).toFixed(2)}%`}\n`);
      if (result.stall) {
        const st = result.stall;
        process.stderr.write(`  status: stalled — the ${st.series} went ${fmt(st.lossFrom)} → ${fmt(st.lossTo)} from step ${st.fromStep} to ${st.step} (${st.probes} probes), less than the ${st.fraction * 100}% fall required (--stall-probes ${st.probes} --stall-fraction ${st.fraction}); the data floor is ${fmt(st.dataFloor)}\n`);
      }
      process.stderr.write(`  ${describeStepTimes(result.stepTimes)}\n`);
      const sw = summary.sandwich;
      process.stderr.write(`  sandwich held at ${sw.held}/${sw.probes} probes${sw.held < sw.probes ? ' (see report)' : ''}\n`);
      if (report) process.stderr.write(`  report: ${report}\n`);
    }
    return summary;
  } finally {
    stopInterrupts();
    lock.release();
  }
}

/**
 * Refuse a run folder that this invocation must not write: a symbolic link (writes would land
 * outside --out), a file, another live run, a missing checkpoint for --resume, an existing run
 * without --resume or --overwrite, or (with --overwrite) a folder that is not a run.
 */
function checkRunFolder(runDir: string, opts: Record<string, any>, name: string, locked: boolean): void {
  const state = runFolderState(runDir);
  if (state === 'symlink') throw new Error(`run folder ${runDir} is a symbolic link; clt train writes only into real folders inside --out, choose another --name`);
  if (state === 'not-a-folder') throw new Error(`${runDir} exists and is not a folder; choose another --name`);
  // Under our own lock the holder is this process; before it, a live holder is another run.
  const holder = locked || state === 'absent' ? null : runLockHolder(runDir);
  if (holder) throw new RunLockedError(runDir, holder);
  if (opts.resume) {
    if (state === 'absent') throw new Error(`cannot --resume: there is no run folder ${runDir} (no run named "${name}" in --out ${dirname(runDir)}); run without --resume to start it`);
    if (!existsSync(join(runDir, 'checkpoint'))) throw new Error(`cannot --resume: no checkpoint in ${runDir} (the run stopped before its first checkpoint); start it again with --overwrite instead of --resume`);
    return;
  }
  if (state === 'run' && !opts.overwrite) throw new Error(`run folder ${runDir} already exists; pass --resume to continue it, --overwrite to replace it, or choose another --name`);
  if (state === 'foreign') throw new Error(`${runDir} exists and does not look like a clt run folder (no metrics.jsonl, checkpoint or summary.json); it may hold your own files, so clt will not ${opts.overwrite ? 'delete' : 'write into'} it: choose another --name`);
}

/** The records of the whole run: the result's when it starts at the beginning, else metrics.jsonl (which holds every step). */
function wholeRunRecords(records: readonly MetricRecord[], runDir: string): readonly MetricRecord[] {
  if (records.some((r) => r.type === 'start')) return records;
  const path = join(runDir, 'metrics.jsonl');
  return existsSync(path) ? readJsonl<MetricRecord>(path) : records;
}

/** What to tell a user whose run was stopped: where the last checkpoint is and how to continue. */
function interruptAdvice(runDir: string, name: string, opts: Record<string, any>): string {
  const ckpt = join(runDir, 'checkpoint');
  let at: number | undefined;
  try { at = existsSync(ckpt) ? loadCheckpoint(ckpt).step : undefined; } catch { at = undefined; }
  if (at === undefined) return `  no checkpoint was written yet, so there is nothing to resume; start again with:\n    ${commandLine(name, opts, '--overwrite')}\n`;
  return `  last checkpoint: ${ckpt} (step ${at})\n  continue with:\n    ${commandLine(name, opts, '--resume')}\n`;
}

/** `clt train` with the options that differ from their defaults, the run name, and `extra`. */
function commandLine(name: string, opts: Record<string, any>, extra: '--resume' | '--overwrite'): string {
  const words = ['clt', 'train'];
  for (const o of trainCommand().options) {
    const key = o.attributeName(), v = opts[key];
    if (['name', 'resume', 'overwrite'].includes(key) || v === undefined || v === o.defaultValue) continue;
    if (o.negate) { if (v === false) words.push(o.long!); continue; }
    if (v === true) words.push(o.long!);
    else words.push(o.long!, String(v));
  }
  words.push('--name', name, extra);
  return words.map(shellWord).join(' ');
}

/** A word as a POSIX shell reads it back unchanged. */
export function shellWord(w: string): string {
  return /^[A-Za-z0-9_/.,:=@%+-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

/** Run `handler` on SIGINT (exit 130) and SIGTERM (143) instead of dying silently; returns the undo. */
function onInterrupt(handler: (signal: string, code: number) => void): () => void {
  const int = () => handler('SIGINT', 130), term = () => handler('SIGTERM', 143);
  process.once('SIGINT', int);
  process.once('SIGTERM', term);
  return () => { process.removeListener('SIGINT', int); process.removeListener('SIGTERM', term); };
}

function sandwichSummary(records: readonly MetricRecord[]): { probes: number; held: number; firstViolationStep: number | null } {
  const probes = records.filter((r) => r.type === 'probe') as { step: number; holds: boolean }[];
  const bad = probes.find((p) => !p.holds);
  return { probes: probes.length, held: probes.filter((p) => p.holds).length, firstViolationStep: bad?.step ?? null };
}
