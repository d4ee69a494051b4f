import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { takeHost, type Backend, type DeviceTensor, type Executable, type HostTensor } from '../backend/contract.js';
import type { Tensor } from '../ir/tensor.js';
import { initParams, parameterCount, parameterCounts, type Model } from '../models/model.js';
import { perSampleLoss, type LossLike } from '../probes/gradient-energy.js';
import { Rng } from '../util/random.js';
import { BatchOrder, gatherRows } from './batches.js';
import { configDifferences, firstNonFinite, loadCheckpoint, NoCheckpointError, type Checkpoint } from './checkpoint.js';
import { CheckpointWriter } from './checkpoint-writer.js';
import { riskFloor } from '../bounds/risk-floor.js';
import { softmaxLoss } from '../losses/softmax.js';
import { validateLabelSets } from '../losses/validate.js';
import { DivergenceError, DivergenceMonitor, type DivergenceOptions, type StepValues } from './divergence.js';
import { evalGraph } from './eval-graph.js';
import { JsonlLog, jsonNumbers, readJsonl, rewriteJsonl, writeFileAtomic } from './files.js';
import { acquireRunLock, removeStaleTempFiles, type RunLock } from './lock.js';
import { ProbeMonitor, type MonitorOptions, type ProbeRecord } from './monitors.js';
import { learningRate, validateSchedule, type LrSchedule } from './schedule.js';
import { sgdStepGraph, stepNames } from './sgd-step.js';
import { StepClock, type StepTimeSummary } from './step-times.js';
import { detectStall, validateStallOptions, type Stall, type StallOptions } from './stall.js';

/** A classification data set: inputs x, row-major [n, inputDim], and one integer class label per row. */
export interface LabelledData {
  /** Row-major [n, inputDim]. */
  readonly x: Float32Array | Float64Array;
  readonly labels: Int32Array;
}

/**
 * Everything {@link train} needs: model, backend, data, batch size, run length, schedule, momentum and
 * weight decay, seed, dtype, loss, evaluation, logging and probe cadence, run folder, checkpointing and
 * resume, divergence and stall rules, and callbacks.
 */
export interface TrainerOptions {
  readonly model: Model;
  readonly backend: Backend;
  readonly train: LabelledData;
  readonly test?: LabelledData;
  readonly batch: number;
  /** Length of the run: `steps`, or `epochs` × ⌊n / batch⌋. */
  readonly epochs?: number;
  readonly steps?: number;
  readonly schedule: LrSchedule;
  readonly momentum?: number;
  readonly weightDecay?: number;
  /** Seeds initial weights, batch order and the probe set. Default 0. */
  readonly seed?: number;
  /** Default f32. */
  readonly dtype?: 'f32' | 'f64';
  /** Per-sample loss (an FY loss or a function); default softmax cross-entropy. */
  readonly loss?: LossLike;
  /** Steps between test/train evaluations. Default: once per epoch. */
  readonly evalEvery?: number;
  /** Steps between `step` records in the time series. Default 1. */
  readonly logEvery?: number;
  /** Probe schedule; false turns the structure-matrix probes off (per-step monitors stay). */
  readonly monitor?: MonitorOptions | false;
  /** Directory for metrics.jsonl, checkpoint and summary.json; none = keep everything in memory. */
  readonly runDir?: string;
  /** Steps between checkpoints. Default: once per epoch. */
  readonly checkpointEvery?: number;
  /** Continue from runDir/checkpoint (an error when there is none: NoCheckpointError). */
  readonly resume?: boolean;
  /**
   * A lock on runDir the caller already holds (acquireRunLock), e.g. to keep the folder across work
   * before and after training; train() then neither takes nor releases one. Default: train() takes
   * the lock itself (RunLockedError when another live process holds it) and releases it at the end.
   */
  readonly lock?: RunLock;
  readonly divergence?: DivergenceOptions;
  /**
   * Stall detection (see stall.ts): the run ends `stalled` instead of `completed` when its loss has
   * not fallen by `fraction` (default 0.01) over the last `probes` (default 10) probes after warm-up
   * and has not halved since warm-up. Training always runs to the end; false disables the check.
   */
  readonly stall?: StallOptions | false;
  /** Known data floor (else R̂* = Ĥ_Ω(Y|X) of the training rows, grouped by exact duplicates). */
  readonly dataFloor?: number;
  /** Extra JSON recorded in the summary and the config fingerprint (data set name, split, ...). */
  readonly meta?: Record<string, unknown>;
  readonly onRecord?: (r: MetricRecord) => void;
  /**
   * Called with the step of each checkpoint once it is durable: written, fsync'ed and renamed into
   * place (checkpoints are written in the background while training goes on). A process killed
   * after this call resumes from that step or a later one.
   */
  readonly onCheckpoint?: (step: number) => void;
  /** Testing aid: stop abruptly after this many steps, as a killed process would (no final checkpoint; checkpoints already begun are finished). */
  readonly haltAfter?: number;
  /** Testing aid: the checkpoint writer sleeps this long before each write. */
  readonly checkpointWriteDelayMs?: number;
  /**
   * SGD steps fused into one backend run (1 to 64; default 1): runs of `fuseSteps` steps between
   * the steps after which something happens (a probe, the step after it, an evaluation, a
   * checkpoint, the end), single steps elsewhere; the same updates in the same order, each step
   * still checked for divergence and logged. It pays where a run's fixed cost is a large part of a
   * step — small batches on ONNX Runtime, which copies every new weight and velocity back into
   * JavaScript after each run. Part of the configuration: a run resumes with the value it started
   * with. Step times are then per fused run, shared equally by its steps.
   */
  readonly fuseSteps?: number;
}

