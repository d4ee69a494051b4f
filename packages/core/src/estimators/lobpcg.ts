import { asOperator } from '../linop/dense.js';
import { dotRows } from '../linop/dot.js';
import type { OperatorLike } from '../linop/linear-operator.js';
import { firstNonFiniteIndex } from '../util/finite.js';
import { Rng } from '../util/random.js';
import { symmetricEigen } from './symmetric-eigen.js';

/** T ≈ A⁻¹ (symmetric positive definite), as an operator or as a function on a block of k vectors. */
export type Preconditioner = OperatorLike | ((block: Float64Array, k: number) => Float64Array | Promise<Float64Array>);

/** Options of {@link lobpcg}: which end, block size, eigenpair count, preconditioner T ≈ A⁻¹, tolerance, iteration cap, stall rule, and seed or start block. */
export interface LobpcgOptions {
  /** Which end of the spectrum (default 'smallest', the case where a preconditioner pays off). */
  readonly which?: 'smallest' | 'largest';
  /** Vectors iterated together (default = count). More than `count` speeds up clustered ends. */
  readonly blockSize?: number;
  /** Eigenpairs that must converge (default 1). */
  readonly count?: number;
  /** T ≈ A⁻¹, SPD. Without one, LOBPCG is a locally optimal steepest descent (Lanczos is better then). */
  readonly preconditioner?: Preconditioner;
  /**
   * Stop when ‖A x_j − θ_j x_j‖ ≤ tol·|θ_j| for the wanted pairs. The eigenvalue error is then
   * ≤ tol·|θ_j| and ≈ tol²·θ_j²/gap, i.e. far smaller once the pair is isolated. Default 1e-8.
   */
  readonly tol?: number;
  /** Most iterations (each costs blockSize operator applications). Default 200. */
  readonly maxIterations?: number;
  /**
   * Stop early, flagged `stalled`, when the wanted residuals have not dropped below 0.9× their best
   * for this many iterations: the operator's own round-off (a float32 backend) sets a floor that
   * `tol` may lie under. Default 20; Infinity disables.
   */
  readonly stallIterations?: number;
  readonly seed?: number;
  /** Start block (blockSize vectors of length size, one after another), e.g. a previous result. */
  readonly start?: Float64Array;
}

/** One entry of `LobpcgResult.history`: operator applications so far, and the extreme Ritz value of the wanted end with its residual. */
export interface LobpcgStep {
  /** Operator applications so far. */
  readonly matvecs: number;
  /** The extreme Ritz value (the wanted end) after this step. */
  readonly value: number;
  /** Its residual norm ‖A x − θ x‖. */
  readonly residual: number;
}

/**
 * What {@link lobpcg} found: the wanted Ritz values and vectors with their residuals, the iteration and
 * product counts, whether it converged, stalled or knew the operator rank deficient, and the history.
 */
export interface LobpcgResult {
  /** The wanted Ritz values, from the extreme inwards (ascending for 'smallest'). */
  readonly values: Float64Array;
  /** Ritz vectors, one after another, in the order of `values`. */
  readonly vectors: Float64Array;
  readonly residuals: Float64Array;
  readonly iterations: number;
  /** Operator applications in all (blockSize for the start, then ≤ blockSize per iteration). */
  readonly matvecs: number;
  readonly converged: boolean;
  /** Stopped because the residuals stopped improving (see `stallIterations`); the values are then as accurate as the operator allows. */
  readonly stalled: boolean;
  /**
   * `rankBound < size` with which = 'smallest': λ_min = 0 exactly, returned without iterating
   * (vectors empty), as `lanczos` does.
   */
  readonly rankDeficient: boolean;
  /** The extreme Ritz value and its residual after the start and after every iteration. */
  readonly history: readonly LobpcgStep[];
}

