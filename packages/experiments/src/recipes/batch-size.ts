import { groupBy, leftOut, num, usable } from './stats.js';
import { trendVerdict, type Point } from './trend.js';
import type { RecipeData, StoreRow, SweepRecipe, VerdictRow } from './types.js';

/**
 * Thresholds: the ρ rule of width-kappa (≥ 0.8 in the predicted direction with every seed agreeing
 * reproduces, 0.5 the other way contradicts). With 3 batch sizes ρ is ±1, ±0.5 or 0, so quick
 * runs reproduce only on a strictly monotone median.
 */
export const BATCH_SIZE_THRESHOLDS = { reproduce: 0.8, contradict: 0.5 } as const;

/** Each usable run's last probe with the quantity finite (the neighbourhood term needs L and M, so early probes lack it). */
function lastProbes(data: RecipeData, col: string): { run: StoreRow; probe: StoreRow }[] {
  const last = new Map<string, StoreRow>();
  for (const p of data.probes) {
    if (!Number.isFinite(num(p[col]))) continue;
    const id = String(p.run_id), cur = last.get(id);
    if (!cur || num(p.step) > num(cur.step)) last.set(id, p);
  }
  return data.runs.filter(usable).flatMap((run) => { const probe = last.get(String(run.run_id)); return probe ? [{ run, probe }] : []; });
}

/** Samples seen by a run: steps × batch (under `compareAt: samples` within one batch of the target). */
const samplesSeen = (r: StoreRow): number => num(r.steps_run) * num(r.batch);

/**
 * Recipe `batch-size`: SGD's neighbourhood term ε² + 4L(n − m)M/m shrinks as the batch m grows, and
 * at equal samples seen smaller batches train further (a `compareAt: samples` sweep over batch sizes;
 * verdicts by Spearman ρ against {@link BATCH_SIZE_THRESHOLDS}).
 */
export const batchSize: SweepRecipe = {
  kind: 'sweep',
  id: 'batch-size',
  claim: 'Batch size shapes mini-batch SGD: the neighbourhood SGD reaches, ε² + 4L(n − m)M/m, shrinks as the batch m grows (the (n − m)/m factor), and at equal samples seen the smaller batches train further.',
  source: 'Qi, Conjugate Learning Theory (arXiv 2602.16177), Theorem 12 and §4.2 on batch size, as paraphrased by the public review (spec theory.md §3.5, §3.6 checkable predictions 1–2)',
  spec: (size) => {
    // Equal samples seen, and probes at equal samples seen too: M is a running maximum over the
    // probed steps, so a run probed more often would get a larger M from the count alone.
    const { samples, probes, batches, base } = size === 'quick'
      ? { samples: 2560, probes: 10, batches: [8, 32, 128], base: { data: 'synthetic:gaussian?n=400&dim=8&classes=3', hidden: '32,32', 'probe-size': 16 } }
      : { samples: 64000, probes: 20, batches: [4, 8, 16, 32, 64, 128], base: { data: 'mnist', limit: 4000, hidden: '128,128', 'probe-size': 64 } };
    return {
      name: `reproduce-batch-size-${size}`,
      base: { ...base, momentum: 0, 'weight-decay': 0, 'stall-probes': 0 },
      grid: {},
      list: batches.map((b) => ({ batch: b, 'probe-every': samples / probes / b })),
      compareAt: 'samples',
      samples,
      seeds: size === 'quick' ? 2 : 5,
    };
  },
  verdict(data): VerdictRow[] {
    const why = leftOut(data.runs), runs = data.runs.filter(usable);
    const at = (col: string): Point[] => lastProbes(data, col).map(({ run, probe }) => ({ x: num(run.batch), seed: num(run.seed), y: num(probe[col]) }));
    const samples = groupBy(runs, (r) => num(r.batch)).map(([b, rs]) => `${b}: ${rs.map(samplesSeen).join('/')}`).join(', ');
    const rows = [
      trendVerdict(at('neighbourhood'), { check: 'the SGD neighbourhood term ε² + 4L(n − m)M/m (last probe) falls as the batch grows', xName: 'batch', yName: 'term', direction: 'down', ...BATCH_SIZE_THRESHOLDS }),
      trendVerdict(at('m'), { check: 'M, the largest out-of-batch loss change per step, grows with the batch (§3.6 prediction 2)', xName: 'batch', yName: 'M', direction: 'up', ...BATCH_SIZE_THRESHOLDS }),
      trendVerdict(runs.map((r) => ({ x: num(r.batch), seed: num(r.seed), y: num(r.train_loss) })), { check: 'at equal samples seen the final train loss rises with the batch (small batches train further)', xName: 'batch', yName: 'final loss', direction: 'up', ...BATCH_SIZE_THRESHOLDS }),
    ];
    return rows.map((r) => ({ ...r, why: `${r.why}; samples seen per batch: ${samples}${why}` }));
  },
};