/**
 * One `step` record of metrics.jsonl: step, epoch, learning rate, batch loss and accuracy, ‖∇R̂‖² of
 * the batch loss, the gradient energy E (null when the step does not compute it), Σ_i ‖r_i‖² over the
 * batch, the free Rayleigh quotient (null when the residual is 0), and seconds since training started.
 */
export interface StepRecord {
  readonly type: 'step'; readonly step: number; readonly epoch: number; readonly lr: number;
  readonly loss: number; readonly acc: number; readonly gradSq: number;
  readonly energy: number | null; readonly residualSq: number; readonly rayleigh: number | null; readonly time: number;
}
/** One `eval` record of metrics.jsonl: loss and accuracy on the whole training set and on the test set (null without one), the data floor R̂*, and seconds since training started. */
export interface EvalRecord {
  readonly type: 'eval'; readonly step: number; readonly trainLoss: number; readonly trainAcc: number;
  readonly testLoss: number | null; readonly testAcc: number | null; readonly dataFloor: number; readonly time: number;
}
/** Any record of a run's metrics.jsonl: a step, eval or probe record, or a start, resume or end marker. */
export type MetricRecord = StepRecord | EvalRecord | ProbeRecord | { readonly type: 'start' | 'resume' | 'end'; readonly step: number; readonly [k: string]: unknown };

/**
 * How {@link train} ended: the status (completed, halted by `haltAfter`, or stalled), steps and
 * seconds, the final evaluation, the data floor, parameter counts, the final parameters, every record,
 * probe time and skipped probes, and the step-time summary.
 */
export interface TrainResult {
  /** `stalled`: ran to the end, but the loss did not move (see `stall`). */
  readonly status: 'completed' | 'halted' | 'stalled';
  /** The numbers behind a `stalled` status. */
  readonly stall?: Stall;
  readonly steps: number;
  readonly totalSteps: number;
  readonly seconds: number;
  readonly final: EvalRecord;
  readonly dataFloor: number;
  /** Every parameter entry; `effectiveParameterCount` leaves out those a sparsity mask holds at zero. */
  readonly parameterCount: number;
  readonly effectiveParameterCount: number;
  readonly params: Record<string, Float32Array | Float64Array>;
  readonly records: MetricRecord[];
  readonly probeSeconds: number;
  readonly skippedProbes: number;
  /**
   * Wall time per step of this process (median, p99, ...) and every step slower than 3× the
   * median with its causes: the probe, evaluation or checkpoint it carried, garbage collection, or
   * preemption by other processes (see StepClock).
   */
  readonly stepTimes: StepTimeSummary;
}

const CHECKPOINT = 'checkpoint', METRICS = 'metrics.jsonl', SUMMARY = 'summary.json';

/**
 * Mini-batch SGD with momentum and weight decay, the whole step (forward, backward, update,
 * loss, accuracy and the per-step monitors) as ONE graph compiled once per backend; parameters
 * and momentum stay device tensors between steps and only scalars are downloaded. Deterministic
 * given the seed: a run resumed from its checkpoint ends with the same weights as one that was
 * never interrupted.
 */
