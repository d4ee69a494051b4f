import { defineOperator, isLinearOperator, type DenseMatrix, type DenseMatrixLike, type LinearOperator, type OperatorLike } from './linear-operator.js';
import { DEFAULT_MEMORY_BUDGET, denseBytes, guardMemory } from './memory.js';

/** A dense square matrix from row-major data; checks that the length is a square. */
export function denseMatrix(data: Float64Array, size?: number): DenseMatrix {
  const n = size ?? Math.round(Math.sqrt(data.length));
  if (n * n !== data.length) throw new Error(`dense matrix: ${data.length} values is not a ${n}×${n} square; pass the size`);
  return { size: n, data };
}

/** Largest |A − Aᵀ| entry relative to the largest |A| entry (0 for an exactly symmetric matrix). */
export function asymmetry(m: DenseMatrixLike): number {
  const { size: n, data: a } = m;
  let diff = 0, scale = 0;
  for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(a[i]!));
  // 32×32 tiles: the transposed reads stay in cache (a plain column walk misses on every entry once
  // n·8 bytes exceeds a page, which made this check a visible share of a dense eigensolve).
  for (let i0 = 0; i0 < n; i0 += 32)
    for (let j0 = i0; j0 < n; j0 += 32)
      for (let i = i0, ie = Math.min(i0 + 32, n); i < ie; i++)
        for (let j = Math.max(j0, i + 1), je = Math.min(j0 + 32, n); j < je; j++) diff = Math.max(diff, Math.abs(a[i * n + j]! - a[j * n + i]!));
  return scale === 0 ? 0 : diff / scale;
}

/**
 * Wrap a dense matrix as an operator. Symmetric when declared, or (by default) when the matrix is
 * symmetric to 1e-12 relative. Products are plain row-major loops: O(size²) per vector.
 */
export function denseOperator(m: DenseMatrix, options: { symmetric?: boolean; rankBound?: number; label?: string } = {}): LinearOperator {
  const { size: n, data: a } = m;
  if (a.length !== n * n) throw new Error(`dense operator: ${a.length} values for size ${n}`);
  const symmetric = options.symmetric ?? asymmetry(m) <= 1e-12;
  const mv = (v: Float64Array, out: Float64Array, off: number) => {
    for (let i = 0; i < n; i++) {
      let s = 0;
      const r = i * n;
      for (let j = 0; j < n; j++) s += a[r + j]! * v[off + j]!;
      out[off + i] = s;
    }
  };
  return defineOperator({
    size: n,
    symmetric,
    ...(options.rankBound !== undefined ? { rankBound: options.rankBound } : {}),
    label: options.label ?? `dense(${n}×${n})`,
    matvec: (v) => {
      const out = new Float64Array(n);
      mv(v, out, 0);
      return out;
    },
    matmat: (v, k) => {
      const out = new Float64Array(n * k);
      for (let j = 0; j < k; j++) mv(v, out, j * n);
      return out;
    },
  });
}

/** An estimator's input as an operator (dense matrices are wrapped). */
export function asOperator(a: OperatorLike): LinearOperator {
  return isLinearOperator(a) ? a : denseOperator(a);
}

/**
 * Materialize an operator by applying it to the identity, `block` columns per product (a backend
 * batches them). Guarded: size² · 8 bytes must fit `memoryBudget`.
 *
 * Cost: size operator applications.
 */
export async function toDense(op: OperatorLike, options: { memoryBudget?: number; block?: number } = {}): Promise<DenseMatrix> {
  if (!isLinearOperator(op)) return op;
  const n = op.size, block = Math.max(1, Math.min(options.block ?? 32, n));
  guardMemory(`materializing ${op.label} as a dense ${n}×${n} matrix`, denseBytes(n * n) * 2, options.memoryBudget ?? DEFAULT_MEMORY_BUDGET,
    'Use a matrix-free estimator (lanczos, powerIteration, hutchinsonTrace) on the operator, or raise memoryBudget.');
  const out = new Float64Array(n * n);
  for (let c0 = 0; c0 < n; c0 += block) {
    const k = Math.min(block, n - c0);
    const e = new Float64Array(n * k);
    for (let j = 0; j < k; j++) e[j * n + c0 + j] = 1;
    const cols = await op.matmat(e, k);
    // Column c0+j of the operator is cols[j]; store it transposed into row-major A.
    for (let j = 0; j < k; j++) for (let i = 0; i < n; i++) out[i * n + c0 + j] = cols[j * n + i]!;
  }
  return { size: n, data: out };
}
