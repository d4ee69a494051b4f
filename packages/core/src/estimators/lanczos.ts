import { asOperator } from '../linop/dense.js';
import { dotRows } from '../linop/dot.js';
import type { OperatorLike } from '../linop/linear-operator.js';
import { DEFAULT_MEMORY_BUDGET, denseBytes, guardMemory } from '../linop/memory.js';
import { Rng } from '../util/random.js';
import { tridiagonalEigen } from './tridiagonal-eigen.js';

/** Options of {@link lanczos}: step cap, residual tolerance, which extremes must converge, seed or start vector, Ritz vectors on request, and the memory budget of the Krylov basis. */
export interface LanczosOptions {
  /** Most Krylov steps (= operator applications). Default min(size, 300). At `size` the result is exact. */
  readonly maxIterations?: number;
  /**
   * Stop when the residual bound ‖A y − θ y‖ of each wanted Ritz pair is ≤ tol·max|θ|. The
   * eigenvalue error is ≤ the residual (and ≈ residual²/gap once converged). Default 1e-10.
   */
  readonly tol?: number;
  /** Which extremes must converge; default both. */
  readonly which?: 'both' | 'largest' | 'smallest';
  /** Seed of the random start vector (default 0), or an explicit start. */
  readonly seed?: number;
  readonly start?: Float64Array;
  /** Return the Ritz vectors of the two extremes (costs iterations × size more work). */
  readonly vectors?: boolean;
  /** The Krylov basis (iterations × size × 8 bytes) must fit; default 1 GiB. */
  readonly memoryBudget?: number;
}

/**
 * What {@link lanczos} found: the extreme Ritz values with their residual bounds, the iteration counts,
 * whether it converged, exhausted the space or knew the operator rank deficient, all final Ritz values,
 * the per-step history and, on request, the two extreme Ritz vectors.
 */
export interface LanczosResult {
  readonly largest: number;
  /** 0 exactly when the operator is known to be rank deficient (see `rankDeficient`). */
  readonly smallest: number;
  /** Residual bounds |β_k s_k| of the two extreme Ritz pairs (0 when exact). */
  readonly residualLargest: number;
  readonly residualSmallest: number;
  /** Lanczos steps taken; equals the number of operator applications. */
  readonly iterations: number;
  readonly matvecs: number;
  /** First iteration at which the largest (smallest) Ritz pair met `tol`; undefined if it never did. */
  readonly iterationsLargest?: number;
  readonly iterationsSmallest?: number;
  /** The wanted extremes met `tol`, or the Krylov space was exhausted (then exact). */
  readonly converged: boolean;
  /** The whole space was spanned: the Ritz values are the eigenvalues (to round-off). */
  readonly exhausted: boolean;
  /**
   * `rankBound < size` for this operator (e.g. J Jᵀ with P < n·d parameters): λ_min = 0 exactly,
   * reported as 0 and flagged instead of a round-off-sized number.
   */
  readonly rankDeficient: boolean;
  /** All Ritz values of the final T_k, ascending. */
  readonly ritzValues: Float64Array;
  /** The extreme Ritz values after every step (step k used k operator applications). */
  readonly history: readonly { readonly matvecs: number; readonly largest: number; readonly smallest: number }[];
  readonly vectorLargest?: Float64Array;
  readonly vectorSmallest?: Float64Array;
}

/**
 * Extreme eigenvalues of a symmetric operator by the Lanczos process with full
 * reorthogonalization (classical Gram–Schmidt, twice): each step costs one operator application
 * plus O(k·size) for the reorthogonalization, and Ritz values never duplicate ("ghosts"). If the
 * Krylov space becomes invariant before the wanted extremes are found, it restarts with a fresh
 * random vector orthogonal to the basis, so low-rank and reducible operators are handled.
 *
 * Convergence is judged by the standard residual bound: for a Ritz pair (θ, y = Q s) of T_k,
 * ‖A y − θ y‖ = |β_k · s_k| (last component of s), and some eigenvalue lies within that distance.
 *
 * Cost: k operator applications (k = iterations; typically 20–80 for extremes of an NTK),
 * O(k²·size) flops, k·size·8 bytes for the basis.
 * @see docs/theory.md §7 item 8 (Lanczos with matvec v ↦ J(Jᵀv)).
 */
