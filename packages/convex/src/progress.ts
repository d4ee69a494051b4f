import { ConvexInputError } from './errors.js';

/** Why a solve stopped: the certified gap, the KKT tolerances (without the certificate), no progress, or a limit. */
export type StopReason = 'gap' | 'converged' | 'stalled' | 'iteration-limit' | 'time-limit';

/** A progress report of a long solve. */
export interface SolveProgress {
  /** Outer steps done. */
  readonly outer: number;
  /** FISTA steps done in all. */
  readonly inner: number;
  readonly seconds: number;
  /** Certified bounds so far (NaN/−∞ when solved without the certificate). */
  readonly primal: number;
  readonly dual: number;
  readonly gap: number;
  readonly relativeGap: number;
  /** Cone violation of the raw iterate. */
  readonly violation: number;
}

/**
 * Wall clock of one solve: the time limit (checked by the inner loops too, so one long FISTA run
 * cannot overshoot it) and throttled progress callbacks.
 */
export class SolveClock {
  private readonly t0 = performance.now();
  private lastReport: number;
  private readonly deadline: number;

  constructor(timeLimit: number | undefined, private readonly onProgress?: (p: SolveProgress) => void, private readonly interval = 1) {
    if (timeLimit !== undefined && !(typeof timeLimit === 'number' && timeLimit > 0)) {
      throw new ConvexInputError(`timeLimit must be a number of seconds > 0, got ${timeLimit}; leave it out for no limit`);
    }
    this.lastReport = this.t0; // the first report comes after one interval: quick solves stay quiet
    this.deadline = timeLimit === undefined ? Infinity : this.t0 + 1000 * timeLimit;
  }

  seconds(): number {
    return (performance.now() - this.t0) / 1000;
  }

  /** An arrow so it can be handed to the inner loop as `shouldStop`. */
  readonly expired = (): boolean => performance.now() >= this.deadline;

  /** Report unless the last report was under `interval` seconds ago (force: always). */
  progress(p: Omit<SolveProgress, 'seconds'>, force = false): void {
    if (!this.onProgress) return;
    const now = performance.now();
    if (!force && now - this.lastReport < 1000 * this.interval) return;
    this.lastReport = now;
    this.onProgress({ ...p, seconds: (now - this.t0) / 1000 });
  }
}
