import type { ConformanceCase } from './case.js';

/** What option keys match against: a case, or a contract check (name only). */
type Named = Pick<ConformanceCase, 'name'> & { op?: string | undefined };
import { DEFAULT_TOLERANCE, type Tolerance } from './check.js';

/** How a backend runs the suite: precision, tolerances it declares (and justifies), skips with reasons. */
export interface ConformanceOptions {
  /** Float precision of the case graphs (default 'f32'). */
  dtype?: 'f32' | 'f64';
  /** Default f32: {rtol: 1e-4, atol: 1e-5}; f64: {rtol: 1e-10, atol: 1e-12}. */
  tolerance?: Partial<Tolerance>;
  /**
   * Looser tolerance for named cases or ops (e.g. erf, pow), stated by the backend. A key matches
   * a case by op (`erf`), by exact name (`forward/erf/nan-inf`) or by name prefix ending at a `/`
   * (`vjp/pow`, `composite`). When several match, the more specific wins: op, then prefixes from
   * short to long, then the exact name.
   */
  perCase?: Record<string, Partial<Tolerance>>;
  /** Case name, name prefix or op name → reason. Skipped cases are reported, never silent. */
  skip?: Record<string, string>;
}

/** How specifically `key` names case `c`: -1 no match, 0 by op, 1 + length by name prefix or exact name. */
function specificity(c: Named, key: string): number {
  if (key === c.name || c.name.startsWith(key + '/')) return 1 + key.length;
  if (key === c.op) return 0;
  return -1;
}

/** Tolerance for a case: dtype default, then `tolerance`, then matching `perCase` entries by specificity. */
export function toleranceFor(c: Named, options: ConformanceOptions): Tolerance {
  let tol: Tolerance = { ...DEFAULT_TOLERANCE[options.dtype ?? 'f32'], ...options.tolerance };
  const matches = Object.entries(options.perCase ?? {})
    .map(([k, t]) => [specificity(c, k), t] as const)
    .filter(([s]) => s >= 0)
    .sort((a, b) => a[0] - b[0]);
  for (const [, t] of matches) tol = { ...tol, ...t };
  return tol;
}

/** The reason a case is skipped (most specific matching key), or undefined. */
export function skipReason(c: Named, options: ConformanceOptions): string | undefined {
  let best = -1, reason: string | undefined;
  for (const [k, r] of Object.entries(options.skip ?? {})) {
    const s = specificity(c, k);
    if (s > best) { best = s; reason = r; }
  }
  return reason;
}

/** Throw if an option key names no case: a typo would otherwise loosen or skip nothing, silently. */
export function validateOptions(cases: readonly Named[], options: ConformanceOptions): void {
  if (options.dtype !== undefined && options.dtype !== 'f32' && options.dtype !== 'f64')
    throw new Error(`conformance: dtype must be 'f32' or 'f64', got ${JSON.stringify(options.dtype)}`);
  const unknown: string[] = [];
  for (const [field, rec] of [['skip', options.skip], ['perCase', options.perCase]] as const)
    for (const k of Object.keys(rec ?? {})) if (!cases.some((c) => specificity(c, k) >= 0)) unknown.push(`${field}["${k}"]`);
  if (unknown.length)
    throw new Error(`conformance: ${unknown.join(', ')} match no case; use an op name (e.g. "erf"), a case name or a name prefix (e.g. "vjp/pow")`);
  for (const [k, t] of Object.entries({ '(tolerance)': options.tolerance ?? {}, ...options.perCase }))
    for (const [f, v] of Object.entries(t)) if (typeof v !== 'number' || !(v >= 0)) throw new Error(`conformance: ${k}.${f} must be a non-negative number, got ${String(v)}`);
}