/**
 * Extreme eigenpairs of a symmetric operator by LOBPCG (Knyazev 2001): each iteration does a
 * Rayleigh–Ritz on span{X, T R, P} — the current vectors, the preconditioned residuals, and the
 * previous search directions — so it is a preconditioned, three-term, locally optimal method.
 *
 * Why: Lanczos is optimal among methods that only apply A, and it still needs ~√(λ_max/gap)
 * products for a crowded λ_min (the bottom of an NTK spectrum: hundreds). A preconditioner T ≈ A⁻¹
 * carries outside information; with a good one (for an NTK, its traced Kronecker approximation,
 * see `StructureMatrixProbe.preconditioner`) λ_min converges in tens of products.
 *
 * Numerics: the basis [X, P, W] is orthonormalized explicitly (two Gram–Schmidt passes) before the
 * Rayleigh–Ritz step, so the projected problem is a standard symmetric one; A X and A P are carried
 * by the same linear combinations as X and P, and only A W is computed. Columns that become
 * dependent are dropped, which is what keeps LOBPCG stable near convergence.
 *
 * Cost per iteration: blockSize operator and preconditioner applications, O(size·blockSize²) flops.
 * Memory: ≈ 8 blocks of size × blockSize.
 * @see docs/theory.md §7 item 8; Knyazev, SIAM J. Sci. Comput. 23 (2001); scipy.sparse.linalg.lobpcg.
 */
export async function lobpcg(a: OperatorLike, options: LobpcgOptions = {}): Promise<LobpcgResult> {
  const op = asOperator(a);
  if (!op.symmetric) throw new Error(`lobpcg: ${op.label} is not declared symmetric; LOBPCG needs a symmetric operator`);
  const n = op.size, which = options.which ?? 'smallest';
  if (which !== 'smallest' && which !== 'largest') throw new Error(`lobpcg: which must be 'smallest' or 'largest', got ${String(which)}`);
  const count = options.count ?? 1;
  const m = options.blockSize ?? count;
  if (!Number.isInteger(count) || count < 1) throw new Error(`lobpcg: count must be a positive integer, got ${count}`);
  if (!Number.isInteger(m) || m < count) throw new Error(`lobpcg: blockSize (${m}) must be an integer ≥ count (${count})`);
  if (3 * m > n) throw new Error(`lobpcg: blockSize ${m} is too large for an operator of size ${n} (needs 3·blockSize ≤ size); use symmetricEigen on toDense(op) for small operators`);
  const tol = options.tol ?? 1e-8, maxIt = options.maxIterations ?? 200;
  if (!(tol > 0)) throw new Error(`lobpcg: tol must be positive, got ${tol}`);

  if (which === 'smallest' && op.rankBound !== undefined && op.rankBound < n)
    return { values: new Float64Array(count), vectors: new Float64Array(0), residuals: new Float64Array(count), iterations: 0, matvecs: 0, converged: true, stalled: false, rankDeficient: true, history: [] };

  const precondition = preconditionerOf(options.preconditioner, n);
  const sign = which === 'smallest' ? 1 : -1; // pick Ritz values from this end
  let matvecs = 0;
  const apply = async (v: Float64Array, k: number) => {
    matvecs += k;
    const out = Float64Array.from(await op.matmat(v, k)); // the operator may hand back a buffer it reuses
    if (firstNonFiniteIndex(out) >= 0) throw new Error(`lobpcg: ${op.label} returned a non-finite value after ${matvecs} products; check the operator's inputs (parameters, data) for NaN/Inf`);
    return out;
  };

  // Start: a random (or given) block, orthonormalized; then a first Rayleigh–Ritz on it.
  let X: Float64Array;
  if (options.start) {
    if (options.start.length !== n * m) throw new Error(`lobpcg: start has length ${options.start.length}, expected blockSize × size = ${m * n}`);
    X = Float64Array.from(options.start);
  } else X = new Rng(options.seed ?? 0).normals(n * m);
  if (firstNonFiniteIndex(X) >= 0) throw new Error('lobpcg: start block has non-finite entries');
  const kept = orthonormalize(X, m, n, [], 1e-12);
  if (kept.length < m) throw new Error(`lobpcg: start block has rank ${kept.length} < blockSize ${m}; pass independent vectors`);
  let AX = await apply(X, m);
  let P: Float64Array | undefined, AP: Float64Array | undefined, mp = 0;
  let theta: Float64Array;
  {
    const rr = rayleighRitz([X], [AX], [m], n, m, sign);
    X = rr.X; AX = rr.AX; theta = rr.theta;
  }
  const history: LobpcgStep[] = [];
  const R = new Float64Array(n * m);
  const resid = new Float64Array(m);
  const residuals = () => {
    const bad = residualsInto(R, resid, X, AX, theta, m, n);
    if (bad >= 0) throw new Error(`lobpcg: the residual became ${resid[bad]} after ${matvecs} products; the operator (or preconditioner) returned non-finite values`);
  };
  let scale = 0; // largest |Ritz value| seen: the floor of the relative test when θ ≈ 0
  const isDone = () => {
    for (const t of theta) scale = Math.max(scale, Math.abs(t));
    for (let j = 0; j < count; j++) if (!(resid[j]! <= tol * Math.max(Math.abs(theta[j]!), 1e-14 * scale))) return false;
    return true;
  };
  residuals();
  history.push({ matvecs, value: theta[0]!, residual: resid[0]! });
  const stallAfter = options.stallIterations ?? 20;
  const worst = () => { let w = 0; for (let j = 0; j < count; j++) w = Math.max(w, resid[j]!); return w; };
  let best = worst(), lastGain = 0, stalled = false;
  let it = 0, converged = isDone();
  while (!converged && it < maxIt) {
    if (it - lastGain >= stallAfter) { stalled = true; break; }
    it++;
    // W = T R, then orthogonal to X and P and orthonormal; only W needs fresh products.
    let W: Float64Array = Float64Array.from(precondition ? await precondition(R, m) : R);
    if (W.length !== n * m) throw new Error(`lobpcg: the preconditioner returned ${W.length} values for ${m} vectors of size ${n}`);
    if (P && mp > 0) {
      // P ⟂ X first (A P follows by the same combination), then W ⟂ [X, P].
      const keptP = orthonormalize(P, mp, n, [X.subarray(0, m * n)], 1e-8, AP!, [AX]);
      P = gather(P, keptP, n); AP = gather(AP!, keptP, n); mp = keptP.length;
    }
    const against = mp > 0 ? [X, P!] : [X];
    const keptW = orthonormalize(W, m, n, against, 1e-10);
    W = gather(W, keptW, n);
    const mw = keptW.length;
    if (mw === 0) { converged = true; break; } // the residuals lie in the search space: exact
    const AW = await apply(W, mw);
    const blocks = mp > 0 ? [X, P!, W] : [X, W], Ablocks = mp > 0 ? [AX, AP!, AW] : [AX, AW];
    const sizes = mp > 0 ? [m, mp, mw] : [m, mw];
    const rr = rayleighRitz(blocks, Ablocks, sizes, n, m, sign);
    X = rr.X; AX = rr.AX; theta = rr.theta;
    P = rr.P; AP = rr.AP; mp = m;
    residuals();
    history.push({ matvecs, value: theta[0]!, residual: resid[0]! });
    converged = isDone();
    if (worst() < 0.9 * best) { best = worst(); lastGain = it; }
  }
  return {
    values: theta.slice(0, count), vectors: X.slice(0, count * n), residuals: resid.slice(0, count),
    iterations: it, matvecs, converged, stalled, rankDeficient: false, history,
  };
}