export async function train(o: TrainerOptions): Promise<TrainResult> {
  const { model, backend } = o, dt = o.dtype ?? 'f32', seed = o.seed ?? 0, mu = o.momentum ?? 0, wd = o.weightDecay ?? 0;
  const n = o.train.labels.length, w = model.inputDim, d = model.outputDim;
  if (o.train.x.length !== n * w) throw new Error(`train: x has ${o.train.x.length} values, expected ${n} rows × ${w} inputs`);
  validateLabelSets('train', { train: o.train.labels, test: o.test?.labels }, d, o.loss); // always: dataFloor skips riskFloor's check
  validateSchedule(o.schedule);
  validateStallOptions(o.stall);
  const fuse = o.fuseSteps ?? 1;
  if (!(Number.isInteger(fuse) && fuse >= 1 && fuse <= 64)) throw new Error(`train: fuseSteps must be a whole number from 1 to 64 (got ${fuse})`);
  const order = new BatchOrder(n, o.batch, seed);
  const total = o.steps ?? (o.epochs ?? 1) * order.stepsPerEpoch;
  if (!(Number.isInteger(total) && total >= 1)) throw new Error(`train: the run must have at least one step (got ${total})`);
  const lossFn = perSampleLoss(o.loss);
  const lossIr = (eta: Tensor, y: Tensor) => lossFn(eta, y);
  // The floor belongs to the loss being trained: the given FY loss's entropy, else Shannon (nats).
  const floorLoss = o.loss && typeof o.loss === 'object' && 'host' in o.loss ? (o.loss as typeof softmaxLoss) : softmaxLoss;
  const dataFloor = o.dataFloor ?? riskFloor(floorLoss, { data: o.train.x, dim: w }, o.train.labels, { numClasses: d }).value;
  const config = {
    model: model.describe(), parameters: parameterCount(model), batch: o.batch, steps: total, schedule: o.schedule, momentum: mu,
    weightDecay: wd, seed, dtype: dt, backend: backend.name, trainRows: n, ...(fuse > 1 ? { fuseSteps: fuse } : {}), ...(o.meta ?? {}),
  };

  if (o.resume && !o.runDir) throw new Error('train: resume needs runDir, the folder holding the checkpoint to continue from');
  if (o.lock && !o.runDir) throw new Error('train: a lock was given without runDir');

  // One writer per run folder: the lock is taken before anything in the folder is read or written,
  // and released however the run ends (completed, halted, diverged or failed).
  let lock: RunLock | undefined;
  if (o.runDir) {
    mkdirSync(o.runDir, { recursive: true });
    if (o.lock) {
      if (!o.lock.held || o.lock.runDir !== resolve(o.runDir)) throw new Error(`train: the lock given is not a held lock of ${resolve(o.runDir)}`);
    } else lock = acquireRunLock(o.runDir);
  }
  try {
    if (o.runDir) removeStaleTempFiles(o.runDir);
    return await run(o, { config, dataFloor, order, total, lossIr, dt, seed, mu, fuse });
  } finally {
    lock?.release();
  }
}

interface RunSetup {
  readonly config: Record<string, unknown>;
  readonly dataFloor: number;
  readonly order: BatchOrder;
  readonly total: number;
  readonly lossIr: (eta: Tensor, y: Tensor) => Tensor;
  readonly dt: 'f32' | 'f64';
  readonly seed: number;
  readonly mu: number;
  readonly fuse: number;
}

