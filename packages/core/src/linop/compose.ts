import { defineOperator, type LinearOperator, type OperatorLike } from './linear-operator.js';
import { asOperator } from './dense.js';

/** c·A. Keeps symmetry and the rank bound (c ≠ 0). */
export function scaleOperator(a: OperatorLike, c: number): LinearOperator {
  const op = asOperator(a);
  const scale = (y: Float64Array) => {
    for (let i = 0; i < y.length; i++) y[i]! *= c;
    return y;
  };
  return defineOperator({
    size: op.size,
    symmetric: op.symmetric,
    ...(op.rankBound !== undefined ? { rankBound: c === 0 ? 0 : op.rankBound } : {}),
    label: `${c}·${op.label}`,
    matvec: async (v) => scale(Float64Array.from(await op.matvec(v))),
    matmat: async (v, k) => scale(Float64Array.from(await op.matmat(v, k))),
  });
}

/** A + B (same size). Symmetric when both are; rank ≤ rank A + rank B. */
export function addOperators(a: OperatorLike, b: OperatorLike): LinearOperator {
  const A = asOperator(a), B = asOperator(b);
  if (A.size !== B.size) throw new Error(`addOperators: sizes differ (${A.size} vs ${B.size})`);
  const sum = (x: Float64Array, y: Float64Array) => {
    const out = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = x[i]! + y[i]!;
    return out;
  };
  const rank = A.rankBound !== undefined && B.rankBound !== undefined ? A.rankBound + B.rankBound : undefined;
  return defineOperator({
    size: A.size,
    symmetric: A.symmetric && B.symmetric,
    ...(rank !== undefined ? { rankBound: rank } : {}),
    label: `(${A.label} + ${B.label})`,
    matvec: async (v) => sum(await A.matvec(v), await B.matvec(v)),
    matmat: async (v, k) => sum(await A.matmat(v, k), await B.matmat(v, k)),
  });
}

/** A + σI: shifts every eigenvalue by σ (used to turn a smallest-eigenvalue search into a largest). */
export function shiftOperator(a: OperatorLike, sigma: number): LinearOperator {
  const op = asOperator(a);
  return defineOperator({
    size: op.size,
    symmetric: op.symmetric,
    label: `(${op.label} + ${sigma}·I)`,
    matvec: async (v) => {
      const y = Float64Array.from(await op.matvec(v));
      for (let i = 0; i < y.length; i++) y[i]! += sigma * v[i]!;
      return y;
    },
    matmat: async (v, k) => {
      const y = Float64Array.from(await op.matmat(v, k));
      for (let i = 0; i < y.length; i++) y[i]! += sigma * v[i]!;
      return y;
    },
  });
}

/**
 * A·B (x ↦ A(Bx)). Not symmetric in general; pass `symmetric: true` only when the math says so
 * (e.g. B = Aᵀ).
 */
export function composeOperators(a: OperatorLike, b: OperatorLike, options: { symmetric?: boolean } = {}): LinearOperator {
  const A = asOperator(a), B = asOperator(b);
  if (A.size !== B.size) throw new Error(`composeOperators: sizes differ (${A.size} vs ${B.size})`);
  const rank = Math.min(A.rankBound ?? A.size, B.rankBound ?? B.size);
  return defineOperator({
    size: A.size,
    symmetric: options.symmetric ?? false,
    ...(rank < A.size ? { rankBound: rank } : {}),
    label: `${A.label}·${B.label}`,
    matvec: async (v) => A.matvec(await B.matvec(v)),
    matmat: async (v, k) => A.matmat(await B.matmat(v, k), k),
  });
}
