/**
 * Outcome classifier of the API fuzz (issue 17): every call made by a fuzz case ends in one of six
 * outcomes, and only the first two are acceptable.
 *
 * - `correct`: returned a value that passes the case's oracle (finite where finite is expected,
 *   right shapes, the invariant or the float64 reference it is checked against).
 * - `clear error`: threw an `Error` a user can act on — see `isClearError` for the exact rule.
 * - `unclear error`: any other throw (raw JS-internal errors, non-Error throws, messages that
 *   name nothing).
 * - `silent NaN`: returned without an error but the value is NaN/±∞ where a finite value was due,
 *   fails the oracle, or the input was invalid and should have been refused (a silent wrong answer).
 * - `crash`: a child process running the case died (signal or non-zero exit without a report).
 * - `hang`: the case ran past its time limit.
 *
 * Kept free of node: and vitest imports so child-process runners and tests can share it.
 */
export const OUTCOMES = ['correct', 'clear error', 'unclear error', 'silent NaN', 'crash', 'hang'] as const;
/** How one fuzz case ended: one of {@link OUTCOMES} (correct, clear error, unclear error, silent NaN, crash, hang). */
export type Outcome = (typeof OUTCOMES)[number];
/** True for the acceptable fuzz outcomes: `correct` and `clear error`. */
export const isAcceptable = (o: Outcome): boolean => o === 'correct' || o === 'clear error';

/** Built-in JS error classes: thrown by the engine itself, so they rarely say what the user did wrong. */
const RAW_ERROR_NAMES = new Set(['TypeError', 'RangeError', 'ReferenceError', 'SyntaxError', 'EvalError', 'URIError', 'AggregateError']);

/** Messages the engine or Node produce from inside our code, never written for a user. */
export const INTERNAL_MESSAGE = new RegExp([
  'Cannot read propert', 'Cannot set propert', 'Cannot destructure', 'is not a function(?! of)', 'is not iterable', 'is not a constructor',
  'Invalid typed array length', 'Invalid array length', 'Maximum call stack', 'offset is out of bounds', 'out of memory',
  'is not defined', 'undefined is not', 'null is not', 'Cannot convert', 'Array buffer allocation failed',
  'Reduce of empty array', 'Start offset .* is outside', 'Invalid (string|count) length', 'toFixed\\(\\) digits',
  'Unexpected token', 'Cannot mix BigInt', 'Cannot access .* before initialization',
].join('|'), 'i');

/**
 * Words and signs that tell the user what was expected or what to do. A message passes the "says
 * what to do" half of the rule when it contains one of them.
 */
