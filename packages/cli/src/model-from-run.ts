import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint, Mlp, type Checkpoint } from '@clt/core';
import type { SplitDataset } from './data/index.js';
import { loadDataset } from './data/index.js';

/** The model, trained weights and data split of a run directory (from its checkpoint). */
export function loadRun(dir: string): { model: Mlp; checkpoint: Checkpoint; data: SplitDataset } {
  const path = join(dir, 'checkpoint');
  if (!existsSync(path)) throw new Error(`${dir} has no checkpoint; train first with \`clt train --name ...\`, or pass --data/--hidden to probe a freshly initialized model`);
  const checkpoint = loadCheckpoint(path);
  const c = checkpoint.config as { model: Record<string, unknown>; data?: { source: string; seed: number; testFraction: number; standardized: boolean } };
  const { kind: _kind, ...options } = c.model;
  const model = new Mlp(options as unknown as ConstructorParameters<typeof Mlp>[0]);
  if (!c.data) throw new Error(`${path} does not record its data set; it was not written by \`clt train\``);
  const data = loadDataset(c.data.source, { seed: c.data.seed, testFraction: c.data.testFraction || 0.15, standardize: c.data.standardized });
  return { model, checkpoint, data };
}
