import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';

/**
 * Why a training step took longer than usual. The trainer marks the work it does besides the SGD
 * step itself; the clock adds what it observes:
 * - `warmup`: the first step this process ran (the backend sizes its buffers on the first run);
 * - `probe`: a structure-matrix probe event ran after the step;
 * - `probe-followup`: the step after a probe, which also measures the probe loss again for M, and
 *   runs with caches the probe's graphs have displaced;
 * - `eval`: a train/test evaluation ran after the step;
 * - `checkpoint`: the step downloaded the weights for a checkpoint, or handed one to the writer
 *   thread (which checksums and writes it while the next steps run);
 * - `gc`: JavaScript garbage collection paused the process;
 * - `preempted`: the training thread waited for a CPU (runnable, but the operating system ran other
 *   work: a loaded or shared machine). Read from the scheduler's per-thread statistics where the
 *   system has them (Linux); elsewhere never named;
 * - `contention`: runnable threads waited for a CPU, though not necessarily the training thread:
 *   more threads wanted the cores than there were, e.g. the garbage collector's concurrent marking
 *   threads beside the backend's run, or other processes. Read from the kernel's CPU pressure-stall
 *   information (/proc/pressure/cpu, "some": time during which at least one runnable thread of the
 *   machine waited); elsewhere never named;
 * - `page-faults`: the process took at least {@link FAULT_FACTOR} times the median step's page
 *   faults (and at least {@link FAULT_FLOOR}): memory touched for the first time, by the backend's
 *   allocator or by JavaScript. Read from the process statistics on Linux; elsewhere never named.
 *
 * The three delays in time (`gc`, `preempted`, `contention`) explain a step when the GC pause plus
 * the larger of the two waits make up at least half its excess over the median; each is then named
 * when it alone is at least a quarter of the excess.
 */
export type StepCause = 'warmup' | 'probe' | 'probe-followup' | 'eval' | 'checkpoint' | 'gc' | 'preempted' | 'page-faults' | 'contention';

/** Every {@link StepCause} a slow step can be charged to: warmup, probe, probe-followup, eval, checkpoint, gc, preempted, page-faults, contention. */
export const STEP_CAUSES: readonly StepCause[] = ['warmup', 'probe', 'probe-followup', 'eval', 'checkpoint', 'gc', 'preempted', 'page-faults', 'contention'];

/** One step slower than `slowFactor` × the median, with what made it slow. */
export interface SlowStep {
  readonly step: number;
  /** Wall time of the whole step: batch, SGD step, downloads, records, and any work marked below. */
  readonly ms: number;
  /** The SGD step alone (backend run and the scalar downloads). */
  readonly computeMs: number;
  /** Milliseconds per cause; `gc` is the collector's pause time within the step, `preempted` the time the training thread waited for a CPU, `contention` the time some runnable thread waited for one, `page-faults` the number of page faults (not ms). */
  readonly causes: Partial<Record<StepCause, number>>;
  /** True when no cause accounts for the step: none was marked and no observed cause (GC, preemption, page faults, CPU contention) explains it. */
  readonly unexplained: boolean;
}

/** Step wall times of a run (this process's steps) and what made the slow ones slow. */
export interface StepTimeSummary {
  /** Steps timed. */
  readonly steps: number;
  readonly medianMs: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
  /** Median of the SGD step alone (backend run and downloads), without the host work around it. */
  readonly computeMedianMs: number;
  readonly slowFactor: number;
  /** Steps slower than slowFactor × medianMs, and the seconds they took. */
  readonly slow: number;
  readonly slowSeconds: number;
  /** Slow steps per cause (a step may have several causes) and those with none. */
  readonly slowByCause: Partial<Record<StepCause, number>>;
  readonly unexplained: number;
  /** Steps by the work they carried, whether slow or not (probe events, checkpoint snapshots or writes, evaluations). */
  readonly carried: { readonly probe: number[]; readonly checkpoint: number[]; readonly eval: number[] };
  /** Total garbage-collection pause during the timed steps, in seconds. */
  readonly gcSeconds: number;
  /** Total time the training thread waited for a CPU during the timed steps, in seconds; null where the system does not report it. */
  readonly preemptedSeconds: number | null;
  /** Total time during the timed steps in which some runnable thread waited for a CPU (CPU pressure, "some"), in seconds; null where the system does not report it. */
  readonly contentionSeconds: number | null;
  /**
   * CPU seconds of this process's threads while the steps ran: the training thread and all the
   * others (the garbage collector's helpers, the backend's pools, the checkpoint writer); null
   * where the system does not report per-thread times. `others` high beside `training` on a
   * machine with few cores is what `contention` steps are made of.
   */
  readonly threadCpuSeconds: { readonly training: number; readonly others: number } | null;
  /** The slow steps, slowest first: at most `SLOW_STEPS_LISTED`, then the unexplained ones among the rest (at most as many again), so none without a cause goes unlisted for being short. */
  readonly slowest: SlowStep[];
}

