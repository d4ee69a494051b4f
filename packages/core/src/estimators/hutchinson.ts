import { asOperator } from '../linop/dense.js';
import type { OperatorLike } from '../linop/linear-operator.js';
import { Rng } from '../util/random.js';

/** A trace estimate from {@link hutchinsonTrace}: the mean of m Rademacher quadratic forms zᵀAz, its standard error, and m. */
export interface HutchinsonResult {
  /** (1/m) Σ_j z_jᵀ A z_j: an unbiased estimate of tr A. */
  readonly estimate: number;
  /** Sample standard deviation of the m terms divided by √m (the estimate's standard error). */
  readonly standardError: number;
  readonly samples: number;
}

/**
 * Hutchinson's trace estimator with Rademacher probes z ∈ {±1}^size: E[zᵀ A z] = tr A, and
 * Var[zᵀ A z] = 2(‖A‖_F² − Σ_i A_ii²) for symmetric A, so the error shrinks as 1/√m. For the NTK,
 * tr Θ = Σ_i ‖J_i‖_F² is the total "gradient energy per unit residual".
 *
 * Cost: m operator applications (batched `block` at a time through matmat).
 * @see Hutchinson (1990); curvlinops `trace/hutchinson.py`.
 */
export async function hutchinsonTrace(a: OperatorLike, options: { samples?: number; seed?: number; block?: number } = {}): Promise<HutchinsonResult> {
  const op = asOperator(a);
  const n = op.size, m = options.samples ?? 64, block = Math.max(1, options.block ?? 16);
  if (!Number.isInteger(m) || m < 2) throw new Error(`hutchinsonTrace: samples must be an integer >= 2 (for a standard error), got ${m}`);
  const rng = new Rng(options.seed ?? 0);
  const terms = new Float64Array(m);
  for (let j0 = 0; j0 < m; j0 += block) {
    const k = Math.min(block, m - j0);
    const z = new Float64Array(n * k);
    for (let i = 0; i < z.length; i++) z[i] = rng.nextU32() & 1 ? 1 : -1;
    const az = await op.matmat(z, k);
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let i = j * n; i < (j + 1) * n; i++) s += z[i]! * az[i]!;
      terms[j0 + j] = s;
    }
  }
  let mean = 0;
  for (const t of terms) mean += t;
  mean /= m;
  let v = 0;
  for (const t of terms) v += (t - mean) ** 2;
  return { estimate: mean, standardError: Math.sqrt(v / (m - 1) / m), samples: m };
}
