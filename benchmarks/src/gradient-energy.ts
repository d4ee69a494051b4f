#!/usr/bin/env node
/**
 * Gradient energy E = (1/n) Σ‖g_i‖² (ghost norms) of an MLP 784-256-256-10 (relu, f32) on
 * onnxruntime-cpu, as `GradientEnergyProbe.measure` runs it, with and without the summed parameter
 * gradient (`batchGradient: true` forms ∂W = δᵀa per layer for ‖∇R̂‖² and the free Rayleigh quotient:
 * the graph every call built before the option existed). Reports median wall ms per measure call,
 * parameters and inputs already uploaded.
 *
 *   node benchmarks/dist/gradient-energy.js [--rounds N] [--batches 32,128,512] [--threads 1] [--out DIR | --publish]
 *
 * Both configurations share one process and are sampled interleaved (order alternating each round),
 * so drift and neighbours hit both alike: read the ratio, not absolute times.
 */
import { OnnxRuntimeBackend } from '@clt/backend-onnxruntime';
import { GradientEnergyProbe, initParams, Mlp, Rng } from '@clt/core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine } from './machine.js';
import { outputFolder } from './out-dir.js';
import { writeAtomic } from './report.js';

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main() {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '200' }, out: { type: 'string' }, publish: { type: 'boolean', default: false }, batches: { type: 'string', default: '128' }, threads: { type: 'string', default: '1' } } });
  const out = outputFolder(values);
  const rounds = Number(values.rounds), threads = Number(values.threads);
  if (!(rounds >= 1) || !(threads >= 1)) throw new Error(`--rounds and --threads must be positive integers (got ${values.rounds}, ${values.threads})`);
  const sizes = [784, 256, 256, 10];
  const model = new Mlp({ sizes, activation: 'relu' });
  const rng = new Rng(1);
  const init = initParams(model, rng);
  const backend = new OnnxRuntimeBackend({ intraOpNumThreads: threads });
  const rows: { batch: number; normsMs: number; withBatchGradientMs: number; ratio: number; normsRange: [number, number]; withRange: [number, number] }[] = [];
  for (const batch of values.batches!.split(',').map(Number)) {
    // Parameters and inputs live on the backend, as a trainer holds them, so the time is the graph's
    // and not the host-side f64 → f32 conversion and finiteness scan of 268k parameters per call.
    const params = Object.fromEntries(model.params.map((p) => [p.name, backend.upload({ data: Float32Array.from(init[p.name]!), shape: p.shape, dtype: 'f32' })]));
    const x = backend.upload({ data: Float32Array.from(rng.normals(batch * sizes[0]!)), shape: [batch, sizes[0]!], dtype: 'f32' });
    const labels = Int32Array.from({ length: batch }, () => rng.int(10));
    const lean = new GradientEnergyProbe(model, backend, { dtype: 'f32' });
    const full = new GradientEnergyProbe(model, backend, { dtype: 'f32', batchGradient: true });
    const configs = [{ run: () => lean.measure(params, x, labels), t: [] as number[] }, { run: () => full.measure(params, x, labels), t: [] as number[] }];
    for (const c of configs) for (let w = 0; w < 10; w++) await c.run(); // compile and warm up
    for (let r = 0; r < rounds; r++) {
      for (const c of r % 2 ? [...configs].reverse() : configs) {
        const t0 = performance.now();
        await c.run();
        c.t.push(performance.now() - t0);
      }
    }
    const [a, b] = configs.map((c) => median(c.t));
    const range = (t: number[]): [number, number] => [Math.min(...t), Math.max(...t)];
    rows.push({ batch, normsMs: a!, withBatchGradientMs: b!, ratio: a! / b!, normsRange: range(configs[0]!.t), withRange: range(configs[1]!.t) });
    process.stdout.write(`gradient energy n=${batch}: norms only ${a!.toFixed(3)} ms, with batch gradient ${b!.toFixed(3)} ms, ratio ${(a! / b!).toFixed(3)} (medians of ${rounds} interleaved rounds, ${threads} thread(s))\n`);
    await lean.dispose(); await full.dispose();
    for (const t of [...Object.values(params), x]) t.dispose();
  }
  mkdirSync(out, { recursive: true });
  const file = join(out, 'gradient-energy.json');
  writeAtomic(file, JSON.stringify({ machine: describeMachine(), rounds, threads, workload: 'GradientEnergyProbe.measure, MLP 784-256-256-10 relu f32, onnxruntime-cpu', rows }, null, 1) + '\n');
  process.stdout.write(`wrote ${file}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
