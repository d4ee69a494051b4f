/** A composite problem min_θ f(θ) + β Σ_b ‖θ_b‖₂ over B blocks of length d (a group lasso). */
export interface GroupLassoProblem {
  readonly blocks: number;
  readonly d: number;
  readonly beta: number;
  /** Lipschitz constant of ∇f (an upper estimate; the step is 1/L). */
  readonly lipschitz: number;
  /** f(θ); writes ∇f(θ) into grad. */
  smooth(theta: Float64Array, grad: Float64Array): number;
}

/** How a {@link fistaGroupLasso} solve ended; the solution itself is the θ it updated in place. */
export interface FistaResult {
  /** FISTA steps taken. */
  readonly iterations: number;
  /** The gradient mapping fell to `tol`; false when the iteration budget ran out or `shouldStop` stopped it. */
  readonly converged: boolean;
  /** ‖G_L(y)‖ = L‖y − prox(y − ∇f(y)/L)‖ at the last step: zero exactly at a minimizer. */
  readonly gradientMapping: number;
}

/** Group soft-threshold in place: θ_b ← (1 − τ/‖θ_b‖)_+ θ_b. */
export function groupShrink(theta: Float64Array, blocks: number, d: number, tau: number): void {
  for (let b = 0; b < blocks; b++) {
    const o = b * d;
    let s = 0;
    for (let j = 0; j < d; j++) s += theta[o + j]! * theta[o + j]!;
    const nb = Math.sqrt(s);
    const f = nb > tau ? 1 - tau / nb : 0;
    for (let j = 0; j < d; j++) theta[o + j]! *= f;
  }
}

/**
 * FISTA with the group soft-threshold prox and gradient-based adaptive restart (O'Donoghue &
 * Candès), which recovers linear convergence once the support settles. θ is updated in place and
 * warm starts are free. Stops when the gradient mapping is ≤ tol.
 *
 * Stops early (not converged) when `shouldStop(iteration)` returns true; it is polled every 64
 * steps (callers also use the poll to report progress).
 *
 * Cost: one `smooth` call (two GEMMs for the pattern programs) per iteration.
 * @see spec/related-papers.md §C.7 items 5–6
 */
export function fistaGroupLasso(prob: GroupLassoProblem, theta: Float64Array, opts: { maxIterations: number; tol: number; shouldStop?: (iteration: number) => boolean }): FistaResult {
  const { blocks, d, beta } = prob;
  const L = prob.lipschitz > 0 ? prob.lipschitz : 1;
  const N = blocks * d;
  const y = Float64Array.from(theta), prev = Float64Array.from(theta), grad = new Float64Array(N);
  let t = 1, gm = Infinity, it = 0;
  for (; it < opts.maxIterations; it++) {
    // A time limit must hold inside one long inner solve too; the clock is read every 64 steps.
    if (opts.shouldStop && (it & 63) === 63 && opts.shouldStop(it)) break;
    prob.smooth(y, grad);
    prev.set(theta);
    for (let i = 0; i < N; i++) theta[i] = y[i]! - grad[i]! / L;
    groupShrink(theta, blocks, d, beta / L);
    // Gradient mapping and restart test ⟨y − θ⁺, θ⁺ − θ⟩ > 0.
    let g2 = 0, restart = 0;
    for (let i = 0; i < N; i++) {
      const a = y[i]! - theta[i]!;
      g2 += a * a;
      restart += a * (theta[i]! - prev[i]!);
    }
    gm = L * Math.sqrt(g2);
    if (gm <= opts.tol) { it++; return { iterations: it, converged: true, gradientMapping: gm }; }
    if (restart > 0) t = 1;
    const tn = (1 + Math.sqrt(1 + 4 * t * t)) / 2, mom = (t - 1) / tn;
    for (let i = 0; i < N; i++) y[i] = theta[i]! + mom * (theta[i]! - prev[i]!);
    t = tn;
  }
  return { iterations: it, converged: false, gradientMapping: gm };
}
