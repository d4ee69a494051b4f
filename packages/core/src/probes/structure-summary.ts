import { symmetricEigen } from '../estimators/symmetric-eigen.js';
import { gershgorinDiscs } from './gershgorin.js';

/** min, max and median of a per-sample quantity. */
export interface Aggregate {
  readonly min: number;
  readonly max: number;
  readonly median: number;
}

/** Per-sample spectra of the structure matrices A_i and their aggregates over the probe set. */
export interface StructureSummary {
  readonly n: number;
  readonly d: number;
  /** λ_min(A_i); exactly 0 when P < d (`rankDeficient`). */
  readonly lambdaMin: Float64Array;
  readonly lambdaMax: Float64Array;
  /** tr A_i = ‖J_i‖_F². */
  readonly trace: Float64Array;
  /** κ(A_i) = λ_max/λ_min; +∞ (not NaN) when λ_min ≤ 0. */
  readonly condition: Float64Array;
  /** Gershgorin bounds: lower_i ≤ λ_min(A_i), λ_max(A_i) ≤ upper_i. */
  readonly gershgorinLower: Float64Array;
  readonly gershgorinUpper: Float64Array;
  /** λ*_min = min_i λ_min(A_i) and λ*_max = max_i λ_max(A_i) (spec §3.1 reading (a) = (b)). */
  readonly lambdaMinStar: number;
  readonly lambdaMaxStar: number;
  readonly aggregate: { readonly lambdaMin: Aggregate; readonly lambdaMax: Aggregate; readonly condition: Aggregate; readonly trace: Aggregate };
  readonly rankDeficient: boolean;
}

/**
 * Eigen-summaries of per-sample structure matrices (from `StructureMatrixProbe.blocks`): each
 * d × d block goes through the dense symmetric eigensolver, and Gershgorin discs are computed
 * beside it. The per-sample extremes are also the extremes of the block-diagonal
 * diag(A_1, …, A_n) of size n·d (spec §3.1 reading (b)).
 *
 * Cost: n·O(d³) on the host.
 * @see docs/theory.md §3.1, §7 items 8–9; related-papers.md A.3.4–A.3.5.
 */
export function summarizeBlocks(blocks: { readonly n: number; readonly d: number; readonly data: Float64Array; readonly parameterCount?: number }): StructureSummary {
  const { n, d, data } = blocks ?? ({} as typeof blocks);
  // With no samples every aggregate (λ*_min, medians) would be NaN: refuse instead of a NaN summary.
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(d) || d < 1)
    throw new Error(`summarizeBlocks: need at least one d × d block (got n = ${n}, d = ${d}); probe at least one sample with StructureMatrixProbe.blocks`);
  if (!(data instanceof Float64Array)) throw new Error('summarizeBlocks: data must be a Float64Array of n·d·d values (from StructureMatrixProbe.blocks)');
  if (data.length !== n * d * d) throw new Error(`summarizeBlocks: ${data.length} values, expected n·d·d = ${n * d * d}`);
  const rankDeficient = blocks.parameterCount !== undefined && blocks.parameterCount < d;
  const lambdaMin = new Float64Array(n), lambdaMax = new Float64Array(n), trace = new Float64Array(n), condition = new Float64Array(n);
  const gershgorinLower = new Float64Array(n), gershgorinUpper = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const m = { size: d, data: data.subarray(i * d * d, (i + 1) * d * d) };
    const ev = symmetricEigen(m).values;
    lambdaMin[i] = rankDeficient ? 0 : ev[0]!;
    lambdaMax[i] = ev[d - 1]!;
    let t = 0;
    for (let k = 0; k < d; k++) t += m.data[k * d + k]!;
    trace[i] = t;
    condition[i] = conditionNumber(lambdaMin[i]!, lambdaMax[i]!);
    const g = gershgorinDiscs(m);
    gershgorinLower[i] = g.lower;
    gershgorinUpper[i] = g.upper;
  }
  return {
    n, d, lambdaMin, lambdaMax, trace, condition, gershgorinLower, gershgorinUpper,
    lambdaMinStar: aggregate(lambdaMin).min,
    lambdaMaxStar: aggregate(lambdaMax).max,
    aggregate: { lambdaMin: aggregate(lambdaMin), lambdaMax: aggregate(lambdaMax), condition: aggregate(condition), trace: aggregate(trace) },
    rankDeficient,
  };
}

/** κ = λ_max/λ_min for a PSD matrix: +∞ when λ_min ≤ 0 (singular), never NaN. */
export function conditionNumber(lambdaMin: number, lambdaMax: number): number {
  return lambdaMin > 0 ? lambdaMax / lambdaMin : Infinity;
}

/** min, max and median (mean of the middle two for even counts). */
export function aggregate(values: ArrayLike<number>): Aggregate {
  if (values.length === 0) return { min: NaN, max: NaN, median: NaN };
  const s = Float64Array.from(values).sort();
  const m = s.length >> 1;
  const median = s.length % 2 ? s[m]! : s[m - 1] === s[m] ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  return { min: s[0]!, max: s[s.length - 1]!, median };
}
