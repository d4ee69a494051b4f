import type { Backend, TypedArray } from '@clt/core';
import { ReferenceBackend } from '@clt/core';
import { compareOutputs, type Comparison } from './compare.js';
import { executableWarnings, type Workload } from './workloads.js';

export interface ConsistencyResult extends Comparison {
  readonly backend: string;
  readonly workload: string;
  readonly group: string;
  readonly rtol: number;
  readonly atol: number;
  readonly ms: number;
  /** Executable warnings seen while this workload ran (e.g. nodes that fell back to the CPU). */
  readonly warnings?: string[];
}

/**
 * Run every workload on every backend and compare with the float64 reference. Errors thrown by a
 * backend count as failures with the message kept.
 */
export async function runConsistency(
  backends: readonly Backend[],
  workloads: readonly Workload[],
  onProgress?: (done: number, total: number, label: string, result?: ConsistencyResult) => void,
): Promise<ConsistencyResult[]> {
  const ref = new ReferenceBackend();
  const wants = new Map<string, Record<string, TypedArray>>();
  const results: ConsistencyResult[] = [];
  const total = workloads.length * backends.length;
  let done = 0;
  for (const w of workloads) wants.set(w.name, await w.run(ref));
  for (const b of backends) {
    for (const w of workloads) {
      onProgress?.(done, total, `${b.name} ${w.name}`);
      const t0 = performance.now();
      let cmp: Comparison;
      executableWarnings.clear();
      try {
        cmp = compareOutputs(await w.run(b), wants.get(w.name)!, w.tolerance);
      } catch (err) {
        cmp = { ok: false, maxAbsErr: Infinity, maxRelErr: Infinity, message: (err as Error).message.split('\n')[0] };
      }
      const warnings = [...executableWarnings];
      const r: ConsistencyResult = { backend: b.name, workload: w.name, group: w.group, rtol: w.tolerance.rtol, atol: w.tolerance.atol, ms: performance.now() - t0, ...cmp, ...(warnings.length ? { warnings } : {}) };
      results.push(r);
      onProgress?.(++done, total, `${b.name} ${w.name}`, r);
    }
  }
  return results;
}
