import { checkLinearNetwork, dataset, deepObjective, factorizeLinear, solveDeepLinear, trainDeep } from '@clt/convex';
import { Rng } from '@clt/core';
import { fmt } from './stats.js';
import type { DirectRecipe, RecipeSize, Verdict, VerdictRow } from './types.js';

/**
 * Thresholds:
 * - AT_OPT: a GD run whose objective is within 1e-6 (relative) of the ridge-path optimum counts as
 *   optimal; only those say anything about the optimal layers.
 * - RANK_ONE / ALIGNED: σ₂/σ₁ of every layer ≤ 1e-4 and 1 − |cos| between consecutive layers'
 *   singular vectors ≤ 1e-4 reproduce (GD from a random init leaves the initial part of the
 *   other directions decaying as e^{−βt}; measured here ~1e-8); an optimal run with σ₂/σ₁ or
 *   1 − |cos| above 1e-2 contradicts (an optimum that is visibly not rank-one or not aligned).
 * - BELOW: a GD run below the optimum·(1 − 1e-9) would beat the global optimum (B9): contradicted.
 */
export const DEEP_LINEAR_THRESHOLDS = { AT_OPT: 1e-6, RANK_ONE: 1e-4, ALIGNED: 1e-4, CONTRADICT: 1e-2, BELOW: 1e-9 } as const;

/** One GD run of the `deep-linear-rank-one` recipe, measured by `checkLinearNetwork`. */
export interface DeepLinearRun {
  /** `n<points>d<features>`, e.g. `n20d4`. */
  readonly problem: string;
  /** Layers L (weight matrices). */
  readonly depth: number;
  readonly seed: number;
  /** The run's weight-decayed objective and the global optimum of the same problem (ridge-path solve). */
  readonly objective: number;
  readonly optimum: number;
  /** max over layers of σ₂/σ₁. */
  readonly maxRankRatio: number;
  /** min over consecutive layers of |cos| between W_l's left and W_{l+1}'s right singular vector. */
  readonly minAlignment: number;
  /** max over layers of |‖W_l‖_F − ‖w‖^{1/L}| / ‖w‖^{1/L} (0 = balanced). */
  readonly imbalance: number;
}

/** What the `deep-linear-rank-one` recipe computes: every GD run and the optimum's rank-one factorization. */
export interface DeepLinearResult {
  /** One per problem, depth and seed. */
  readonly runs: readonly DeepLinearRun[];
  /** Objective of the balanced rank-one factorization (B8) of the optimum, per problem and depth. */
  readonly factorized: readonly { problem: string; depth: number; objective: number; optimum: number }[];
}

const SIZES = {
  quick: { problems: [[20, 4, 11], [16, 5, 12]], depths: [2, 3], seeds: [0, 1], steps: { 2: 6000, 3: 40000 } as Record<number, number> },
  full: { problems: [[20, 4, 11], [16, 5, 12], [30, 6, 13], [25, 3, 14]], depths: [2, 3, 4], seeds: [0, 1, 2, 3, 4], steps: { 2: 10000, 3: 60000, 4: 120000 } as Record<number, number> },
} as const;
const BETA: Record<number, number> = { 2: 1, 3: 0.05, 4: 0.02 };