export const GUIDANCE = /\b(must|expected|expects|use|give|pass|should|needs?|check|got|try|only|outside|invalid|unknown|cannot|at least|at most|between|positive|negative|integer|finite|non-negative|missing|not (?:a|an|in|on|one|supported|symmetric|finite)|exceeds?|too (?:large|small|many|few))\b|[≥≤]|>=|<=|\bin [[(]/i;

/**
 * A clear error is an `Error` that
 * 1. has a message that is not one of the engine's internal ones (`INTERNAL_MESSAGE`), and
 * 2. names the offending argument (one of `hints`, case-insensitive) or says what is expected or
 *    what to do (`GUIDANCE`); a bare built-in (`TypeError`, `RangeError`, ...) must name the
 *    argument, since engine messages say "cannot" too.
 */
export function isClearError(e: unknown, hints: readonly string[] = []): boolean {
  if (!(e instanceof Error)) return false;
  const msg = e.message ?? '';
  if (msg.trim() === '') return false;
  if (INTERNAL_MESSAGE.test(msg)) return false;
  const lower = msg.toLowerCase();
  const named = hints.some((h) => h !== '' && lower.includes(h.toLowerCase()));
  // Engine errors often contain guidance-like words ("Cannot create property"): a bare built-in
  // class passes only when the message names the argument.
  if (RAW_ERROR_NAMES.has(e.name)) return named;
  return named || GUIDANCE.test(msg);
}

/** What a case expects of valid input: a value, an error, or either (borderline inputs). */
export type Expectation = 'value' | 'error' | 'either';

/**
 * The outcome of a call that returned `value`: `check` is the oracle (undefined = passes, else a
 * sentence saying what is wrong). A value returned where an error was due is a silent failure.
 */
export function classifyReturn<T>(value: T, expect: Expectation, check: (v: T) => string | undefined): { outcome: Outcome; detail: string } {
  if (expect === 'error') {
    const bad = firstNonFinite(value);
    return { outcome: 'silent NaN', detail: `returned ${bad ?? 'a value'} for invalid input instead of an error` };
  }
  let problem: string | undefined;
  try {
    problem = check(value);
  } catch (e) {
    problem = `oracle could not read the result: ${(e as Error).message}`;
  }
  return problem === undefined ? { outcome: 'correct', detail: '' } : { outcome: 'silent NaN', detail: problem };
}

/** The outcome of a call that threw `e`. An error where a value was due is still judged by its clarity. */
export function classifyThrow(e: unknown, hints: readonly string[] = []): { outcome: Outcome; detail: string } {
  const detail = e instanceof Error ? `${e.name}: ${e.message}` : `non-Error thrown: ${String(e)}`;
  return { outcome: isClearError(e, hints) ? 'clear error' : 'unclear error', detail };
}

/**
 * Outcome of a child process that stopped before reporting a case: killed by the harness after its
 * timeout → hang; any other death (signal, non-zero exit, exit 0 without a report) → crash.
 */
export function classifyChildDeath(d: { timedOut: boolean; signal: string | null; code: number | null }): { outcome: Outcome; detail: string } {
  if (d.timedOut) return { outcome: 'hang', detail: 'no report before the timeout; child killed' };
  return { outcome: 'crash', detail: d.signal ? `child died by ${d.signal}` : `child exited with code ${d.code} without a report` };
}

/** "NaN at [3]" / "Infinity at .loss[0]" for the first non-finite number inside a value, else undefined. */
export function firstNonFinite(v: unknown, path = '', depth = 0): string | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : `${v}${path ? ` at ${path}` : ''}`;
  if (depth > 4 || v === null || typeof v !== 'object') return undefined;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const a = v as unknown as ArrayLike<number | bigint>;
    for (let i = 0; i < a.length; i++) { const x = a[i]; if (typeof x === 'number' && !Number.isFinite(x)) return `${x} at ${path}[${i}]`; }
    return undefined;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length && i < 1000; i++) { const r = firstNonFinite(v[i], `${path}[${i}]`, depth + 1); if (r) return r; }
    return undefined;
  }
  for (const [k, x] of Object.entries(v)) { const r = firstNonFinite(x, `${path}.${k}`, depth + 1); if (r) return r; }
  return undefined;
}

