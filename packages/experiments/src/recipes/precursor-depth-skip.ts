import { runDepth } from './depth-skip.js';
import { fmt, groupBy, leftOut, num, usable } from './stats.js';
import { trendVerdict } from './trend.js';
import type { StoreRow, SweepRecipe, Verdict, VerdictRow } from './types.js';

/**
 * Thresholds: the ρ rule (≥ 0.8 with every seed agreeing reproduces, 0.5 the other way
 * contradicts) for "plain accuracy falls with depth"; for skips, seed by seed at the deepest depth:
 * skip accuracy above plain by more than SKIP_MARGIN for every seed reproduces, below by more than
 * it for every seed contradicts. 0.02 (2 points of accuracy) is above the seed-to-seed spread of
 * a converged small MNIST run and far below the precursor's gap (63 % → 34 %).
 */
export const PRECURSOR_THRESHOLDS = { reproduce: 0.8, contradict: 0.5, SKIP_MARGIN: 0.02 } as const;

const isSkip = (run: StoreRow): boolean => run.skip === true || run.skip === 'true';

function skipsHelpDeep(runs: readonly StoreRow[]): VerdictRow {
  const { SKIP_MARGIN } = PRECURSOR_THRESHOLDS;
  const deepest = Math.max(...runs.map(runDepth));
  const pairs = groupBy(runs.filter((r) => runDepth(r) === deepest && Number.isFinite(num(r.test_accuracy))), (r) => num(r.seed)).flatMap(([seed, rs]) => {
    const p = rs.find((r) => !isSkip(r)), s = rs.find(isSkip);
    return p && s ? [{ seed, plain: num(p.test_accuracy), skip: num(s.test_accuracy) }] : [];
  });
  const value = pairs.length ? `depth ${deepest}, test accuracy plain vs skip: ${pairs.map((p) => `seed ${p.seed}: ${fmt(p.plain)} vs ${fmt(p.skip)}`).join('; ')}` : 'no seed with a plain and a skip run at the deepest depth';
  const row = (verdict: Verdict, why: string): VerdictRow => ({ check: 'at the deepest depth, skips keep the test accuracy that plain nets lose', value, seeds: pairs.map((p) => p.seed).join(','), verdict, why });
  if (!pairs.length) return row('inconclusive', 'needs a plain and a skip run of the same seed at the deepest depth');
  const better = pairs.filter((p) => p.skip - p.plain > SKIP_MARGIN), worse = pairs.filter((p) => p.plain - p.skip > SKIP_MARGIN);
  if (better.length === pairs.length) return row('reproduced', `skip above plain by more than ${SKIP_MARGIN} for every seed`);
  if (worse.length === pairs.length) return row('contradicted', `skip below plain by more than ${SKIP_MARGIN} for every seed`);
  return row('inconclusive', `${better.length} of ${pairs.length} seeds with skip above plain by more than ${SKIP_MARGIN}, ${worse.length} below`);
}

/**
 * Recipe `precursor-depth-skip`: on MNIST, plain nets of narrow (width-10) blocks lose test accuracy
 * as blocks are added while residual ones keep it (the precursor papers' depth sweep); judged by
 * {@link PRECURSOR_THRESHOLDS}.
 */
export const precursorDepthSkip: SweepRecipe = {
  kind: 'sweep',
  id: 'precursor-depth-skip',
  claim: 'On MNIST, plain nets of narrow fully connected blocks lose test accuracy as blocks are added, while the same nets with residual connections keep it.',
  source: 'Qi, Gong, Li, Towards Understanding the Optimization Mechanisms in Deep Learning (precursor, arXiv 2406.05666 / 2410.05807), its code\'s depth sweep k = 1…8 with and without residuals (63 % → 34 % for the deepest plain SNet; spec theory.md §3.7 "Depth", §6 precursor models; related-papers.md §A.3.7, §A.4)',
  spec: (size) => size === 'quick'
    ? {
      name: 'reproduce-precursor-depth-skip-quick',
      // 10-unit blocks as the precursor's SNet; 1000 MNIST rows, 300 steps: a few seconds a run.
      base: { data: 'mnist', limit: 1000, steps: 300, batch: 32, 'probe-size': 8, 'probe-every': 100, 'stall-probes': 0 },
      grid: { hidden: [1, 4, 8].map((d) => Array(d).fill('10').join(',')), skip: [false, true] },
      seeds: 2,
    }
    : {
      name: 'reproduce-precursor-depth-skip-full',
      base: { data: 'mnist', steps: 3000, batch: 64, 'probe-size': 32, 'probe-every': 100, 'stall-probes': 0 },
      grid: { hidden: [1, 2, 3, 4, 5, 6, 7, 8].map((d) => Array(d).fill('10').join(',')), skip: [false, true] },
      seeds: 5,
    },
  verdict(data): VerdictRow[] {
    const runs = data.runs.filter(usable), why = leftOut(data.runs);
    const rows = [
      trendVerdict(runs.filter((r) => !isSkip(r)).map((r) => ({ x: runDepth(r), seed: num(r.seed), y: num(r.test_accuracy) })),
        { check: 'plain nets: test accuracy falls with depth', xName: 'depth', yName: 'median test accuracy', direction: 'down', reproduce: PRECURSOR_THRESHOLDS.reproduce, contradict: PRECURSOR_THRESHOLDS.contradict }),
      skipsHelpDeep(runs),
    ];
    return rows.map((r) => ({ ...r, why: r.why + why }));
  },
};