function preconditionerOf(p: Preconditioner | undefined, n: number): ((b: Float64Array, k: number) => Promise<Float64Array>) | undefined {
  if (p === undefined) return undefined;
  if (typeof p === 'function') return async (b, k) => p(b, k);
  const op = asOperator(p);
  if (op.size !== n) throw new Error(`lobpcg: preconditioner has size ${op.size}, the operator ${n}`);
  return (b, k) => op.matmat(b, k);
}

/**
 * R = A X − X diag(θ) for the m vectors (columns j·n … j·n + n − 1) and their norms into `resid`;
 * returns the first j whose norm is not finite, else −1. A module-level function, not a closure
 * inside `lobpcg`: V8 optimized a fresh closure anew on every call (two background compilations
 * per call), where this one stays optimized from call to call.
 */
function residualsInto(R: Float64Array, resid: Float64Array, X: Float64Array, AX: Float64Array, theta: Float64Array, m: number, n: number): number {
  for (let j = 0; j < m; j++) {
    let s = 0;
    const o = j * n, t = theta[j]!;
    for (let i = 0; i < n; i++) { const r = AX[o + i]! - t * X[o + i]!; R[o + i] = r; s += r * r; }
    resid[j] = Math.sqrt(s);
    if (!Number.isFinite(resid[j]!)) return j;
  }
  return -1;
}

/**
 * Orthonormalize the k vectors of V (in place) against the orthonormal blocks `against` and among
 * themselves, two Gram–Schmidt passes each. A vector whose norm falls below `drop` of its norm
 * before the passes is dependent and dropped. When AV is given (with A·against), the same
 * combinations are applied to it, so AV stays A·V without new products. Returns kept indices.
 */
