/** The quantities of one step that the divergence check looks at. */
export interface StepValues {
  readonly step: number;
  readonly loss: number;
  readonly gradSqNorm: number;
  readonly lr: number;
}

/**
 * Training stopped because the loss or gradient became non-finite or the loss blew up. Carries the
 * step, the offending values and a suggestion of what to change.
 */
export class DivergenceError extends Error {
  constructor(readonly values: StepValues, readonly reason: string, readonly suggestion: string) {
    super(`training diverged at step ${values.step}: ${reason} (loss ${values.loss}, ‖∇R̂‖² ${values.gradSqNorm}, lr ${values.lr}). ${suggestion}`);
    this.name = 'DivergenceError';
  }
}

/** When a {@link DivergenceMonitor} stops a run: `lossFactor`, the multiple of max(first loss, ln classes) the loss may not exceed (default 10; must be > 1). */
export interface DivergenceOptions {
  /** Stop when the loss exceeds this multiple of max(first loss, log(classes)). Default 10. */
  readonly lossFactor?: number;
}

/**
 * Checks every step (the step's loss and gradient norm are downloaded anyway). Non-finite values
 * stop at once; a loss far above where training started (by default 10× the first loss, which for
 * a fresh classifier is ≈ log(classes)) means the iterates are leaving the basin.
 */
export class DivergenceMonitor {
  private reference: number | undefined;
  private readonly factor: number;

  /**
   * `baseLr` is the schedule's base rate (what the user chose): the suggestion scales it, not the
   * warm-up- or decay-scaled rate of the diverging step, which the user never set.
   */
  constructor(private readonly classes: number, options: DivergenceOptions = {}, private readonly baseLr?: number) {
    this.factor = options.lossFactor ?? 10;
    if (!(this.factor > 1)) throw new Error(`divergence: lossFactor must be > 1, got ${this.factor}`);
  }

  check(v: StepValues): void {
    const lower = this.suggestion(v);
    if (!Number.isFinite(v.loss)) throw new DivergenceError(v, `the loss is ${v.loss}`, lower + ' Non-finite losses also come from non-finite inputs: check the data for NaN/Inf.');
    if (!Number.isFinite(v.gradSqNorm)) throw new DivergenceError(v, `the gradient norm is ${v.gradSqNorm}`, lower);
    if (this.reference === undefined) this.reference = Math.max(v.loss, Math.log(Math.max(2, this.classes)));
    const limit = this.factor * this.reference;
    if (v.loss > limit) throw new DivergenceError(v, `the loss exceeds ${fmt(limit)} (${this.factor}× where training started)`, lower);
  }

  /** Stop because the weights themselves became non-finite (`what` says where, e.g. "NaN in W0[3]"). */
  nonFiniteWeights(v: StepValues, what: string): never {
    throw new DivergenceError(v, `the weights became non-finite (${what})`, this.suggestion(v));
  }

  private suggestion(v: StepValues): string {
    const base = this.baseLr ?? v.lr;
    const now = base === v.lr ? `now ${v.lr}` : `base rate ${base}, ${fmt(v.lr)} at this step`;
    return `Lower the learning rate (${now}; try ${fmt(base / 10)}), add warm-up (--schedule cosine:warmup=200), or reduce momentum.`;
  }

  /** State for checkpoints (so a resumed run judges by the same reference). */
  get state(): { reference?: number } { return this.reference === undefined ? {} : { reference: this.reference }; }
  set state(s: { reference?: number }) { this.reference = s.reference; }
}

function fmt(v: number): string {
  return Number(v.toPrecision(3)).toString();
}
