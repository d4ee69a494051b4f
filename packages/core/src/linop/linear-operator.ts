/**
 * A square linear operator known only through products: the structure matrix J Jᵀ as NTK–vector
 * products, a Hessian as Hessian–vector products, or a dense matrix. Estimators (Lanczos, power
 * iteration, Hutchinson) take any operator, so a matrix-free probe and its dense oracle run through
 * the same code. Products are async because a backend computes them.
 *
 * Layout of blocks of vectors (`matmat`): k vectors stored one after the other, vector j in
 * `V[j·size .. (j+1)·size)`. The result has the same layout.
 *
 * @see curvlinops (operators with two methods plus algebra) — the anchor for this interface.
 */
export interface LinearOperator {
  /** Number of rows (= columns). */
  readonly size: number;
  /** Declared symmetric (self-adjoint); Lanczos requires it. */
  readonly symmetric: boolean;
  /**
   * A known upper bound on the rank, when the structure gives one (J Jᵀ with J of size m × P has
   * rank ≤ min(m, P)). When `rankBound < size`, λ_min = 0 exactly and estimators say so instead
   * of returning a round-off-sized number.
   */
  readonly rankBound?: number;
  /** What the operator is, for messages and reports. */
  readonly label: string;
  matvec(v: Float64Array): Promise<Float64Array>;
  /** k products at once (a backend may batch them into one run). */
  matmat(v: Float64Array, k: number): Promise<Float64Array>;
}

/**
 * What {@link defineOperator} builds a {@link LinearOperator} from: size, symmetry, an optional rank
 * bound and label (default `operator(size)`), a matvec, and optionally a batched matmat (default: one
 * matvec per vector); products may return a promise or an array.
 */
export interface OperatorDefinition {
  readonly size: number;
  readonly symmetric: boolean;
  readonly rankBound?: number;
  readonly label?: string;
  readonly matvec: (v: Float64Array) => Promise<Float64Array> | Float64Array;
  readonly matmat?: (v: Float64Array, k: number) => Promise<Float64Array> | Float64Array;
}

/**
 * Build an operator from a matvec (and optionally a batched matmat; the default loops over
 * matvec). Checks vector lengths on every call so a wrong size fails loudly, not as garbage.
 */
export function defineOperator(def: OperatorDefinition): LinearOperator {
  const { size } = def;
  if (!Number.isInteger(size) || size < 1) throw new Error(`linear operator: size must be a positive integer, got ${size}`);
  if (def.rankBound !== undefined && !(def.rankBound >= 0)) throw new Error(`linear operator: rankBound must be >= 0, got ${def.rankBound}`);
  const label = def.label ?? `operator(${size})`;
  const check = (what: string, got: number, want: number) => {
    if (got !== want) throw new Error(`${label}: ${what} has length ${got}, expected ${want}`);
  };
  const matvec = async (v: Float64Array) => {
    check('matvec input', v.length, size);
    const out = await def.matvec(v);
    check('matvec result', out.length, size);
    return out;
  };
  const matmat = async (v: Float64Array, k: number) => {
    if (!Number.isInteger(k) || k < 0) throw new Error(`${label}: matmat needs a non-negative integer k, got ${k}`);
    check('matmat input', v.length, size * k);
    if (def.matmat) {
      const out = await def.matmat(v, k);
      check('matmat result', out.length, size * k);
      return out;
    }
    const out = new Float64Array(size * k);
    for (let j = 0; j < k; j++) out.set(await def.matvec(v.subarray(j * size, (j + 1) * size)), j * size);
    return out;
  };
  return {
    size,
    symmetric: def.symmetric,
    ...(def.rankBound !== undefined ? { rankBound: Math.min(def.rankBound, size) } : {}),
    label,
    matvec,
    matmat,
  };
}

/** Anything an estimator accepts: an operator, or a dense square matrix (row-major). */
export type OperatorLike = LinearOperator | DenseMatrix;

/** A dense square matrix in row-major order. */
export interface DenseMatrix {
  readonly size: number;
  readonly data: Float64Array;
}

/** A dense square matrix in float64 or float32 (half the memory), row-major: what read-only consumers accept. */
export interface DenseMatrixLike {
  readonly size: number;
  readonly data: Float64Array | Float32Array;
}

/** True when `a` is a matrix-free {@link LinearOperator} (it has a `matvec`), false for a {@link DenseMatrix}. */
export function isLinearOperator(a: OperatorLike): a is LinearOperator {
  return typeof (a as LinearOperator).matvec === 'function';
}