async function run(o: TrainerOptions, { config, dataFloor, order, total, lossIr, dt, seed, mu, fuse }: RunSetup): Promise<TrainResult> {
  const { model, backend } = o, wd = o.weightDecay ?? 0;
  const n = o.train.labels.length, w = model.inputDim, d = model.outputDim;
  const evalEvery = o.evalEvery ?? order.stepsPerEpoch, logEvery = o.logEvery ?? 1, ckptEvery = o.checkpointEvery ?? order.stepsPerEpoch;
  const stepOptions = { batch: o.batch, momentum: mu, weightDecay: wd, dtype: dt, loss: lossIr, monitors: true };
  const step = await backend.compile(sgdStepGraph(model, stepOptions));
  // The fused graph, compiled on its first use (a run without a fused span never needs it).
  let fusedStep: Executable | undefined;
  const hasEnergy = step.graph.outputs.some((x) => x.name === 'energy');
  const evalChunk = Math.min(512, Math.max(n, o.test?.labels.length ?? 0));
  let evalExe: Executable | undefined;
  const Arr = dt === 'f64' ? Float64Array : Float32Array;

  // State: parameters and velocities as device tensors.
  let params: Record<string, DeviceTensor> = {}, vel: Record<string, DeviceTensor> = {};
  let start = 0, resumed = false;
  const divergence = new DivergenceMonitor(d, o.divergence, o.schedule.lr);
  const ckptPath = o.runDir ? join(o.runDir, CHECKPOINT) : undefined;
  let restoredState: Record<string, unknown> | undefined;
  if (o.resume && ckptPath) {
    if (!existsSync(ckptPath)) throw new NoCheckpointError(o.runDir!);
    const c = loadCheckpoint(ckptPath);
    const diff = configDifferences(c.config, config);
    if (diff.length) throw new Error(`cannot resume from ${ckptPath}: the configuration changed (${diff.join(', ')}); start a new run, or resume with the same options`);
    for (const p of model.params) {
      params[p.name] = backend.upload({ data: c.tensors[p.name]!, shape: p.shape, dtype: dt });
      if (mu > 0) vel[p.name] = backend.upload({ data: c.tensors[stepNames.velocity(p.name)]!, shape: p.shape, dtype: dt });
    }
    start = c.step;
    restoredState = c.state;
    divergence.state = (c.state.divergence ?? {}) as { reference?: number };
    resumed = true;
  } else {
    const init = initParams(model, new Rng(seed));
    for (const p of model.params) {
      params[p.name] = backend.upload({ data: Arr.from(init[p.name]!), shape: p.shape, dtype: dt });
      if (mu > 0) vel[p.name] = backend.upload({ data: new Arr(init[p.name]!.length), shape: p.shape, dtype: dt });
    }
  }

  // A resumed run's result covers the whole run: the records up to the checkpoint (the ones that
  // stay in metrics.jsonl) come first, so summaries over it match an uninterrupted run.
  const records: MetricRecord[] = [];
  let log: JsonlLog | undefined;
  if (o.runDir) {
    const path = join(o.runDir, METRICS);
    if (resumed) {
      rewriteJsonl(path, (r) => typeof r.step === 'number' && r.step <= start && r.type !== 'end');
      records.push(...readJsonl<MetricRecord>(path));
    }
    log = new JsonlLog(path, { truncate: !resumed });
  }
  const emit = (r: MetricRecord) => {
    records.push(r);
    log?.append(r as Record<string, unknown>);
    o.onRecord?.(r);
  };

  // Probe set: fixed training rows drawn by the seed.
  let monitor: ProbeMonitor | undefined;
  if (o.monitor !== false) {
    const size = Math.min(o.monitor?.probeSize ?? 32, n);
    const rows = new Rng(seed ^ 0x2545f491).permutation(n).slice(0, size).sort();
    const px = new Arr(size * w);
    gatherRows(o.train.x, w, rows, px);
    monitor = new ProbeMonitor(model, backend, dt, { rows, x: px, labels: Int32Array.from(rows, (r) => o.train.labels[r]!) }, { n, batch: o.batch }, total, { ...(o.monitor ?? {}), ...(o.loss ? { loss: o.loss } : {}) });
    if (restoredState?.monitor) monitor.state = restoredState.monitor as Record<string, unknown>;
  }

  const evaluate = async (data: LabelledData): Promise<{ loss: number; acc: number }> => {
    evalExe ??= await backend.compile(evalGraph(model, evalChunk, dt, lossIr));
    const m = data.labels.length, xb = new Arr(evalChunk * w), yb = new Int32Array(evalChunk), wb = new Arr(evalChunk);
    let loss = 0, correct = 0;
    for (let c0 = 0; c0 < m; c0 += evalChunk) {
      const rows = Math.min(evalChunk, m - c0);
      xb.fill(0); yb.fill(0); wb.fill(0);
      xb.set(data.x.subarray(c0 * w, (c0 + rows) * w));
      yb.set(data.labels.subarray(c0, c0 + rows));
      wb.fill(1, 0, rows);
      const r = await evalExe.run({ ...params, x: host(xb, [evalChunk, w], dt), y: host(yb, [evalChunk], 'i32'), w: host(wb, [evalChunk], dt) });
      loss += await scalar(r.lossSum!);
      correct += await scalar(r.correct!);
    }
    return { loss: loss / m, acc: correct / m };
  };
  const t0 = performance.now() - (typeof restoredState?.seconds === 'number' ? restoredState.seconds * 1000 : 0);
  const elapsed = () => (performance.now() - t0) / 1000;
  const evalRecord = async (s: number): Promise<EvalRecord> => {
    const tr = await evaluate(o.train), te = o.test ? await evaluate(o.test) : undefined;
    return { type: 'eval', step: s, trainLoss: tr.loss, trainAcc: tr.acc, testLoss: te?.loss ?? null, testAcc: te?.acc ?? null, dataFloor, time: elapsed() };
  };

  // Checkpoints hold only weights known to be healthy. The loss of the weights after step s is
  // first computed by step s + 1, so the state after step s is kept in memory and written once
  // step s + 1 has passed the divergence check on it (the last step's state once a step with
  // lr = 0 on the next batch has). When training diverges, the checkpoint on disk is therefore the last good
  // one, and --resume does not start from weights that have already blown up.
  let pending: Checkpoint | undefined;
  const writer = ckptPath ? new CheckpointWriter(o.checkpointWriteDelayMs ? { delayMs: o.checkpointWriteDelayMs } : {}) : undefined;
  writer?.start();
  const snapshot = async (s: number): Promise<Checkpoint> => {
    const tensors: Record<string, Float32Array | Float64Array> = {};
    for (const p of model.params) {
      tensors[p.name] = (await params[p.name]!.download()) as Float32Array;
      if (mu > 0) tensors[stepNames.velocity(p.name)] = (await vel[p.name]!.download()) as Float32Array;
    }
    return { step: s, dtype: dt, config, tensors, state: { divergence: divergence.state, monitor: monitor?.state ?? null, seconds: elapsed() } };
  };
  // The write itself (checksum, write, fsync, rename) runs on a background thread, overlapped with
  // the next steps; the snapshot's downloaded arrays are handed to it. It is waited for before the
  // next checkpoint, before the run's `end` record, before train() returns or throws (so before the
  // lock is released), and by a process exiting on a signal (checkpointWritesSettled).
  // metrics.jsonl is fsync'ed first, so a resumed run finds every record up to its checkpoint.
  const commit = async (v: StepValues): Promise<boolean> => {
    if (!pending || !ckptPath || !writer) return false;
    const c = pending, bad = firstNonFinite(c.tensors);
    pending = undefined;
    if (bad) divergence.nonFiniteWeights({ ...v, step: c.step }, bad);
    await writer.drain();
    writer.save(ckptPath, c, { sync: log ? [log.path] : [], onDurable: () => o.onCheckpoint?.(c.step) });
    return true;
  };

  emit(resumed ? { type: 'resume', step: start } : { type: 'start', step: 0, config, dataFloor });
  if (!resumed && monitor) emit(await monitor.measure(0, params));

  const xbs = Array.from({ length: fuse }, () => new Arr(o.batch * w)), ybs = Array.from({ length: fuse }, () => new Int32Array(o.batch));
  const lrBufs = Array.from({ length: fuse }, () => new Arr(1));
  const [xb, yb, lrBuf] = [xbs[0]!, ybs[0]!, lrBufs[0]!];
  // The first step after `s` at which more than logging happens: a probe, an evaluation, a
  // checkpoint, a halt or the end. A fused run may end there, never pass it.
  const nextEvent = (s: number): number => {
    const up = (every: number) => (Math.floor(s / every) + 1) * every;
    let e = Math.min(total, up(evalEvery));
    if (ckptPath) e = Math.min(e, up(ckptEvery));
    if (monitor) e = Math.min(e, up(monitor.probeEvery));
    if (o.haltAfter !== undefined && o.haltAfter > s) e = Math.min(e, o.haltAfter);
    return e;
  };
  let s = start, last: StepValues | undefined;
  const clock = new StepClock(start, total);
  try {
    while (s < total) {
      if (o.haltAfter !== undefined && s >= o.haltAfter) {
        await writer?.drain();
        log?.close();
        log = undefined;
        return { status: 'halted', steps: s, totalSteps: total, seconds: elapsed(), final: await evalRecord(s), dataFloor, parameterCount: parameterCount(model), effectiveParameterCount: parameterCounts(model).effective, params: await downloadAll(params), records, probeSeconds: monitor?.secondsSpent ?? 0, skippedProbes: monitor?.skipped ?? 0, stepTimes: clock.summary() };
      }
      if (writer?.error) throw writer.error;
      // Fused: `fuse` steps in one run when none of them but the last is followed by other work.
      const k = fuse > 1 && !monitor?.awaitsFollowup && nextEvent(s) - s >= fuse ? fuse : 1;
      clock.begin(s + k, k);
      // Step j's inputs and outputs: plain names in the single-step graph, suffixed in the fused one.
      const at = (name: string, j: number) => stepNames.at(name, j, k);
      let rows!: Int32Array; // the last step's batch, for the probe's follow-up
      const feeds: Record<string, HostTensor | DeviceTensor> = { ...params, ...prefixed(vel) };
      const lrs: number[] = [];
      for (let j = 0; j < k; j++) {
        rows = order.rows(s + j);
        gatherRows(o.train.x, w, rows, xbs[j]!);
        for (let r = 0; r < rows.length; r++) ybs[j]![r] = o.train.labels[rows[r]!]!;
        lrs.push(learningRate(o.schedule, s + j, total));
        lrBufs[j]![0] = lrs[j]!;
        feeds[at('x', j)] = host(xbs[j]!, [o.batch, w], dt);
        feeds[at('y', j)] = host(ybs[j]!, [o.batch], 'i32');
        feeds[at('lr', j)] = host(lrBufs[j]!, [], dt);
      }
      if (k > 1 && !fusedStep) {
        // Compiled on the first fused span: its time is that span's warm-up, not its compute.
        const tw = performance.now();
        fusedStep = await backend.compile(sgdStepGraph(model, { ...stepOptions, steps: fuse }));
        clock.mark('warmup', performance.now() - tw);
      }
      const tc = performance.now();
      const out = await (k === 1 ? step : fusedStep!).run(feeds);
      const next: Record<string, DeviceTensor> = {}, nextV: Record<string, DeviceTensor> = {};
      for (const p of model.params) {
        next[p.name] = out[stepNames.newParam(p.name)]!;
        if (mu > 0) nextV[p.name] = out[stepNames.newVelocity(p.name)]!;
      }
      for (const t of [...Object.values(params), ...Object.values(vel)]) t.dispose();
      params = next; vel = nextV;
      const values: { loss: number; gradSq: number; correct: number; residualSq: number; energy: number | null }[] = [];
      for (let j = 0; j < k; j++) {
        const get = (name: string) => scalar(out[at(name, j)]!);
        values.push({ loss: await get('loss'), gradSq: await get('gradSqNorm'), correct: await get('correct'), residualSq: await get('residualSq'), energy: hasEnergy ? await get('energy') : null });
      }
      const computeMs = performance.now() - tc;
      clock.compute(computeMs);
      if (s === start) clock.mark('warmup', computeMs);
      let t = 0;
      for (let j = 0; j < k; j++) {
        const { loss, gradSq, correct, residualSq, energy } = values[j]!, lr = lrs[j]!;
        s++;
        last = { step: s, loss, gradSqNorm: gradSq, lr };
        divergence.check(last);
        t = performance.now();
        // this step's loss was that of the pending state: it is healthy
        if (await commit(last)) clock.mark('checkpoint', performance.now() - t);
        if (s % logEvery === 0 || s === total)
          emit({ type: 'step', step: s, epoch: order.epochOf(s - 1), lr, loss, acc: correct / o.batch, gradSq, energy, residualSq, rayleigh: residualSq > 0 ? (o.batch * o.batch * gradSq) / residualSq : null, time: elapsed() });
      }
      if (monitor) {
        t = performance.now();
        if (await monitor.afterStep(params, rows)) clock.mark('probe-followup', performance.now() - t);
        if (monitor.due(s, elapsed(), s === total)) {
          t = performance.now();
          emit(await monitor.measure(s, params));
          clock.mark('probe', performance.now() - t);
        }
      }
      if (s % evalEvery === 0 || s === total) {
        t = performance.now();
        emit(await evalRecord(s));
        clock.mark('eval', performance.now() - t);
      }
      if (ckptPath && (s % ckptEvery === 0 || s === total)) {
        t = performance.now();
        pending = await snapshot(s);
        clock.mark('checkpoint', performance.now() - t);
      }
      clock.end();
    }
    // The final weights have no next step to vouch for them: judge them as step s + 1 would, by
    // the loss and gradient on its batch (a step with lr = 0, whose outputs are discarded).
    if (last) {
      const rows = order.rows(s);
      gatherRows(o.train.x, w, rows, xb);
      for (let k = 0; k < rows.length; k++) yb[k] = o.train.labels[rows[k]!]!;
      lrBuf[0] = 0;
      const out = await step.run({ ...params, ...prefixed(vel), x: host(xb, [o.batch, w], dt), y: host(yb, [o.batch], 'i32'), lr: host(lrBuf, [], dt) });
      const v = { ...last, loss: Number((await out.loss!.download())[0]), gradSqNorm: Number((await out.gradSqNorm!.download())[0]) };
      for (const t of Object.values(out)) t.dispose();
      divergence.check(v);
      await commit(v);
    }
    await writer?.drain();
  } catch (e) {
    await writer?.close();
    if (e instanceof DivergenceError) {
      emit({ type: 'end', step: e.values.step, status: 'diverged', reason: e.message });
      log?.close();
      log = undefined;
      if (o.runDir) writeFileAtomic(join(o.runDir, SUMMARY), JSON.stringify({ status: 'diverged', error: e.message, values: e.values, suggestion: e.suggestion, config }, jsonNumbers, 2));
    }
    log?.close();
    throw e;
  } finally {
    await writer?.close();
    clock.stop();
    // The step/eval executables stay cached by the backend; probes own their compiled graphs.
    await monitor?.dispose();
  }
  const final = [...records].reverse().find((r): r is EvalRecord => r.type === 'eval') ?? (await evalRecord(s));
  const seconds = elapsed();
  const stall = stallOf(o, records, dataFloor);
  const status = stall ? 'stalled' : 'completed';
  emit({ type: 'end', step: s, status, seconds, ...(stall ? { stall } : {}) });
  log?.close();
  const result: TrainResult = {
    status, ...(stall ? { stall } : {}), steps: s, totalSteps: total, seconds, final, dataFloor, parameterCount: parameterCount(model), effectiveParameterCount: parameterCounts(model).effective,
    params: await downloadAll(params), records, probeSeconds: monitor?.secondsSpent ?? 0, skippedProbes: monitor?.skipped ?? 0,
    stepTimes: clock.summary(),
  };
  for (const t of [...Object.values(params), ...Object.values(vel)]) t.dispose();
  return result;
}