/** A step's page faults name it `page-faults` from this many times the median step's faults… (8) */
export const FAULT_FACTOR = 8;
/** …and at least this many (256 pages: 1 MB of fresh memory with 4 KB pages; first touches cost up to ≈ 6 ms per MB on the virtual machines we measured). */
export const FAULT_FLOOR = 256;

/** Most slow steps a {@link StepTimeSummary} lists in `slowest` (50). */
export const SLOW_STEPS_LISTED = 50;

/**
 * Per-step wall-time accounting for the training loop: `begin(step)` / `end()` around each step,
 * `compute(ms)` for the SGD step itself and `mark(cause, ms)` for the work around it. Allocation
 * free on the hot path (typed arrays sized for the run); GC pauses come from a `gc` performance
 * observer and are matched to steps by time at the end.
 */
export class StepClock {
  private readonly begins: Float64Array;
  private readonly walls: Float64Array;
  private readonly computes: Float64Array;
  /** Run-queue wait of the training thread (ms) over each step. */
  private readonly waits: Float64Array;
  private readonly sched = ProcStat.open('/proc/thread-self/schedstat', 64, schedWaitMs);
  /** Page faults of the process over each step. */
  private readonly faults: Float64Array;
  /** Index of the last step of each step's timing (itself, or the end of its fused span): its marks are the span's. */
  private readonly spanEnds: Int32Array;
  private readonly faultStat = ProcStat.open('/proc/self/stat', 1024, processFaults);
  /** Time some runnable thread of the machine waited for a CPU (ms) over each step. */
  private readonly stalls: Float64Array;
  private readonly pressure = ProcStat.open('/proc/pressure/cpu', 256, cpuPressureSomeMs);
  /** Per-thread CPU times when the clock started (ms by thread id), for threadCpuSeconds. */
  private readonly cpuAtStart = threadCpuMs();
  private cpuAtStop: Map<string, number> | undefined;
  private readonly marks = new Map<number, Partial<Record<StepCause, number>>>();
  private readonly gcs: { start: number; ms: number }[] = [];
  private observer: PerformanceObserver | undefined;
  private i = -1;
  /** Steps the current timing covers (a fused run of several steps), ending at index i. */
  private span = 1;
  private computeMs = 0;
  private count = 0;
  private t = 0;
  private ended = -2;