function orthonormalize(V: Float64Array, k: number, n: number, against: readonly Float64Array[], drop: number, AV?: Float64Array, Aagainst?: readonly Float64Array[]): number[] {
  const kept: number[] = [];
  for (let j = 0; j < k; j++) {
    const o = j * n;
    const before = normAt(V, o, n);
    if (!(before > 0)) continue;
    for (let pass = 0; pass < 2; pass++) {
      for (let b = 0; b < against.length; b++) {
        const B = against[b]!, cols = B.length / n;
        for (let c = 0; c < cols; c++) {
          const s = dotRows(B, c * n, V, o, n);
          axpyAt(-s, B, c * n, V, o, n);
          if (AV) axpyAt(-s, Aagainst![b]!, c * n, AV, o, n);
        }
      }
      for (const c of kept) {
        const s = dotRows(V, c * n, V, o, n);
        axpyAt(-s, V, c * n, V, o, n);
        if (AV) axpyAt(-s, AV, c * n, AV, o, n);
      }
    }
    const after = normAt(V, o, n);
    if (!(after > drop * before)) continue;
    for (let i = 0; i < n; i++) V[o + i]! /= after;
    if (AV) for (let i = 0; i < n; i++) AV[o + i]! /= after;
    kept.push(j);
  }
  return kept;
}

/** The kept columns of V, packed. */
function gather(V: Float64Array, kept: readonly number[], n: number): Float64Array {
  const out = new Float64Array(kept.length * n);
  kept.forEach((c, j) => out.set(V.subarray(c * n, (c + 1) * n), j * n));
  return out;
}

/** Column c of the blocks laid side by side (block b holds sizes[b] columns of length n): its array and offset. */
function blockColumn(list: readonly Float64Array[], sizes: readonly number[], c: number, n: number): [Float64Array, number] {
  let b = 0;
  while (c >= sizes[b]!) { c -= sizes[b]!; b++; }
  return [list[b]!, c * n];
}

/**
 * Rayleigh–Ritz on the orthonormal basis S = [blocks]: G = Sᵀ(A S), eigenpairs of G, the m from
 * the wanted end. X = S C, and P = (the non-X part of S) C — the new search directions.
 */
function rayleighRitz(blocks: readonly Float64Array[], Ablocks: readonly Float64Array[], sizes: readonly number[], n: number, m: number, sign: number) {
  const s = sizes.reduce((p, q) => p + q, 0);
  const G = new Float64Array(s * s);
  for (let i = 0; i < s; i++) {
    const [Si, oi] = blockColumn(blocks, sizes, i, n);
    for (let j = i; j < s; j++) {
      const [ASj, oj] = blockColumn(Ablocks, sizes, j, n);
      const [Sj, oj2] = blockColumn(blocks, sizes, j, n);
      const [ASi, oi2] = blockColumn(Ablocks, sizes, i, n);
      // Symmetrized: (sᵢ·A sⱼ + sⱼ·A sᵢ)/2 cancels the asymmetry of carried products.
      const g = 0.5 * (dotRows(Si, oi, ASj, oj, n) + dotRows(Sj, oj2, ASi, oi2, n));
      G[i * s + j] = g;
      G[j * s + i] = g;
    }
  }
  const eig = symmetricEigen({ size: s, data: G }, { vectors: true });
  const theta = new Float64Array(m);
  const X = new Float64Array(m * n), AX = new Float64Array(m * n), P = new Float64Array(m * n), AP = new Float64Array(m * n);
  for (let j = 0; j < m; j++) {
    const e = sign > 0 ? j : s - 1 - j;
    theta[j] = eig.values[e]!;
    const c = eig.vectors!.subarray(e * s, (e + 1) * s);
    for (let t = 0; t < s; t++) {
      const w = c[t]!;
      if (w === 0) continue;
      const [St, ot] = blockColumn(blocks, sizes, t, n), [ASt, aot] = blockColumn(Ablocks, sizes, t, n);
      axpyAt(w, St, ot, X, j * n, n);
      axpyAt(w, ASt, aot, AX, j * n, n);
      if (t >= sizes[0]!) { axpyAt(w, St, ot, P, j * n, n); axpyAt(w, ASt, aot, AP, j * n, n); }
    }
  }
  return { theta, X, AX, P, AP };
}

function axpyAt(alpha: number, x: Float64Array, xo: number, y: Float64Array, yo: number, n: number): void {
  for (let i = 0; i < n; i++) y[yo + i]! += alpha * x[xo + i]!;
}

function normAt(a: Float64Array, o: number, n: number): number {
  return Math.sqrt(dotRows(a, o, a, o, n));
}
