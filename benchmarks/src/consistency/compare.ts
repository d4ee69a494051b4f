import type { TypedArray } from '@clt/core';
import type { Tolerance } from './workloads.js';

export interface Comparison {
  readonly ok: boolean;
  readonly maxAbsErr: number;
  readonly maxRelErr: number;
  /** First offending element, if any: output name, index, values. */
  readonly worst?: { output: string; index: number; got: number; want: number };
  readonly message?: string;
}

/**
 * Elementwise check |got − want| ≤ atol + rtol·|want| over every output; NaN must meet NaN and
 * ±Inf must match exactly. Relative error is reported against max(|want|, atol/rtol) so that
 * near-zero references do not blow it up.
 */
export function compareOutputs(got: Record<string, TypedArray>, want: Record<string, TypedArray>, tol: Tolerance): Comparison {
  let maxAbs = 0, maxRel = 0, worst: Comparison['worst'], ok = true, worstExcess = 0;
  const floor = tol.atol / tol.rtol;
  for (const [name, w] of Object.entries(want)) {
    const g = got[name];
    if (!g) return { ok: false, maxAbsErr: Infinity, maxRelErr: Infinity, message: `output "${name}" missing` };
    if (g.length !== w.length) return { ok: false, maxAbsErr: Infinity, maxRelErr: Infinity, message: `output "${name}" has ${g.length} values, reference ${w.length}` };
    for (let i = 0; i < w.length; i++) {
      const a = Number(g[i]), b = Number(w[i]);
      if (Number.isNaN(b) || Number.isNaN(a)) {
        if (Number.isNaN(a) !== Number.isNaN(b)) { ok = false; worst ??= { output: name, index: i, got: a, want: b }; maxAbs = Infinity; }
        continue;
      }
      if (!Number.isFinite(b) || !Number.isFinite(a)) {
        if (a !== b) { ok = false; worst ??= { output: name, index: i, got: a, want: b }; maxAbs = Infinity; }
        continue;
      }
      const err = Math.abs(a - b), bound = tol.atol + tol.rtol * Math.abs(b);
      maxAbs = Math.max(maxAbs, err);
      maxRel = Math.max(maxRel, err / Math.max(Math.abs(b), floor));
      if (err > bound) {
        ok = false;
        if (err - bound > worstExcess) { worstExcess = err - bound; worst = { output: name, index: i, got: a, want: b }; }
      }
    }
  }
  return { ok, maxAbsErr: maxAbs, maxRelErr: maxRel, ...(worst ? { worst } : {}) };
}