  /** Steps numbered first + 1 .. last (1-based, as in the step records). */
  constructor(readonly first: number, readonly last: number, readonly slowFactor = 3) {
    const m = Math.max(0, last - first);
    this.begins = new Float64Array(m);
    this.walls = new Float64Array(m);
    this.computes = new Float64Array(m);
    this.waits = new Float64Array(m);
    this.faults = new Float64Array(m);
    this.stalls = new Float64Array(m);
    this.spanEnds = new Int32Array(m);
    try {
      this.observer = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) this.gcs.push({ start: e.startTime, ms: e.duration });
      });
      this.observer.observe({ entryTypes: ['gc'] });
    } catch {
      this.observer = undefined; // no gc entries on this runtime: GC is then never named as a cause
    }
  }

  /**
   * Start timing `step` (1-based: the step about to run). `steps` > 1: one backend run that does
   * the steps `step − steps + 1` … `step` (fused); its time is shared equally by them, and work
   * marked meanwhile goes to `step`, the last.
   */
  begin(step: number, steps = 1): void {
    this.i = step - this.first - 1;
    this.span = Math.max(1, Math.floor(steps));
    this.computeMs = 0;
    this.t = performance.now();
    // The counters are read once per timing: at its end, which is the next one's start.
    if (this.ended !== this.i - this.span) {
      this.sched?.restart();
      this.faultStat?.restart();
      this.pressure?.restart();
    }
  }

  /** Milliseconds of the SGD step itself in the current step. */
  compute(ms: number): void {
    this.computeMs = ms;
  }

  /** Work besides the SGD step done in the current step, in milliseconds. */
  mark(cause: StepCause, ms: number): void {
    const step = this.first + this.i + 1;
    const m = this.marks.get(step) ?? {};
    m[cause] = (m[cause] ?? 0) + ms;
    this.marks.set(step, m);
  }

  end(): void {
    if (this.i < 0 || this.i >= this.walls.length) return;
    const k = this.span, first = Math.max(0, this.i - k + 1), wall = performance.now() - this.t;
    const wait = this.sched?.delta() ?? 0, faults = this.faultStat?.delta() ?? 0, stall = this.pressure?.delta() ?? 0;
    for (let j = first; j <= this.i; j++) {
      this.begins[j] = this.t + ((j - first) * wall) / k;
      this.walls[j] = wall / k;
      this.computes[j] = this.computeMs / k;
      this.waits[j] = wait / k;
      this.faults[j] = faults / k;
      this.stalls[j] = stall / k;
      this.spanEnds[j] = this.i;
    }
    this.ended = this.i;
    this.count = Math.max(this.count, this.i + 1);
  }

  /** Stop observing GC; `summary()` still works. */
  stop(): void {
    if (!this.observer) return;
    this.cpuAtStop = threadCpuMs();
    for (const e of this.observer.takeRecords()) this.gcs.push({ start: e.startTime, ms: e.duration });
    this.observer.disconnect();
    this.observer = undefined;
    this.sched?.close();
    this.faultStat?.close();
    this.pressure?.close();
  }

  /** The summary over the steps timed so far. */
  summary(): StepTimeSummary {
    this.stop();
    const m = this.count;
    const walls = Array.from(this.walls.subarray(0, m));
    const sorted = [...walls].sort((a, b) => a - b), computes = Array.from(this.computes.subarray(0, m)).sort((a, b) => a - b);
    const median = quantile(sorted, 0.5), threshold = this.slowFactor * median;
    const faultLimit = Math.max(FAULT_FLOOR, FAULT_FACTOR * quantile(Array.from(this.faults.subarray(0, m)).sort((a, b) => a - b), 0.5));
    // GC pauses per step, matched by start time.
    const gc = new Float64Array(m);
    let gcTotal = 0;
    for (const g of this.gcs) {
      const k = upperBound(this.begins, m, g.start) - 1;
      if (k < 0 || g.start > this.begins[k]! + this.walls[k]!) continue;
      gc[k] += g.ms;
      gcTotal += g.ms;
    }
    const carried = { probe: [] as number[], checkpoint: [] as number[], eval: [] as number[] };
    for (const [step, c] of [...this.marks].sort((a, b) => a[0] - b[0])) {
      if (step - this.first - 1 >= m) continue;
      if (c.probe !== undefined) carried.probe.push(step);
      if (c.checkpoint !== undefined) carried.checkpoint.push(step);
      if (c.eval !== undefined) carried.eval.push(step);
    }
    const slow: SlowStep[] = [], byCause: Partial<Record<StepCause, number>> = {};
    let unexplained = 0, slowMs = 0;
    for (let k = 0; k < m; k++) {
      const ms = walls[k]!;
      if (!(ms > threshold)) continue;
      const step = this.first + k + 1, excess = ms - median;
      // A step of a fused span shares the span's time, so also the work marked on it (at its last step).
      const causes: Partial<Record<StepCause, number>> = { ...(this.marks.get(this.first + this.spanEnds[k]! + 1) ?? {}) };
      // The observed delays: GC pauses, and waiting for a CPU (the training thread's own wait is
      // part of the machine's stall time, so the larger of the two counts). They explain the step
      // when together they make up half its excess; each is named when it is a quarter of it.
      const wait = this.sched ? this.waits[k]! : 0, stall = this.pressure ? this.stalls[k]! : 0;
      if (gc[k]! + Math.max(wait, stall) >= 0.5 * excess) {
        if (gc[k]! >= 0.25 * excess) causes.gc = gc[k]!;
        if (this.sched && wait >= 0.25 * excess) causes.preempted = wait;
        if (this.pressure && stall >= 0.25 * excess) causes.contention = stall;
      }
      if (this.faultStat && this.faults[k]! >= faultLimit) causes['page-faults'] = this.faults[k]!;
      const names = STEP_CAUSES.filter((c) => causes[c] !== undefined);
      for (const c of names) byCause[c] = (byCause[c] ?? 0) + 1;
      const none = names.length === 0;
      if (none) unexplained++;
      slowMs += ms;
      slow.push({ step, ms: round(ms), computeMs: round(this.computes[k]!), causes: roundAll(causes), unexplained: none });
    }
    slow.sort((a, b) => b.ms - a.ms);
    return {
      steps: m, medianMs: round(median), p90Ms: round(quantile(sorted, 0.9)), p99Ms: round(quantile(sorted, 0.99)), maxMs: round(sorted.at(-1) ?? 0),
      meanMs: round(m ? walls.reduce((a, b) => a + b, 0) / m : 0), computeMedianMs: round(quantile(computes, 0.5)), slowFactor: this.slowFactor,
      slow: slow.length, slowSeconds: round(slowMs / 1000, 3), slowByCause: byCause, unexplained, carried, gcSeconds: round(gcTotal / 1000, 3),
      preemptedSeconds: this.sched ? round(this.waits.subarray(0, m).reduce((a, b) => a + b, 0) / 1000, 3) : null,
      contentionSeconds: this.pressure ? round(this.stalls.subarray(0, m).reduce((a, b) => a + b, 0) / 1000, 3) : null,
      threadCpuSeconds: this.threadCpu(),
      slowest: [...slow.slice(0, SLOW_STEPS_LISTED), ...slow.slice(SLOW_STEPS_LISTED).filter((x) => x.unexplained).slice(0, SLOW_STEPS_LISTED)],
    };
  }

  /** Raw per-step times, for diagnostics. */
  raw(): { step: number; ms: number; computeMs: number; waitMs: number; stallMs: number; faults: number; marks: Partial<Record<StepCause, number>> }[] {
    const out = [];
    for (let k = 0; k < this.count; k++)
      out.push({ step: this.first + k + 1, ms: this.walls[k]!, computeMs: this.computes[k]!, waitMs: this.waits[k]!, stallMs: this.stalls[k]!, faults: this.faults[k]!, marks: this.marks.get(this.first + k + 1) ?? {} });
    return out;
  }

  /** CPU seconds of the training thread and of the others between the clock's start and stop. */
  private threadCpu(): { training: number; others: number } | null {
    const a = this.cpuAtStart, b = this.cpuAtStop;
    if (!a || !b) return null;
    const self = String(threadId());
    let training = 0, others = 0;
    // Threads that ended meanwhile are missing from `b`: their time is lost, so `others` is a lower bound.
    for (const [tid, ms] of b) {
      const d = ms - (a.get(tid) ?? 0);
      if (tid === self) training += d; else others += d;
    }
    return { training: round(training / 1000, 3), others: round(others / 1000, 3) };
  }

  /** GC pauses seen (start on the performance clock, ms). */
  gcPauses(): readonly { start: number; ms: number }[] { return this.gcs; }
}