export async function lanczos(a: OperatorLike, options: LanczosOptions = {}): Promise<LanczosResult> {
  const op = asOperator(a);
  if (!op.symmetric) throw new Error(`lanczos: ${op.label} is not declared symmetric; Lanczos needs a symmetric operator`);
  const n = op.size;
  const maxIt = Math.min(n, Math.max(1, options.maxIterations ?? 300));
  const tol = options.tol ?? 1e-10;
  const rankDeficient = op.rankBound !== undefined && op.rankBound < n;
  // A known null space answers λ_min; only the largest must converge then.
  const which = rankDeficient ? 'largest' : options.which ?? 'both';
  guardMemory(`lanczos basis (${maxIt} × ${n})`, denseBytes(maxIt * n), options.memoryBudget ?? DEFAULT_MEMORY_BUDGET,
    'Lower maxIterations, or use powerIteration (no basis) for the largest eigenvalue.');

  const rng = new Rng(options.seed ?? 0);
  const Q = new Float64Array(maxIt * n);
  const alpha: number[] = [], beta: number[] = [];
  let q = start(n, rng, options.start);
  let k = 0, matvecs = 0, exhausted = false, converged = false;
  let itLargest: number | undefined, itSmallest: number | undefined;
  let last: Ritz | undefined;
  const tmp = new Float64Array(maxIt);
  const history: { matvecs: number; largest: number; smallest: number }[] = [];

  while (k < maxIt) {
    Q.set(q, k * n);
    const w = Float64Array.from(await op.matvec(q));
    matvecs++;
    let al = 0;
    for (let i = 0; i < n; i++) al += q[i]! * w[i]!;
    alpha.push(al);
    k++;
    orthogonalize(w, Q, k, n, tmp);
    orthogonalize(w, Q, k, n, tmp);
    const b = norm(w);
    const scale = Math.max(...alpha.map(Math.abs), ...beta.map(Math.abs), Number.MIN_VALUE);
    last = ritz(alpha, beta, b);
    history.push({ matvecs, largest: last.values[last.values.length - 1]!, smallest: last.values[0]! });
    if (k >= 2 || k === n) {
      itLargest ??= met(last, b, tol, last.values.length - 1) || k === n ? k : undefined;
      itSmallest ??= met(last, b, tol, 0) || k === n ? k : undefined;
    }
    if (k === n) { exhausted = true; converged = true; break; }
    if (done(last, b, which, tol)) { converged = true; break; }
    if (b <= 1e-12 * scale) {
      // Invariant subspace: continue in its orthogonal complement (T gets a zero off-diagonal).
      const fresh = restart(n, rng, Q, k, tmp);
      if (!fresh) { exhausted = true; converged = true; break; }
      beta.push(0);
      q = fresh;
    } else {
      beta.push(b);
      for (let i = 0; i < n; i++) w[i]! /= b;
      q = w;
    }
  }
  const { values, lastComp, beta: bLast } = last!;
  // Residual bound of Ritz pair j: |β_k · s_k(j)|; zero when the space was exhausted.
  const resid = (j: number) => (exhausted ? 0 : Math.abs(lastComp[j]!) * bLast);
  const m = values.length;
  let vectorLargest: Float64Array | undefined, vectorSmallest: Float64Array | undefined;
  if (options.vectors) {
    const full = tridiagonalEigen(alpha, beta.slice(0, k - 1), true, { rows: Q.subarray(0, k * n), width: n });
    vectorSmallest = full.vectors!.slice(0, n);
    vectorLargest = full.vectors!.slice((m - 1) * n, m * n);
  }
  return {
    largest: values[m - 1]!,
    smallest: rankDeficient ? 0 : values[0]!,
    residualLargest: resid(m - 1),
    residualSmallest: rankDeficient ? 0 : resid(0),
    iterations: k,
    matvecs,
    ...(itLargest !== undefined ? { iterationsLargest: itLargest } : {}),
    ...(itSmallest !== undefined && !rankDeficient ? { iterationsSmallest: itSmallest } : {}),
    converged,
    exhausted,
    rankDeficient,
    ritzValues: values,
    history,
    ...(vectorLargest ? { vectorLargest, vectorSmallest: vectorSmallest! } : {}),
  };
}

/** Ritz values of T_k and the last components of its eigenvectors (O(k²) via a 1-wide basis). */
interface Ritz { values: Float64Array; lastComp: Float64Array; beta: number }

function ritz(alpha: number[], beta: number[], bNext: number): Ritz {
  const k = alpha.length;
  const e = new Float64Array(k);
  e[k - 1] = 1;
  const res = tridiagonalEigen(alpha, beta.slice(0, k - 1), true, { rows: e, width: 1 });
  return { values: res.values, lastComp: res.vectors!, beta: bNext };
}

/** Ritz pair j meets the residual test |β s_j| ≤ tol·max|θ|. */
function met(r: Ritz, b: number, tol: number, j: number): boolean {
  const m = r.values.length;
  const scale = Math.max(Math.abs(r.values[0]!), Math.abs(r.values[m - 1]!));
  return Math.abs(r.lastComp[j]!) * b <= tol * scale;
}

function done(r: Ritz, b: number, which: string, tol: number): boolean {
  const m = r.values.length;
  const ok = (j: number) => met(r, b, tol, j);
  if (m < 2) return false;
  return (which !== 'smallest' ? ok(m - 1) : true) && (which !== 'largest' ? ok(0) : true);
}

function start(n: number, rng: Rng, given?: Float64Array): Float64Array {
  if (given && given.length !== n) throw new Error(`lanczos: start vector has length ${given.length}, expected ${n}`);
  const v = given ? Float64Array.from(given) : rng.normals(n);
  const s = norm(v);
  if (!(s > 0)) throw new Error('lanczos: start vector is zero');
  for (let i = 0; i < n; i++) v[i]! /= s;
  return v;
}

function orthogonalize(w: Float64Array, Q: Float64Array, k: number, n: number, c: Float64Array): void {
  for (let j = 0; j < k; j++) c[j] = dotRows(Q, j * n, w, 0, n);
  for (let j = 0; j < k; j++) {
    const s = c[j]!, o = j * n;
    if (s !== 0) for (let i = 0; i < n; i++) w[i]! -= s * Q[o + i]!;
  }
}

function restart(n: number, rng: Rng, Q: Float64Array, k: number, tmp: Float64Array): Float64Array | undefined {
  for (let attempt = 0; attempt < 3; attempt++) {
    const v = rng.normals(n);
    const before = norm(v);
    orthogonalize(v, Q, k, n, tmp);
    orthogonalize(v, Q, k, n, tmp);
    const after = norm(v);
    if (after > 1e-8 * before) {
      for (let i = 0; i < n; i++) v[i]! /= after;
      return v;
    }
  }
  return undefined;
}

/** The Euclidean norm ‖v‖₂ of a vector. */
export function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}
