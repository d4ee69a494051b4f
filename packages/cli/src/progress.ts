import { Presets, SingleBar } from 'cli-progress';
import { fmt } from './options.js';

/** Where progress goes: stderr in the CLI, a fake in tests. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(s: string): unknown;
}

/** "42 s", "3 min 05 s", "1 h 02 min": an ETA a person reads at a glance. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/**
 * Progress of `clt train` on stderr. Before the first step it says what the pause is (graphs
 * being compiled, the first probe); then, on a terminal, a cli-progress bar with steps/s and
 * ETA; elsewhere (a log file, CI) a plain line every tenth of the run or every `lineSeconds`,
 * whichever comes first, with the same figures. Steps/s is measured from the first step, so the
 * build time does not distort the ETA; it includes probes and evaluations, which the rest of the
 * run pays too.
 */
export class TrainProgress {
  private bar: SingleBar | undefined;
  private builtAt: number | undefined;
  private first: { step: number; t: number } | undefined;
  private lastLine = { step: 0, t: 0 };
  private acc = '—';

  constructor(
    private readonly total: number,
    private readonly stream: ProgressStream = process.stderr,
    private readonly now: () => number = () => performance.now() / 1000,
    private readonly lineSeconds = 30,
  ) {}

  /** Before training starts: the graphs compile and the first probe runs, often for seconds. */
  building(backend: string, probes: boolean): void {
    this.builtAt = this.now();
    this.stream.write(`  building: compiling the training${probes ? ', evaluation and probe' : ' and evaluation'} graphs on ${backend} …\n`);
  }

  step(step: number, loss: number): void {
    const t = this.now();
    if (!this.first) {
      if (this.builtAt !== undefined) this.stream.write(`  built in ${fmt(t - this.builtAt, 3)} s; training\n`);
      this.first = { step, t };
      this.lastLine = { step, t: t - this.lineSeconds }; // the first step always gets a line
      if (this.stream.isTTY) {
        this.bar = new SingleBar({
          format: '  {bar} {percentage}% | step {value}/{total} | {rate} steps/s | ETA {remaining} | loss {loss} | test acc {acc}',
          hideCursor: true, clearOnComplete: false, stream: this.stream as NodeJS.WritableStream, fps: 5,
        }, Presets.shades_classic);
        this.bar.start(this.total, step, { rate: '—', remaining: '—', loss: fmt(loss, 3), acc: this.acc });
        return;
      }
    }
    const { rate, eta } = this.estimate(step, t);
    if (this.bar) {
      // cli-progress computes its own {eta} (a reserved name); ours is measured from the first step.
      this.bar.update(step, { rate, remaining: eta, loss: fmt(loss, 3) });
      return;
    }
    const every = Math.max(1, Math.floor(this.total / 10));
    if (step - this.lastLine.step >= every || t - this.lastLine.t >= this.lineSeconds || step === this.total) {
      this.lastLine = { step, t };
      const pct = Math.floor((100 * step) / this.total);
      this.stream.write(`  step ${step}/${this.total} (${pct}%)  loss ${fmt(loss, 3)}  ${rate} steps/s  ETA ${eta}${this.acc !== '—' ? `  test acc ${this.acc}` : ''}\n`);
    }
  }

  testAccuracy(acc: number): void {
    this.acc = `${(acc * 100).toFixed(2)}%`;
    this.bar?.update({ acc: this.acc });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }

  /** Steps per second since the first step, and the time the remaining steps take at that rate. */
  private estimate(step: number, t: number): { rate: string; eta: string } {
    const done = step - this.first!.step, dt = t - this.first!.t;
    if (done <= 0 || dt <= 0) return { rate: '—', eta: '—' };
    const r = done / dt;
    return { rate: fmt(r, 3), eta: formatDuration((this.total - step) / r) };
  }
}
