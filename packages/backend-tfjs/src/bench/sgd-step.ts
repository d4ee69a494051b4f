import { Mlp, Rng, initParams, sgdStepGraph, stepNames, type DeviceTensor } from '@clt/core';
import * as tf from '@tensorflow/tfjs-core';
import { TfjsBackend, type TfjsBackendOptions } from '../backend.js';
import type { TfjsPlatform } from '../lower/lower-table.js';

export interface TfjsSgdBenchOptions extends Omit<TfjsBackendOptions, 'platform'> {
  /** MLP widths; default [784, 256, 256, 10]. */
  readonly sizes?: readonly number[];
  /** Default 128. */
  readonly batch?: number;
  /** Untimed steps first (kernel compilation on webgpu, wasm warm-up). Default 10. */
  readonly warmup?: number;
  /** Timed samples; the result is their median. Default 10. */
  readonly samples?: number;
  /** Steps per sample. Default 10. */
  readonly stepsPerSample?: number;
}

export interface TfjsSgdBenchResult {
  readonly backend: string;
  readonly device: string;
  /** The platform's own description (SIMD, adapter). */
  readonly detail: string;
  readonly sizes: readonly number[];
  readonly batch: number;
  /** Median milliseconds per fused SGD step (forward + backward + update, one graph). */
  readonly stepMs: number;
  readonly stepsPerSecond: number;
  readonly samplesMs: readonly number[];
  /** tfjs tensors alive before the first and after the last step (equal: nothing leaked). */
  readonly tensorsBefore: number;
  readonly tensorsAfter: number;
  readonly warnings: readonly string[];
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Time the fused SGD step of an MLP (default 784-256-256-10, ReLU, softmax cross-entropy, batch
 * 128) on a tfjs platform: the same graph as the ONNX Runtime benchmark (`sgdStepGraph`, inputs W,
 * b, x, y, lr; outputs new W, new b, loss). Parameters stay device tensors between steps; only
 * the loss is downloaded each step, which also waits for asynchronous backends (webgpu).
 * A benchmark, not a test: numbers depend on the machine and its load.
 */
export async function benchSgdStep(platform: TfjsPlatform, options: TfjsSgdBenchOptions = {}): Promise<TfjsSgdBenchResult> {
  const sizes = options.sizes ?? [784, 256, 256, 10], batch = options.batch ?? 128;
  const warmup = options.warmup ?? 10, samples = options.samples ?? 10, per = options.stepsPerSample ?? 10;
  const backend = new TfjsBackend({ ...options, platform });
  const avail = await backend.availability();
  if (!avail.available) throw new Error(`benchSgdStep: ${backend.name} unavailable: ${avail.reason}`);
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
  const step = async () => {
    const res = await exe.run({ ...state, x, y, lr }, { outputs });
    const loss = (await res.loss!.download())[0]!;
    res.loss!.dispose();
    for (const p of model.params) { state[p.name]!.dispose(); state[p.name] = res[stepNames.newParam(p.name)]!; }
    if (!Number.isFinite(loss)) throw new Error(`benchSgdStep: loss became ${loss} on ${backend.name}`);
  };
  try {
    const tensorsBefore = tf.memory().numTensors;
    for (let i = 0; i < warmup; i++) await step();
    const samplesMs: number[] = [];
    for (let s = 0; s < samples; s++) {
      const t0 = performance.now();
      for (let i = 0; i < per; i++) await step();
      samplesMs.push((performance.now() - t0) / per);
    }
    const stepMs = median(samplesMs);
    return {
      backend: backend.name, device: exe.device, detail: avail.detail ?? '', sizes, batch, stepMs, stepsPerSecond: 1000 / stepMs, samplesMs,
      tensorsBefore, tensorsAfter: tf.memory().numTensors, warnings: exe.warnings,
    };
  } finally {
    for (const t of [...Object.values(state), x, y, lr]) t.dispose();
    exe.dispose();
    await backend.dispose();
  }
}
