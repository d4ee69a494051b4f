import { GraphBuilder, Mlp, Rng, initParams, inputSpecs, replay, sgdStepGraph, stepNames, trace, type Backend, type DeviceTensor, type Executable, type Tensor } from '@clt/core';
import { OnnxRuntimeBackend, type OnnxRuntimeBackendOptions } from '../backend.js';

export interface SgdBenchOptions extends OnnxRuntimeBackendOptions {
  /** MLP widths; default [784, 256, 256, 10]. */
  readonly sizes?: readonly number[];
  /** Default 128. */
  readonly batch?: number;
  /** Untimed rounds first (session warm-up, allocator arenas). Default 20. */
  readonly warmup?: number;
  /** Timed samples of each workload, interleaved (order alternating) so drift hits all alike. Default 31. */
  readonly samples?: number;
  /** Runs per sample (the sample is their total time / count). Default 20. */
  readonly runsPerSample?: number;
}

/**
 * What {@link benchSgdStep} measured: median milliseconds of a fused MLP SGD step against its GEMM
 * floor on one ONNX Runtime backend, with the per-sample times behind the medians.
 */
export interface SgdBenchResult {
  /** The backend's name (e.g. `onnxruntime-cpu`). */
  readonly backend: string;
  /** Provider that actually ran the step graph. */
  readonly device: string;
  /** MLP widths and batch rows the step ran with. */
  readonly sizes: readonly number[];
  readonly batch: number;
  /** Intra-op threads the sessions ran with (resolved: option, CLT_ORT_THREADS or the default). */
  readonly intraOpNumThreads: number;
  /** Whether idle intra-op threads spun (resolved like the thread count). */
  readonly intraOpSpinning: boolean;
  /** Median milliseconds per fused SGD step (forward + backward + update, one graph). */
  readonly stepMs: number;
  /** Median milliseconds per run of the GEMM-floor graph (the step's matmuls alone). */
  readonly floorMs: number;
  /** 1000 / stepMs. */
  readonly stepsPerSecond: number;
  /** stepMs / floorMs: the graph's overhead over its matrix products; goal ≤ 1.30. */
  readonly ratio: number;
  /** Quartiles [q1, median, q3] of the per-sample ratios step/floor (samples taken back to back). */
  readonly ratioQuartiles: readonly [number, number, number];
  /**
   * Diagnostic, not the step: median ms of the same step graph with each new parameter summed to a
   * scalar in the graph (parameters held fixed), so nothing parameter-sized leaves ONNX Runtime.
   * step − this is what handing the new parameters to JavaScript costs (onnxruntime-node copies
   * every CPU output into a fresh ArrayBuffer).
   */
  readonly stepInGraphMs: number;
  /** stepInGraphMs / floorMs: the step graph's own overhead over its matrix products. */
  readonly inGraphRatio: number;
  /** Per-sample milliseconds of the step, the floor and the in-graph diagnostic, in the order taken. */
  readonly stepSamplesMs: readonly number[];
  readonly floorSamplesMs: readonly number[];
  readonly stepInGraphSamplesMs: readonly number[];
  /** Warnings of the two executables (provider fallback, node placement). */
  readonly warnings: readonly string[];
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Workload { exe: Executable; run: () => Promise<void>; dispose: () => void }

/**
 * The fused SGD step of an MLP (no momentum): inputs W_l, b_l, x, y, lr → outputs new W_l, b_l
 * and the mean loss, in one graph; parameters stay device tensors from step to step and only the
 * loss is downloaded, exactly as a trainer runs it.
 */
async function stepWorkload(backend: Backend, sizes: readonly number[], batch: number): Promise<Workload> {
  const model = new Mlp({ sizes, activation: 'relu' });
  const exe = await backend.compile(sgdStepGraph(model, { batch }));
  const rng = new Rng(1);
  const init = initParams(model, rng);
  const state: Record<string, DeviceTensor> = {};
  for (const p of model.params) state[p.name] = backend.upload({ data: Float32Array.from(init[p.name]!), shape: p.shape, dtype: 'f32' });
  const x = backend.upload({ data: Float32Array.from(rng.normals(batch * sizes[0]!)), shape: [batch, sizes[0]!], dtype: 'f32' });
  const y = backend.upload({ data: Int32Array.from({ length: batch }, () => rng.int(sizes[sizes.length - 1]!)), shape: [batch], dtype: 'i32' });
  const lr = backend.upload({ data: Float32Array.of(1e-3), shape: [], dtype: 'f32' });
  const outputs = [...model.params.map((p) => stepNames.newParam(p.name)), 'loss'];
  return {
    exe,
    run: async () => {
      const res = await exe.run({ ...state, x, y, lr }, { outputs });
      await res.loss!.download();
      res.loss!.dispose();
      for (const p of model.params) { state[p.name]!.dispose(); state[p.name] = res[stepNames.newParam(p.name)]!; }
    },
    dispose: () => { for (const t of [...Object.values(state), x, y, lr]) t.dispose(); exe.dispose(); },
  };
}

/**
 * Diagnostic twin of the step: the same graph (replayed) with every new parameter summed to a
 * scalar, run on fixed parameters; only scalars are downloaded, as for the floor.
 */
async function stepInGraphWorkload(backend: Backend, sizes: readonly number[], batch: number): Promise<Workload> {
  const model = new Mlp({ sizes, activation: 'relu' });
  const step = sgdStepGraph(model, { batch });
  const g = trace(inputSpecs(step), (xs, b) => {
    const o = replay(step, b, xs);
    const out: Record<string, Tensor> = { loss: o.loss! };
    for (const p of model.params) out[`sum_${p.name}`] = o[stepNames.newParam(p.name)]!.sum();
    return out;
  });
  const exe = await backend.compile(g);
  const rng = new Rng(1);
  const init = initParams(model, rng);
  const feeds: Record<string, DeviceTensor> = {};
  for (const p of model.params) feeds[p.name] = backend.upload({ data: Float32Array.from(init[p.name]!), shape: p.shape, dtype: 'f32' });
  feeds.x = backend.upload({ data: Float32Array.from(rng.normals(batch * sizes[0]!)), shape: [batch, sizes[0]!], dtype: 'f32' });
  feeds.y = backend.upload({ data: Int32Array.from({ length: batch }, () => rng.int(sizes[sizes.length - 1]!)), shape: [batch], dtype: 'i32' });
  feeds.lr = backend.upload({ data: Float32Array.of(1e-3), shape: [], dtype: 'f32' });
  const names = g.outputs.map((o) => o.name);
  return {
    exe,
    run: async () => { const r = await exe.run(feeds, { outputs: names }); await r.loss!.download(); for (const n of names) r[n]!.dispose(); },
    dispose: () => { for (const t of Object.values(feeds)) t.dispose(); exe.dispose(); },
  };
}

/**
 * The GEMM floor of that step: its matrix products alone, same shapes — forward a_l W_lᵀ, backward
 * δ_lᵀ a_l and δ_l W_l (l > 0) — each summed to a scalar so only one number leaves the graph, like
 * the step's loss. Same definition as the benchmarks package's `gemm-floor` case.
 */
async function floorWorkload(backend: Backend, sizes: readonly number[], batch: number): Promise<Workload> {
  const b = new GraphBuilder();
  const rng = new Rng(2);
  const feeds: Record<string, DeviceTensor> = {};
  const input = (name: string, shape: number[]): Tensor => {
    feeds[name] = backend.upload({ data: Float32Array.from(rng.normals(shape[0]! * shape[1]!, 0.1)), shape, dtype: 'f32' });
    return b.input(name, shape);
  };
  let total: Tensor | undefined;
  const acc = (t: Tensor) => { total = total ? total.add(t.sum()) : t.sum(); };
  for (let l = 0; l + 1 < sizes.length; l++) {
    const a = input(`a${l}`, [batch, sizes[l]!]), w = input(`W${l}`, [sizes[l + 1]!, sizes[l]!]), d = input(`d${l}`, [batch, sizes[l + 1]!]);
    acc(a.matmul(w.T));
    acc(d.T.matmul(a));
    if (l > 0) acc(d.matmul(w));
  }
  const exe = await backend.compile(b.build({ total: total! }));
  return {
    exe,
    run: async () => { const r = await exe.run(feeds); await r.total!.download(); r.total!.dispose(); },
    dispose: () => { for (const t of Object.values(feeds)) t.dispose(); exe.dispose(); },
  };
}

/**
 * Time one fused SGD step of an MLP (default 784-256-256-10, batch 128) against its GEMM floor in
 * the same process, interleaving samples; report medians, steps/s and the ratio step/floor.
 * A benchmark, not a test: numbers depend on the machine and its load.
 */
export async function benchSgdStep(options: SgdBenchOptions = {}): Promise<SgdBenchResult> {
  const sizes = options.sizes ?? [784, 256, 256, 10], batch = options.batch ?? 128;
  const warmup = options.warmup ?? 20, samples = options.samples ?? 31, per = options.runsPerSample ?? 20;
  const backend = new OnnxRuntimeBackend(options);
  const avail = await backend.availability();
  if (!avail.available) throw new Error(`benchSgdStep: ${backend.name} unavailable: ${avail.reason}`);
  const step = await stepWorkload(backend, sizes, batch), floor = await floorWorkload(backend, sizes, batch);
  const inGraph = await stepInGraphWorkload(backend, sizes, batch);
  try {
    for (let i = 0; i < warmup; i++) { await step.run(); await floor.run(); await inGraph.run(); }
    const time = async (w: Workload) => {
      const t0 = performance.now();
      for (let i = 0; i < per; i++) await w.run();
      return (performance.now() - t0) / per;
    };
    const stepS: number[] = [], floorS: number[] = [], inS: number[] = [];
    // Alternate the order so neither workload always runs first (caches, frequency, neighbours).
    for (let s = 0; s < samples; s++) {
      if (s % 2 === 0) { stepS.push(await time(step)); floorS.push(await time(floor)); inS.push(await time(inGraph)); }
      else { inS.push(await time(inGraph)); floorS.push(await time(floor)); stepS.push(await time(step)); }
    }
    const stepMs = median(stepS), floorMs = median(floorS), stepInGraphMs = median(inS);
    const pr = stepS.map((v, i) => v / floorS[i]!).sort((a, b) => a - b);
    const q = (f: number) => pr[Math.min(pr.length - 1, Math.round(f * (pr.length - 1)))]!;
    return {
      backend: backend.name, device: step.exe.device, sizes, batch, intraOpNumThreads: backend.threading.intraOpNumThreads,
      intraOpSpinning: backend.threading.spinning, stepMs, floorMs, stepsPerSecond: 1000 / stepMs, ratio: stepMs / floorMs, ratioQuartiles: [q(0.25), median(pr), q(0.75)],
      stepInGraphMs, inGraphRatio: stepInGraphMs / floorMs, stepSamplesMs: stepS, floorSamplesMs: floorS, stepInGraphSamplesMs: inS,
      warnings: [...step.exe.warnings, ...floor.exe.warnings],
    };
  } finally {
    step.dispose(); floor.dispose(); inGraph.dispose();
    await backend.dispose();
  }
}
