/**
 * Bad input to a convex-duality routine: the message says what was wrong and what to do.
 * Thrown before any work starts, so a caller never gets a NaN certificate.
 */
export class ConvexInputError extends Error {
  override readonly name = 'ConvexInputError';
}

/** Default memory budget for the pattern operator's work arrays (bytes). */
export const DEFAULT_MEMORY_BUDGET = 512 * 1024 * 1024;

export function checkBeta(beta: number, what = 'beta'): void {
  if (!(typeof beta === 'number' && Number.isFinite(beta) && beta > 0)) {
    throw new ConvexInputError(`${what} must be a finite number > 0, got ${beta}; the convex program needs a positive regularization (use minNormInterpolation for the beta → 0 limit)`);
  }
}

/** Check a row-major n×d matrix: non-empty, sized right, finite. */
export function checkMatrix(A: ArrayLike<number>, n: number, d: number, name: string): void {
  if (!Number.isInteger(n) || !Number.isInteger(d) || n < 1 || d < 1) {
    throw new ConvexInputError(`${name} is empty (n = ${n}, d = ${d}); pass at least one sample with at least one feature`);
  }
  if (A.length !== n * d) {
    throw new ConvexInputError(`${name} has ${A.length} entries but its shape says ${n}×${d} = ${n * d}; check the row count and the feature count`);
  }
  for (let i = 0; i < A.length; i++) {
    if (!Number.isFinite(A[i]!)) {
      throw new ConvexInputError(`${name} has a non-finite value (${A[i]}) at row ${Math.floor(i / d)}, column ${i % d}; drop or impute missing values first`);
    }
  }
}

/** Check the memory a solver would allocate against the budget. */
export function checkMemory(bytes: number, budget: number, what: string): void {
  if (bytes > budget) {
    const mib = (b: number): string => (b / 1048576).toFixed(1);
    throw new ConvexInputError(`${what} needs about ${mib(bytes)} MiB, over the memory budget of ${mib(budget)} MiB; use fewer patterns (sampleArrangements with a smaller count) or fewer samples, or raise memoryBudgetBytes`);
  }
}
