import { checkMatrix, ConvexInputError } from './errors.js';

/**
 * A data set for the convex programs: X is n×d row-major, Y is n×c (c = 1 for scalar regression).
 * A bias is not a separate parameter: append a column of ones (`withBias`) so every hidden neuron
 * u = (a, b) computes (aᵀx + b)_+, and the bias is regularized with the weights, as in (C1).
 */
export interface Dataset {
  readonly X: Float64Array;
  readonly Y: Float64Array;
  readonly n: number;
  readonly d: number;
  readonly c: number;
  /** True when the last column of X is the constant 1 feature (the bias). */
  readonly bias?: boolean;
}

/** Build and validate a data set; `y` is length n (c = 1) or n×c row-major. */
export function dataset(X: ArrayLike<number>, n: number, d: number, y: ArrayLike<number>, c = 1, bias = false): Dataset {
  checkMatrix(X, n, d, 'X');
  if (!Number.isInteger(c) || c < 1) throw new ConvexInputError(`the output count c must be a positive integer, got ${c}`);
  if (y.length !== n * c) {
    throw new ConvexInputError(`targets have ${y.length} entries but X has ${n} rows and c = ${c} outputs (expected ${n * c}); shapes must match`);
  }
  checkMatrix(y, n, c, 'y');
  return { X: Float64Array.from(X), Y: Float64Array.from(y), n, d, c, bias };
}

/** Append the constant-1 column to X (n×d → n×(d+1)). */
export function withBias(data: Dataset): Dataset {
  if (data.bias) return data;
  const { n, d } = data;
  const X = new Float64Array(n * (d + 1));
  for (let i = 0; i < n; i++) {
    X.set(data.X.subarray(i * d, i * d + d), i * (d + 1));
    X[i * (d + 1) + d] = 1;
  }
  return { ...data, X, d: d + 1, bias: true };
}

/** One-hot targets (n×c) from integer labels in [0, c). */
export function oneHotTargets(labels: ArrayLike<number>, c: number): Float64Array {
  const Y = new Float64Array(labels.length * c);
  for (let i = 0; i < labels.length; i++) {
    const k = labels[i]!;
    if (!Number.isInteger(k) || k < 0 || k >= c) throw new ConvexInputError(`label ${k} at row ${i} is not an integer in [0, ${c})`);
    Y[i * c + k] = 1;
  }
  return Y;
}