function verdict(result: DeepLinearResult): VerdictRow[] {
  const { AT_OPT, RANK_ONE, ALIGNED, CONTRADICT, BELOW } = DEEP_LINEAR_THRESHOLDS;
  const runs = result.runs, seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b).join(',');
  const rel = (r: DeepLinearRun) => (r.objective - r.optimum) / Math.abs(r.optimum);
  const opt = runs.filter((r) => rel(r) <= AT_OPT);
  const range = (xs: number[]) => (xs.length ? `${fmt(Math.min(...xs))} … ${fmt(Math.max(...xs))}` : '—');
  const atOpt = `${opt.length} of ${runs.length} GD runs at the optimum (rel. excess ≤ ${fmt(AT_OPT)}; all: ${range(runs.map(rel))})`;
  const structure = (check: string, measure: (r: DeepLinearRun) => number, tol: number, name: string): VerdictRow => {
    const value = `${name} over optimal runs ${range(opt.map(measure))}; ${atOpt}; depths ${[...new Set(runs.map((r) => r.depth))].join(', ')}`;
    const row = (verdict: Verdict, why: string): VerdictRow => ({ check, value, seeds, verdict, why });
    if (!opt.length) return row('inconclusive', 'no GD run reached the optimum: train longer');
    const bad = opt.filter((r) => measure(r) > CONTRADICT);
    if (bad.length) return row('contradicted', `${bad.length} optimal run${bad.length === 1 ? '' : 's'} with ${name} > ${CONTRADICT} (e.g. ${bad[0]!.problem} L = ${bad[0]!.depth} seed ${bad[0]!.seed}: ${fmt(measure(bad[0]!))})`);
    if (opt.every((r) => measure(r) <= tol)) return row('reproduced', `every optimal run has ${name} ≤ ${fmt(tol)}`);
    return row('inconclusive', `some optimal run has ${name} between ${fmt(tol)} and ${CONTRADICT}`);
  };
  const below = runs.filter((r) => r.objective < r.optimum * (1 - BELOW));
  const fac = result.factorized, facWorst = Math.max(...fac.map((f) => Math.abs(f.objective - f.optimum) / Math.abs(f.optimum)));
  const optimumRow: VerdictRow = {
    check: 'the balanced rank-one factorization attains the optimum, and no GD run beats it',
    value: `rank-one factorization vs optimum: max rel. difference ${fmt(facWorst)} over ${fac.length} problem×depth; GD rel. excess ${range(runs.map(rel))}`,
    seeds,
    ...(below.length
      ? { verdict: 'contradicted' as const, why: `${below.length} GD run${below.length === 1 ? '' : 's'} below the optimum (e.g. ${below[0]!.problem} L = ${below[0]!.depth}: ${fmt(below[0]!.objective)} < ${fmt(below[0]!.optimum)})` }
      : fac.length && facWorst <= 1e-8
        ? { verdict: 'reproduced' as const, why: `factorization within 1e-8 of the optimum and every GD run ≥ optimum·(1 − ${fmt(BELOW)})` }
        : { verdict: 'inconclusive' as const, why: fac.length ? `the factorization misses the optimum by ${fmt(facWorst)} (> 1e-8)` : 'no problem' }),
  };
  return [
    structure('optimal deep linear layers are rank-one (σ₂/σ₁ ≈ 0 for every layer)', (r) => r.maxRankRatio, RANK_ONE, 'max σ₂/σ₁'),
    structure('consecutive optimal layers are aligned (|cos| of singular vectors ≈ 1)', (r) => 1 - r.minAlignment, ALIGNED, '1 − min |cos|'),
    optimumRow,
  ];
}

/**
 * Recipe `deep-linear-rank-one`: in a weight-decayed deep linear net with scalar output every optimal
 * layer is rank-one and aligned with its neighbour; GD runs at the optimum are checked by
 * {@link DEEP_LINEAR_THRESHOLDS}.
 */
export const deepLinearRankOne: DirectRecipe<DeepLinearResult> = {
  kind: 'direct',
  id: 'deep-linear-rank-one',
  claim: 'In a weight-decayed deep linear network with scalar output, every optimal layer weight matrix is rank-one and aligned with the previous layer.',
  source: 'Ergen & Pilanci, Convex Duality of Deep Neural Networks (arXiv 2002.09773), abstract claim 4 and (B7)–(B9) (spec related-papers.md §B.1 item 4, §B.3.3)',
  describe: (size: RecipeSize) => {
    const s = SIZES[size];
    return `${s.problems.length} problems (${s.problems.map(([n, d]) => `n = ${n}, d = ${d}`).join('; ')}; Gaussian X and y), depths ${s.depths.join(', ')} (hidden width 5 or 6), seeds ${s.seeds.join(', ')}; GD with momentum ${s.depths.map((d) => `${s.steps[d]} steps at L = ${d}`).join(', ')}; β = ${s.depths.map((d) => BETA[d]).join(', ')}`;
  },
  compute(size, log) {
    const s = SIZES[size], runs: DeepLinearRun[] = [], factorized: DeepLinearResult['factorized'][number][] = [];
    for (const [n, d, seed] of s.problems) {
      const r = new Rng(seed), data = dataset(r.normals(n * d), n, d, r.normals(n)), problem = `n${n}d${d}`;
      for (const L of s.depths) {
        const beta = BETA[L]!, hidden = Array.from({ length: L - 1 }, () => d + 1);
        const opt = solveDeepLinear(data, beta, L);
        factorized.push({ problem, depth: L, objective: deepObjective(factorizeLinear(opt.w, hidden), data, beta), optimum: opt.objective });
        for (const sd of s.seeds) {
          const t = trainDeep(data, { sizes: [d, ...hidden, 1], activation: 'linear', beta, steps: s.steps[L]!, seed: sd, ...(L > 2 ? { lr: 3e-3 } : {}) });
          const rep = checkLinearNetwork(t.net, data, beta, 1e-3);
          runs.push({ problem, depth: L, seed: sd, objective: rep.objective, optimum: opt.objective, maxRankRatio: rep.maxRankRatio, minAlignment: rep.minAlignment, imbalance: rep.imbalance });
        }
        log?.(`  ${problem} L = ${L}: done`);
      }
    }
    return { runs, factorized };
  },
  verdict,
};
