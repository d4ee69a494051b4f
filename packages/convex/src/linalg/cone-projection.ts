import { choleskySolve } from './blas.js';

/** Result of projecting g onto a polyhedral cone K = {u : A u ≥ 0}. */
export interface ConeProjection {
  /** Π_K(g), length d. */
  readonly u: Float64Array;
  /** ‖Π_K(g)‖₂ = max_{u ∈ K, ‖u‖ ≤ 1} ⟨g, u⟩ (a standard fact for closed convex cones). */
  readonly norm: number;
  /** Active constraints at the projection (the final passive set of the dual NNLS). */
  readonly active: number;
}

/**
 * Euclidean projection onto the polyhedral cone K = {u ∈ R^d : A u ≥ 0}, A being n×d row-major
 * with each row r scaled by `signs[r]` (so A = diag(signs)·X without forming it).
 *
 * Method: the dual is the non-negative least-squares problem min_{μ ≥ 0} ½‖g + Aᵀμ‖², and
 * Π_K(g) = g + Aᵀμ*. It is solved exactly (to round-off) by the Lawson–Hanson active-set method,
 * whose passive set never exceeds the d independent rows that define the face of K holding the
 * projection, so each least-squares step is a k×k Cholesky solve with k ≤ d.
 *
 * Cost: O(iterations · (n·d + d³)); iterations ≤ 3n (in practice a few times d).
 */
export function projectOntoCone(X: Float64Array, signs: Int8Array | Float64Array, n: number, d: number, g: Float64Array): ConeProjection {
  const u = Float64Array.from(g);
  const mu = new Float64Array(n);
  const passive: number[] = [];
  const inP = new Uint8Array(n);
  const w = new Float64Array(n);
  let gNorm = 0, xMax = 0;
  for (let j = 0; j < d; j++) gNorm = Math.max(gNorm, Math.abs(g[j]!));
  for (let i = 0; i < n * d; i++) xMax = Math.max(xMax, Math.abs(X[i]!));
  const tol = 1e-13 * Math.max(1e-300, gNorm * xMax * d);
  const z = new Float64Array(n), S = new Float64Array(d * d + n * n), work = new Float64Array(d * d + n * n);
  const rowDotU = (r: number): number => {
    let s = 0;
    for (let j = 0; j < d; j++) s += X[r * d + j]! * u[j]!;
    return s * signs[r]!;
  };
  const recomputeU = (): void => {
    u.set(g);
    for (const r of passive) {
      const c = mu[r]! * signs[r]!;
      if (c !== 0) for (let j = 0; j < d; j++) u[j]! += c * X[r * d + j]!;
    }
  };
  for (let outer = 0; outer < 3 * n + 10; outer++) {
    // w = −A u: the negative gradient of the dual objective in μ.
    let best = -1, bestW = tol;
    for (let r = 0; r < n; r++) {
      w[r] = -rowDotU(r);
      if (!inP[r] && w[r]! > bestW) { bestW = w[r]!; best = r; }
    }
    if (best < 0) break;
    passive.push(best); inP[best] = 1;
    for (let inner = 0; inner < 3 * n + 10; inner++) {
      const k = passive.length;
      // Unconstrained least squares on the passive set: (A_P A_Pᵀ) z = −A_P g.
      for (let a = 0; a < k; a++) {
        const ra = passive[a]!;
        let rhs = 0;
        for (let j = 0; j < d; j++) rhs -= X[ra * d + j]! * g[j]!;
        z[a] = rhs * signs[ra]!;
        for (let b = 0; b <= a; b++) {
          const rb = passive[b]!;
          let s = 0;
          for (let j = 0; j < d; j++) s += X[ra * d + j]! * X[rb * d + j]!;
          s *= signs[ra]! * signs[rb]!;
          S[a * k + b] = s; S[b * k + a] = s;
        }
      }
      if (!choleskySolve(S, z, k, work)) {
        // Dependent passive rows (degenerate data): regularize by a round-off-sized ridge.
        let tr = 0;
        for (let a = 0; a < k; a++) tr += S[a * k + a]!;
        for (let a = 0; a < k; a++) S[a * k + a]! += 1e-12 * (tr / k);
        for (let a = 0; a < k; a++) {
          const ra = passive[a]!;
          let rhs = 0;
          for (let j = 0; j < d; j++) rhs -= X[ra * d + j]! * g[j]!;
          z[a] = rhs * signs[ra]!;
        }
        choleskySolve(S, z, k, work);
      }
      let allPos = true;
      for (let a = 0; a < k; a++) if (!(z[a]! > 0)) { allPos = false; break; }
      if (allPos) {
        for (let a = 0; a < k; a++) mu[passive[a]!] = z[a]!;
        break;
      }
      let alpha = Infinity;
      for (let a = 0; a < k; a++) {
        const r = passive[a]!;
        if (!(z[a]! > 0)) { const t = mu[r]! / (mu[r]! - z[a]!); if (t < alpha) alpha = t; }
      }
      if (!Number.isFinite(alpha)) alpha = 0;
      for (let a = 0; a < k; a++) { const r = passive[a]!; mu[r] = mu[r]! + alpha * (z[a]! - mu[r]!); }
      for (let a = k - 1; a >= 0; a--) {
        const r = passive[a]!;
        if (mu[r]! <= 1e-15 * Math.max(1, Math.abs(z[a]!))) { mu[r] = 0; inP[r] = 0; passive.splice(a, 1); }
      }
      if (passive.length === 0) break;
    }
    recomputeU();
  }
  let s = 0;
  for (let j = 0; j < d; j++) s += u[j]! * u[j]!;
  return { u, norm: Math.sqrt(s), active: passive.length };
}
