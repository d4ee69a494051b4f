import type { Workload } from './workloads.js';

/** Structure-matrix and Lanczos workloads (filled in once the probes module lands). */
export function probeWorkloads(): Workload[] {
  return [];
}