/**
 * One Linux /proc statistics file kept open and re-read in place: one small read per call, no
 * allocation. `parse` turns the bytes read into the number wanted (NaN when unreadable).
 * Absent (undefined) off Linux or when the file cannot be read or parsed.
 */
class ProcStat {
  private readonly buf: Uint8Array;
  /** The value at the last `restart()` or `delta()`. */
  private last = 0;
  private constructor(private fd: number, size: number, private readonly parse: (buf: Uint8Array, n: number) => number) {
    this.buf = new Uint8Array(size);
  }

  static open(path: string, size: number, parse: (buf: Uint8Array, n: number) => number): ProcStat | undefined {
    if (process.platform !== 'linux') return undefined;
    try {
      const s = new ProcStat(openSync(path, 'r'), size, parse);
      return Number.isFinite(s.read()) ? s : (s.close(), undefined);
    } catch {
      return undefined;
    }
  }

  read(): number {
    if (this.fd < 0) return Number.NaN;
    let n: number;
    try { n = readSync(this.fd, this.buf, 0, this.buf.length, 0); } catch { return Number.NaN; }
    return this.parse(this.buf, n);
  }

  /** Take the current value as the baseline of the next `delta()`. */
  restart(): void {
    this.last = this.read();
  }

  /** How far the value moved since the baseline (0 when either read failed); the current value becomes the baseline. */
  delta(): number {
    const v = this.read(), d = v - this.last;
    this.last = v;
    return Number.isFinite(d) ? d : 0;
  }

  close(): void {
    if (this.fd < 0) return;
    try { closeSync(this.fd); } catch { /* already closed */ }
    this.fd = -1;
  }
}

/**
 * The calling thread's run-queue wait so far, in ms, from /proc/thread-self/schedstat ("time on a
 * CPU, time runnable but waiting for one, timeslices", in ns): the second field.
 */
