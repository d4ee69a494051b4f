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

  constructor(private readonly classes: number, options: DivergenceOptions = {}) {
    this.factor = options.lossFactor ?? 10;
    if (!(this.factor > 1)) throw new Error(`divergence: lossFactor must be > 1, got ${this.factor}`);
  }

  check(v: StepValues): void {
    const lower = `Lower the learning rate (now ${v.lr}; try ${fmt(v.lr / 10)}), add warm-up (--schedule cosine:warmup=200), or reduce momentum.`;
    if (!Number.isFinite(v.loss)) throw new DivergenceError(v, `the loss is ${v.loss}`, lower + ' Non-finite losses also come from non-finite inputs: check the data for NaN/Inf.');
    if (!Number.isFinite(v.gradSqNorm)) throw new DivergenceError(v, `the gradient norm is ${v.gradSqNorm}`, lower);
    if (this.reference === undefined) this.reference = Math.max(v.loss, Math.log(Math.max(2, this.classes)));
    const limit = this.factor * this.reference;
    if (v.loss > limit) throw new DivergenceError(v, `the loss exceeds ${fmt(limit)} (${this.factor}× where training started)`, lower);
  }

  /** State for checkpoints (so a resumed run judges by the same reference). */
  get state(): { reference?: number } { return this.reference === undefined ? {} : { reference: this.reference }; }
  set state(s: { reference?: number }) { this.reference = s.reference; }
}

function fmt(v: number): string {
  return Number(v.toPrecision(3)).toString();
}
