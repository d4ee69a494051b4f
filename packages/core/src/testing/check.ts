import type { Backend, DeviceTensor, Executable, HostTensor } from '../backend/contract.js';
import type { TypedArray } from '../ir/dtype.js';
import { isFloat } from '../ir/dtype.js';
import { size } from '../ir/graph.js';
import { interpret } from '../reference/interpret.js';
import type { ConformanceCase } from './case.js';

/** Elementwise acceptance: |got − want| ≤ atol + rtol·|want|. */
export interface Tolerance { rtol: number; atol: number }

/** Outcome of one case. `ok` is true for a skipped case; `skipped` then holds the reason. */
export interface CaseResult {
  name: string;
  ok: boolean;
  skipped?: string;
  /** Largest |got − want| over all outputs (finite pairs only). */
  maxAbsErr: number;
  /** Largest |got − want| / |want| over all outputs (finite pairs with want ≠ 0). */
  maxRelErr: number;
  message?: string;
}

/** Default tolerances by case dtype: float32 roundoff accumulated over small graphs; float64 near exact. */
export const DEFAULT_TOLERANCE: Record<'f32' | 'f64', Tolerance> = {
  f32: { rtol: 1e-4, atol: 1e-5 },
  f64: { rtol: 1e-10, atol: 1e-12 },
};

export interface Comparison { ok: boolean; maxAbsErr: number; maxRelErr: number; message?: string }

/**
 * Compare one output elementwise. Floats: |got − want| ≤ atol + rtol·|want|, NaN must meet NaN,
 * ±Inf must meet the same infinity. Integers and bools: exact (bools compared as truthiness).
 * The message names the first offending index with both values.
 */
export function compareArrays(name: string, got: ArrayLike<number>, want: ArrayLike<number>, float: boolean, tol: Tolerance, isBool = false): Comparison {
  let maxAbsErr = 0, maxRelErr = 0, bad = -1, nbad = 0;
  if (got.length !== want.length) return { ok: false, maxAbsErr: Infinity, maxRelErr: Infinity, message: `output "${name}": ${got.length} values, expected ${want.length}` };
  for (let i = 0; i < want.length; i++) {
    let g = Number(got[i]), w = Number(want[i]);
    if (isBool) { g = g ? 1 : 0; w = w ? 1 : 0; }
    let pass: boolean;
    if (!float) pass = g === w;
    else if (Number.isNaN(w) || Number.isNaN(g)) pass = Number.isNaN(w) && Number.isNaN(g);
    else if (!Number.isFinite(w) || !Number.isFinite(g)) pass = g === w;
    else {
      const d = Math.abs(g - w);
      if (d > maxAbsErr) maxAbsErr = d;
      if (w !== 0 && d / Math.abs(w) > maxRelErr) maxRelErr = d / Math.abs(w);
      pass = d <= tol.atol + tol.rtol * Math.abs(w);
    }
    if (!pass) { nbad++; if (bad < 0) bad = i; }
  }
  if (bad < 0) return { ok: true, maxAbsErr, maxRelErr };
  const message = `output "${name}": ${nbad} of ${want.length} elements off, first at [${bad}]: got ${Number(got[bad])}, want ${Number(want[bad])}` +
    (float ? ` (|diff| ≤ ${tol.atol} + ${tol.rtol}·|want| required)` : ' (exact match required)');
  return { ok: false, maxAbsErr, maxRelErr, message };
}

/**
 * Run one case on `backend` and compare every output with the float64 reference `interpret`:
 * compile the graph, run it on the host inputs, download, compare (see `compareArrays`). Errors
 * thrown by the backend become a failed result whose message carries the backend's error.
 */
export async function checkCase(backend: Backend, c: ConformanceCase, tol: Tolerance): Promise<CaseResult> {
  const host: Record<string, ArrayLike<number>> = {};
  for (const [k, t] of Object.entries(c.inputs)) host[k] = t.data;
  const want = interpret(c.graph, host);
  let exe: Executable | undefined;
  let outs: Record<string, DeviceTensor> | undefined;
  try {
    exe = await backend.compile(c.graph);
    outs = await exe.run(c.inputs as Record<string, HostTensor>);
    let maxAbsErr = 0, maxRelErr = 0;
    const messages: string[] = [];
    for (const o of c.graph.outputs) {
      const node = c.graph.nodes[o.id]!, t = outs[o.name];
      if (!t) { messages.push(`output "${o.name}" missing from run()`); continue; }
      if (t.shape.join(',') !== node.shape.join(',')) messages.push(`output "${o.name}" has shape [${t.shape.join(',')}], expected [${node.shape.join(',')}]`);
      const got: TypedArray = await t.download();
      if (got.length !== size(node.shape)) { messages.push(`output "${o.name}": downloaded ${got.length} values, expected ${size(node.shape)}`); continue; }
      const cmp = compareArrays(o.name, got, want[o.name]!, isFloat(node.dtype), tol, node.dtype === 'bool');
      maxAbsErr = Math.max(maxAbsErr, cmp.maxAbsErr);
      maxRelErr = Math.max(maxRelErr, cmp.maxRelErr);
      if (!cmp.ok) messages.push(cmp.message!);
    }
    return messages.length
      ? { name: c.name, ok: false, maxAbsErr, maxRelErr, message: messages.slice(0, 3).join('; ') + (messages.length > 3 ? `; and ${messages.length - 3} more outputs off` : '') }
      : { name: c.name, ok: true, maxAbsErr, maxRelErr };
  } catch (err) {
    return { name: c.name, ok: false, maxAbsErr: Infinity, maxRelErr: Infinity, message: `threw: ${(err as Error)?.message ?? String(err)}` };
  } finally {
    if (outs) for (const t of Object.values(outs)) safely(() => t.dispose());
    if (exe) safely(() => exe!.dispose());
  }
}

function safely(f: () => void) {
  try { f(); } catch { /* a failing dispose must not mask the comparison */ }
}