function schedWaitMs(buf: Uint8Array, n: number): number {
  let i = 0, v = 0;
  while (i < n && buf[i] !== 32) i++;
  if (++i >= n) return Number.NaN;
  for (; i < n && buf[i]! >= 48 && buf[i]! <= 57; i++) v = v * 10 + (buf[i]! - 48);
  return v / 1e6;
}

/**
 * Page faults of the whole process so far, minflt + majflt, from /proc/self/stat (every thread
 * included: the backend's worker threads touch fresh memory too). Fields 10 and 12, counted after
 * the command name's closing parenthesis.
 */
function processFaults(buf: Uint8Array, n: number): number {
  let i = n - 1;
  while (i >= 0 && buf[i] !== 41) i--; // the last ')'
  if (i < 0) return Number.NaN;
  let k = 2, total = 0, v = 0, inToken = false;
  for (i += 1; i < n; i++) {
    const c = buf[i]!;
    if (c === 32 || c === 10) {
      if (!inToken) continue;
      if (k === 10 || k === 12) total += v;
      if (k >= 12) return total;
      inToken = false;
      continue;
    }
    if (!inToken) { inToken = true; k++; v = 0; }
    if (c >= 48 && c <= 57) v = v * 10 + (c - 48);
  }
  return Number.NaN;
}

/**
 * Milliseconds during which at least one runnable thread of the machine waited for a CPU, from
 * /proc/pressure/cpu: the `total=` (µs) of its first line ("some ...").
 */
function cpuPressureSomeMs(buf: Uint8Array, n: number): number {
  // "total=" = 116 111 116 97 108 61; the first line ends at '\n'.
  for (let i = 0; i + 6 < n && buf[i] !== 10; i++) {
    if (buf[i] === 116 && buf[i + 1] === 111 && buf[i + 2] === 116 && buf[i + 3] === 97 && buf[i + 4] === 108 && buf[i + 5] === 61) {
      let v = 0, j = i + 6;
      if (j >= n || buf[j]! < 48 || buf[j]! > 57) return Number.NaN;
      for (; j < n && buf[j]! >= 48 && buf[j]! <= 57; j++) v = v * 10 + (buf[j]! - 48);
      return v / 1000;
    }
  }
  return Number.NaN;
}

/** The calling thread's kernel id (Linux: the target of /proc/thread-self), or the process id. */
function threadId(): number {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return process.pid;
  }
}

/** CPU time (ms) of each thread of this process by thread id, from /proc/self/task/<id>/schedstat; undefined off Linux. */
function threadCpuMs(): Map<string, number> | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const out = new Map<string, number>();
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        const v = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'latin1').split(' ', 1)[0]);
        if (Number.isFinite(v)) out.set(tid, v / 1e6);
      } catch { /* the thread ended */ }
    }
    return out.size ? out : undefined;
  } catch {
    return undefined;
  }
}

/** Nearest-rank quantile of an ascending array (0 for an empty one). */
function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** First index in a[0..m) whose value exceeds v (a ascending). */
function upperBound(a: Float64Array, m: number, v: number): number {
  let lo = 0, hi = m;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! <= v) lo = mid + 1; else hi = mid;
  }
  return lo;
}

function round(v: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function roundAll<T extends Partial<Record<string, number>>>(o: T): T {
  const out: Partial<Record<string, number>> = {};
  for (const [k, v] of Object.entries(o)) out[k] = round(v!);
  return out as T;
}

/**
 * One line for a terminal: "step times: median 1.6 ms, p99 45 ms, max 726 ms; 78 steps over 3× the
 * median (3.3 s): probe 31, gc 26, ...; 0 without a cause".
 */
export function describeStepTimes(s: StepTimeSummary): string {
  const ms = (v: number) => `${v >= 100 ? Math.round(v) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ms`;
  const head = `step times: median ${ms(s.medianMs)}, p99 ${ms(s.p99Ms)}, max ${ms(s.maxMs)} over ${s.steps} steps`;
  if (!s.slow) return `${head}; none over ${s.slowFactor}× the median`;
  const causes = STEP_CAUSES.filter((c) => s.slowByCause[c]).map((c) => `${c} ${s.slowByCause[c]}`).join(', ');
  const cpu = s.threadCpuSeconds ? `; CPU: training thread ${s.threadCpuSeconds.training.toFixed(1)} s, other threads ${s.threadCpuSeconds.others.toFixed(1)} s` : '';
  return `${head}; ${s.slow} over ${s.slowFactor}× the median (${s.slowSeconds.toFixed(2)} s)${causes ? `: ${causes}` : ''}; ${s.unexplained} without a cause${cpu}`;
}