/** A short, readable summary of an argument for the offender list (arrays abbreviated). */
export function summarize(v: unknown, depth = 0): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…(${v.length})` : v);
  if (typeof v === 'function') return 'fn';
  if (typeof v !== 'object') return String(v);
  if (ArrayBuffer.isView(v) || Array.isArray(v)) {
    const a = v as unknown as ArrayLike<unknown>;
    const head = Array.from({ length: Math.min(a.length, 6) }, (_, i) => summarize(a[i], depth + 1)).join(',');
    const tag = ArrayBuffer.isView(v) ? v.constructor.name.replace('Array', '') : '';
    return `${tag}[${head}${a.length > 6 ? `,…(${a.length})` : ''}]`;
  }
  if (depth > 2) return '{…}';
  const entries = Object.entries(v).slice(0, 8).map(([k, x]) => `${k}: ${summarize(x, depth + 1)}`);
  return `{${entries.join(', ')}}`;
}

/** One fuzz case with an unacceptable outcome, as a {@link Tally} keeps it: area, function, summarized arguments, outcome and detail. */
export interface Offender {
  readonly area: string;
  readonly fn: string;
  readonly args: string;
  readonly outcome: Outcome;
  readonly detail: string;
}

/** Counts of outcomes and the offending cases, for one fuzz file. */
export class Tally {
  readonly counts: Record<Outcome, number> = { correct: 0, 'clear error': 0, 'unclear error': 0, 'silent NaN': 0, crash: 0, hang: 0 };
  readonly offenders: Offender[] = [];

  constructor(readonly label: string) {}

  get total(): number {
    return OUTCOMES.reduce((s, o) => s + this.counts[o], 0);
  }

  add(area: string, fn: string, args: string, r: { outcome: Outcome; detail: string }): void {
    this.counts[r.outcome]++;
    const a = this.perArea.get(area) ?? { cases: 0, bad: 0, errors: 0 };
    a.cases++; if (!isAcceptable(r.outcome)) a.bad++; if (r.outcome === 'clear error') a.errors++;
    this.perArea.set(area, a);
    if (!isAcceptable(r.outcome)) this.offenders.push({ area, fn, args, outcome: r.outcome, detail: r.detail });
  }

  /** Cases and bad outcomes per area, for the summary. */
  readonly perArea = new Map<string, { cases: number; bad: number; errors: number }>();

  /** Offenders of one area (all areas when omitted). */
  bad(area?: string): Offender[] {
    return area === undefined ? this.offenders : this.offenders.filter((o) => o.area === area);
  }

  /** `fuzz core: 6200 cases — correct 5900, clear error 300, unclear error 0, silent NaN 0, crash 0, hang 0` */
  areas(): string {
    return [...this.perArea].map(([a, { cases, bad, errors }]) => `${a} ${cases} (${errors} clear errors${bad ? `, ${bad} bad` : ''})`).join(', ');
  }

  line(): string {
    return `fuzz ${this.label}: ${this.total} cases — ${OUTCOMES.map((o) => `${o} ${this.counts[o]}`).join(', ')}`;
  }
}

/**
 * The first `limit` offenders, grouped by function and outcome so a defect hit 500 times reads as
 * one line with its count and first example.
 */
export function formatOffenders(list: readonly Offender[], limit = 12): string {
  const groups = new Map<string, { n: number; first: Offender }>();
  for (const o of list) {
    const key = `${o.area} ${o.fn.replace(/-?\d[\d.e+-]*/g, '#')} ${o.outcome} ${o.detail.replace(/-?\d[\d.e+-]*/g, '#').slice(0, 80)}`;
    const g = groups.get(key);
    if (g) g.n++;
    else groups.set(key, { n: 1, first: o });
  }
  const lines = [...groups.values()].slice(0, limit).map(({ n, first: o }) =>
    `  [${o.outcome}] ${o.area} ${o.fn} ×${n} — ${o.detail.slice(0, 300)}\n      e.g. args ${o.args.slice(0, 300)}`);
  const more = groups.size > limit ? `\n  … and ${groups.size - limit} more kinds` : '';
  return `${list.length} bad outcome(s) in ${groups.size} kind(s):\n${lines.join('\n')}${more}`;
}

/**
 * Run one fuzz case in process: call `run`, classify what happened, add it to `tally`. Async calls
 * race a timer (`hang` when it fires); a synchronous call that returns after `timeoutMs` is also
 * counted as a hang, since in-process code cannot be interrupted.
 */
export async function runCase<T>(tally: Tally, c: {
  area: string; fn: string; args: unknown; expect: Expectation; hints?: readonly string[];
  run: () => T | Promise<T>; check?: (v: T) => string | undefined; timeoutMs?: number;
}): Promise<Outcome> {
  const timeoutMs = c.timeoutMs ?? 5000;
  const t0 = performance.now();
  let r: { outcome: Outcome; detail: string };
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const p = c.run();
    const v = p instanceof Promise
      ? await Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(HANG), timeoutMs); })])
      : p;
    r = classifyReturn(v, c.expect, c.check ?? defaultCheck);
  } catch (e) {
    r = e === HANG ? { outcome: 'hang', detail: `no result after ${timeoutMs} ms` } : classifyThrow(e, c.hints);
  } finally {
    if (timer) clearTimeout(timer);
  }
  const ms = performance.now() - t0;
  if (r.outcome !== 'hang' && ms > timeoutMs) r = { outcome: 'hang', detail: `took ${ms.toFixed(0)} ms (limit ${timeoutMs} ms); ${r.outcome}` };
  tally.add(c.area, c.fn, typeof c.args === 'string' ? c.args : summarize(c.args), r);
  return r.outcome;
}

const HANG = Symbol('hang');

/** Default oracle: every number in the result is finite. */
export function defaultCheck(v: unknown): string | undefined {
  const bad = firstNonFinite(v);
  return bad ? `non-finite result: ${bad}` : undefined;
}
