/**
 * Independent oracles for the API fuzz: a cyclic Jacobi eigensolver (a different algorithm from
 * the Householder–QL `symmetricEigen` it checks) and small array helpers.
 */

/** All eigenvalues of a symmetric n×n row-major matrix by cyclic Jacobi rotations, ascending. */
export function jacobiEigenvalues(data: ArrayLike<number>, n: number): Float64Array {
  const a = Float64Array.from(data);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) { const m = 0.5 * (a[i * n + j]! + a[j * n + i]!); a[i * n + j] = m; a[j * n + i] = m; }
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0, scale = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { const v = a[i * n + j]! ** 2; if (i !== j) off += v; scale += v; }
    if (off <= 1e-32 * scale || off === 0) break;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) {
      const apq = a[p * n + q]!;
      if (apq === 0) continue;
      const app = a[p * n + p]!, aqq = a[q * n + q]!;
      const theta = (aqq - app) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1), s = t * c;
      for (let k = 0; k < n; k++) {
        const akp = a[k * n + p]!, akq = a[k * n + q]!;
        a[k * n + p] = c * akp - s * akq; a[k * n + q] = s * akp + c * akq;
      }
      for (let k = 0; k < n; k++) {
        const apk = a[p * n + k]!, aqk = a[q * n + k]!;
        a[p * n + k] = c * apk - s * aqk; a[q * n + k] = s * apk + c * aqk;
      }
    }
  }
  return Float64Array.from({ length: n }, (_, i) => a[i * n + i]!).sort();
}

/** max |a_ij| (the scale for absolute eigenvalue tolerances). */
export const maxAbs = (a: ArrayLike<number>): number => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!)); return m; };

export const sum = (a: ArrayLike<number>): number => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]!; return s; };

/** Row i of a row-major [n, d] array. */
export const row = (a: Float64Array, d: number, i: number): Float64Array => a.subarray(i * d, (i + 1) * d);

/** True when every entry is a finite number. */
export const allFinite = (a: ArrayLike<number>): boolean => { for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return false; return true; };

/** "expected X, got Y" helper for oracles: undefined when |a − b| ≤ tol. */
export function near(what: string, got: number, want: number, tol: number): string | undefined {
  if (Number.isNaN(got) || !(Math.abs(got - want) <= tol)) return `${what} = ${got}, expected ${want} (tol ${tol.toExponential(1)})`;
  return undefined;
}

/** The first problem of a list of checks, or undefined. */
export const firstProblem = (...ps: (string | undefined)[]): string | undefined => ps.find((p) => p !== undefined);
