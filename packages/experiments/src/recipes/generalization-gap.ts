import { fmt, leftOut, num, seedText, usable } from './stats.js';
import type { GeneralizationData, RecipeSpec, StoreRow, SweepRecipe, Verdict, VerdictRow } from './types.js';

/**
 * The chance level of a risk quantity, above which a bound's risk interval is vacuous: 1 − 1/classes
 * for `0-1 error`, log(classes) nats (the uniform prediction's loss) for cross-entropy.
 */
export function vacuityLimit(quantity: string, classes: number): number {
  return quantity === '0-1 error' ? 1 - 1 / classes : Math.log(classes);
}

/**
 * The verdict rows of the `generalization-gap` recipe, from the runs-table rows and, per run id, the
 * generalization bounds `clt bounds --run` computed (null or absent: the run has none). One row per
 * bound (same bound and quantity across runs):
 * - contradicted: some run's measured gap (test − train) lies outside the bound's gap interval;
 * - reproduced: every run's gap inside, and the bound not vacuous for every run: the risk interval's
 *   upper end below chance (0-1 error: 1 − 1/classes; cross-entropy: log classes, the loss of the
 *   uniform prediction), because a bound above chance says nothing a constant predictor would not;
 * - inconclusive: inside but vacuous for some run, or no run has the bound.
 * The intervals are at level 1 − δ each, so with many runs an occasional miss is expected (δ per
 * row and run); the quick and full sizes have few enough runs that one miss is worth reading.
 * With no bounds for any run, one `inconclusive` row says so.
 */
export function generalizationVerdict(runs: readonly StoreRow[], gen: Readonly<Record<string, GeneralizationData | null>>): VerdictRow[] {
  const withGen = runs.flatMap((run) => { const g = gen[String(run.run_id)]; return g ? [{ run, g }] : []; });
  const keys = [...new Set(withGen.flatMap(({ g }) => g.rows.map((r) => `${r.bound} | ${r.quantity}`)))];
  if (!keys.length) return [{ check: 'the measured generalization gap lies inside its bounds', value: 'no run has generalization bounds', seeds: seedText(runs), verdict: 'inconclusive', why: 'the runs need a test split (--test-fraction > 0) and a checkpoint' }];
  return keys.map((key) => {
    const [bound, quantity] = key.split(' | ') as [string, string];
    const rows = withGen.flatMap(({ run, g }) => { const r = g.rows.find((x) => x.bound === bound && x.quantity === quantity); return r ? [{ run, r, g }] : []; });
    const status = rows[0]!.r.status === 'reconstruction' ? ' [reconstruction]' : '';
    const gaps = rows.map(({ r }) => r.measuredGap), lows = rows.map(({ r }) => r.gap.lower), ups = rows.map(({ r }) => r.gap.upper);
    const value = `measured gap ${fmt(Math.min(...gaps))} … ${fmt(Math.max(...gaps))}; bound's gap interval lower ${fmt(Math.min(...lows))} … ${fmt(Math.max(...lows))}, upper ${fmt(Math.min(...ups))} … ${fmt(Math.max(...ups))} (${rows.length} runs, ${[...new Set(rows.map(({ g }) => g.testRows))].join('/')} test rows, δ ${rows[0]!.g.delta})`;
    const row = (verdict: Verdict, why: string): VerdictRow => ({ check: `${quantity} gap inside ${bound}${status}`, value, seeds: seedText(rows.map(({ run }) => run)), verdict, why });
    const outside = rows.filter(({ r }) => !r.measuredGapInside);
    if (outside.length) return row('contradicted', `${outside.length} of ${rows.length} runs outside (e.g. seed ${num(outside[0]!.run.seed)}: gap ${fmt(outside[0]!.r.measuredGap)} ∉ [${fmt(outside[0]!.r.gap.lower)}, ${fmt(outside[0]!.r.gap.upper)}])`);
    const vacuous = rows.filter(({ r, g }) => !(r.risk.upper < vacuityLimit(quantity, g.classes)));
    if (vacuous.length) return row('inconclusive', `inside for every run, but vacuous for ${vacuous.length} of ${rows.length}: risk upper end ≥ chance (${quantity === '0-1 error' ? '1 − 1/classes' : 'log classes'}, e.g. ${fmt(vacuous[0]!.r.risk.upper)} ≥ ${fmt(vacuityLimit(quantity, vacuous[0]!.g.classes))})`);
    return row('reproduced', 'inside for every run, and below chance (not vacuous)');
  });
}

/**
 * Recipe `generalization-gap`: each run's measured gap (test − train risk) lies inside each bound's
 * interval, and the interval is below chance; needs `generalization` data (see
 * {@link generalizationVerdict}).
 */
export const generalizationGap: SweepRecipe = {
  kind: 'sweep',
  id: 'generalization-gap',
  claim: 'The generalization error lies inside the range the bounds delineate: the measured gap between test and training risk falls inside each bound\'s interval, and the interval is narrower than chance.',
  source: 'Qi, Conjugate Learning Theory (arXiv 2602.16177), abstract and §5 "deterministic and probabilistic bounds on the generalization error" (spec theory.md §5.1, §5.3; the exact statements are not retrievable, so clt\'s textbook bounds and marked reconstructions stand in)',
  needs: ['generalization'],
  spec: (size): RecipeSpec => size === 'quick'
    ? {
      name: 'reproduce-generalization-gap-quick',
      base: { data: 'synthetic:gaussian?n=600&dim=8&classes=3', steps: 150, batch: 16, 'probe-size': 8, 'probe-every': 50, 'test-fraction': 0.3 },
      grid: { hidden: ['8', '64,64'] },
      seeds: 2,
    }
    : {
      name: 'reproduce-generalization-gap-full',
      base: { data: 'mnist', steps: 1500, batch: 32, 'probe-size': 32, 'probe-every': 100, 'test-fraction': 0.3 },
      grid: { hidden: ['16', '64,64', '256,256'], limit: [1000, 4000] },
      seeds: 3,
    },
  verdict(data): VerdictRow[] {
    const why = leftOut(data.runs);
    return generalizationVerdict(data.runs.filter(usable), data.generalization ?? {}).map((r) => ({ ...r, why: r.why + why }));
  },
};