/** The whole run's loss points (probe-set loss at probes, else training loss at evaluations) judged by detectStall. */
function stallOf(o: TrainerOptions, records: readonly MetricRecord[], dataFloor: number): Stall | undefined {
  const probes = records.filter((r): r is ProbeRecord => r.type === 'probe');
  const evals = records.filter((r): r is EvalRecord => r.type === 'eval');
  const warmup = o.schedule.kind === 'cosine' ? o.schedule.warmup ?? 0 : 0;
  return probes.length
    ? detectStall(probes.map((p) => ({ step: p.step, loss: p.risk })), { options: o.stall, warmup, dataFloor, series: 'probe-set loss' })
    : detectStall(evals.map((e) => ({ step: e.step, loss: e.trainLoss })), { options: o.stall, warmup, dataFloor, series: 'training loss' });
}

function host(data: HostTensor['data'], shape: readonly number[], dtype: HostTensor['dtype']): HostTensor {
  return { data, shape, dtype };
}

function prefixed(vel: Record<string, DeviceTensor>): Record<string, DeviceTensor> {
  const out: Record<string, DeviceTensor> = {};
  for (const [k, v] of Object.entries(vel)) out[stepNames.velocity(k)] = v;
  return out;
}

async function scalar(t: DeviceTensor): Promise<number> {
  return Number((await takeHost(t))[0]!);
}

async function downloadAll(ts: Record<string, DeviceTensor>): Promise<Record<string, Float32Array | Float64Array>> {
  const out: Record<string, Float32Array | Float64Array> = {};
  for (const [k, t] of Object.entries(ts)) out[k] = (await t.download()) as Float32Array;
  return out;
}
