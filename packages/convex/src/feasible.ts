import { patternKey, patternOf, type PatternSet } from './arrangements.js';
import { projectOntoCone } from './linalg/cone-projection.js';

/**
 * A primal-feasible copy of θ for (C4): every block θ_b of pattern i ends in a cone
 * K_j = {u : (2D_j − I) X u ≥ 0} of the pattern set, with ‖·‖ no larger than before.
 *
 * Why: the augmented Lagrangian only drives the cone violation to zero in the limit, and an
 * infeasible θ can have an objective BELOW the optimum, so "primal − dual" of the raw iterate is
 * not a bound and can be negative (the MNIST example printed gap = −9.7e-4). A feasible point has
 * objective ≥ p*(patterns), so its gap to a dual-feasible point is a true bound.
 *
 * Per violating block, cheapest change of the predictions first:
 * 1. if the block's own activation pattern 1[Xθ_b ≥ 0] is in the set, move θ_b there unchanged
 *    (it lies in that cone by construction; its predictions change only on the violating rows,
 *    by at most the violation);
 * 2. else replace θ_b by its Euclidean projection onto K_i, which never lengthens it
 *    (‖Π_K(θ_b)‖ ≤ ‖θ_b‖ for a cone holding 0) but can move thin-cone predictions by more.
 * Blocks landing on the same (sign, pattern, output) slot are added: a cone is convex, so the sum
 * stays feasible, and ‖a + b‖ ≤ ‖a‖ + ‖b‖ keeps the penalty from growing.
 *
 * Blocks are laid out as in PatternOperator (S = 2): b = (s·P + i)·c + k.
 * Cost: O(B·n·d) to test the blocks, plus one active-set cone projection per block that needs one.
 */
export function projectToCones(theta: Float64Array, X: Float64Array, n: number, d: number, patterns: PatternSet, c: number): Float64Array {
  const P = patterns.P, out = new Float64Array(theta.length);
  const signs = new Int8Array(n), g = new Float64Array(d);
  let index: Map<string, number> | undefined;
  for (let i = 0; i < P; i++) {
    for (let s = 0; s < 2; s++) for (let k = 0; k < c; k++) {
      const b = (s * P + i) * c + k, o = b * d;
      let nz = false;
      for (let j = 0; j < d; j++) { g[j] = theta[o + j]!; if (g[j] !== 0) nz = true; }
      if (!nz) continue;
      if (inCone(X, n, d, patterns.masks, i, g)) { add(out, o, g, d); continue; }
      index ??= patternIndex(patterns);
      const own = patternOf(X, n, d, g);
      const j = index.get(patternKey(own, 0, n));
      if (j !== undefined) { add(out, ((s * P + j) * c + k) * d, g, d); continue; }
      for (let r = 0; r < n; r++) signs[r] = patterns.masks[i * n + r] ? 1 : -1;
      add(out, o, projectOntoCone(X, signs, n, d, g).u, d);
    }
  }
  return out;
}

function add(out: Float64Array, o: number, g: Float64Array, d: number): void {
  for (let j = 0; j < d; j++) out[o + j]! += g[j]!;
}

/** (2D_i − I) X g ≥ 0 exactly. */
function inCone(X: Float64Array, n: number, d: number, masks: Uint8Array, i: number, g: Float64Array): boolean {
  for (let r = 0; r < n; r++) {
    let z = 0;
    for (let j = 0; j < d; j++) z += X[r * d + j]! * g[j]!;
    if (masks[i * n + r] ? z < 0 : z > 0) return false;
  }
  return true;
}

function patternIndex(ps: PatternSet): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < ps.P; i++) m.set(patternKey(ps.masks, i * ps.n, ps.n), i);
  return m;
}
