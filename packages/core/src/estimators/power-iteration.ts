import { asOperator } from '../linop/dense.js';
import type { OperatorLike } from '../linop/linear-operator.js';
import { Rng } from '../util/random.js';
import { norm } from './lanczos.js';

/** What {@link powerIteration} found: the eigenvalue of largest magnitude (signed), its unit vector, the residual ‖Av − θv‖, the iterations and whether it converged. */
export interface PowerIterationResult {
  /** The eigenvalue of largest magnitude (signed), as the Rayleigh quotient of the final vector. */
  readonly value: number;
  readonly vector: Float64Array;
  /** ‖A v − θ v‖ for the final unit vector v. */
  readonly residual: number;
  readonly iterations: number;
  readonly converged: boolean;
}

/**
 * Dominant eigenvalue (largest |λ|) by power iteration: v ← A v / ‖A v‖, θ = vᵀ A v. No basis is
 * stored, so it works where Lanczos' basis would not fit (Hessians of large models), but it
 * converges only geometrically with ratio |λ₂/λ₁|; prefer `lanczos` when memory allows.
 *
 * Cost: one operator application per iteration.
 */
export async function powerIteration(a: OperatorLike, options: { maxIterations?: number; tol?: number; seed?: number } = {}): Promise<PowerIterationResult> {
  const op = asOperator(a);
  const n = op.size, maxIt = options.maxIterations ?? 500, tol = options.tol ?? 1e-10;
  let v = new Rng(options.seed ?? 0).normals(n);
  scaleTo1(v);
  let w = await op.matvec(v);
  let theta = dot(v, w), residual = Infinity, it = 1;
  for (; it <= maxIt; it++) {
    residual = resid(w, v, theta);
    if (residual <= tol * Math.abs(theta)) return { value: theta, vector: v, residual, iterations: it, converged: true };
    const s = norm(w);
    if (s === 0) return { value: 0, vector: v, residual: 0, iterations: it, converged: true };
    v = Float64Array.from(w, (x) => x / s);
    w = await op.matvec(v);
    theta = dot(v, w);
  }
  return { value: theta, vector: v, residual: resid(w, v, theta), iterations: maxIt, converged: false };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function resid(w: Float64Array, v: Float64Array, theta: number): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) { const r = w[i]! - theta * v[i]!; s += r * r; }
  return Math.sqrt(s);
}

function scaleTo1(v: Float64Array): void {
  const s = norm(v);
  for (let i = 0; i < v.length; i++) v[i]! /= s;
}
