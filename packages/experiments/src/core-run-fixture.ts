import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mlp, ReferenceBackend, Rng, train, type TrainerOptions } from '@clt/core';

/** Three Gaussian blobs in 6 dimensions (n rows), a small real training set for core's trainer. */
export function blobs(n: number, seed = 1): { x: Float64Array; labels: Int32Array } {
  const rng = new Rng(seed), x = new Float64Array(n * 6), labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    for (let j = 0; j < 6; j++) x[i * 6 + j] = (j % 3 === i % 3 ? 2 : 0) + rng.normal();
  }
  return { x, labels };
}

export const tinyRun = (over: Partial<TrainerOptions> = {}): TrainerOptions => ({
  model: new Mlp({ sizes: [6, 8, 3], activation: 'tanh' }), backend: new ReferenceBackend(), train: blobs(48), test: blobs(12, 2), batch: 8, steps: 12,
  schedule: { kind: 'cosine', lr: 0.2, warmup: 3 }, momentum: 0.9, weightDecay: 1e-3, seed: 5, dtype: 'f64',
  monitor: { probeEvery: 4, probeSize: 6, budget: 1, hessianEvery: 2 }, checkpointEvery: 5, ...over,
});

/** A real run folder written by core's trainer (metrics.jsonl, checkpoint; summary.json only on divergence). */
export async function coreRun(over: Partial<TrainerOptions> = {}): Promise<{ dir: string; records: Record<string, unknown>[]; error?: Error }> {
  const dir = mkdtempSync(join(tmpdir(), 'clt-exp-run-'));
  let error: Error | undefined;
  try { await train({ ...tinyRun(over), runDir: dir }); } catch (e) { error = e as Error; }
  const records = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { dir, records, ...(error ? { error } : {}) };
}
