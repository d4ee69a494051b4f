import type { HostTensor, Graph } from '@clt/core';
import { convWorkloads, graphWorkload, mlpWorkloads, trainWorkload, TOLERANCES, type Workload } from './workloads.js';
import { probeWorkloads } from './probe-workloads.js';

/**
 * The fixed catalogue: every primitive (forward and VJP, from the core conformance cases), MLP
 * forward and gradient, convolution nets (convWorkloads), every Fenchel–Young loss, the structure matrix by each algorithm and
 * Lanczos extreme eigenvalues, and 20 SGD steps. `quick` keeps CI fast by sampling the primitive
 * cases (every op still appears at least once).
 */
export async function catalogue(options: { quick?: boolean } = {}): Promise<Workload[]> {
  const out: Workload[] = [];
  const testing = await import('@clt/core/testing');
  let cases = testing.conformanceCases('f32');
  if (options.quick) {
    const seen = new Set<string>();
    cases = cases.filter((c) => {
      const key = `${c.kind}/${c.op ?? c.name}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }
  for (const c of cases) out.push(graphWorkload(`primitive/${c.name}`, 'primitive', c.graph, c.inputs, TOLERANCES.primitive));
  out.push(...mlpWorkloads());
  out.push(...convWorkloads());
  const core = (await import('@clt/core')) as Record<string, unknown>;
  const lossCases = core.lossConformanceCases as undefined | ((d: 'f32') => { name: string; graph: Graph; inputs: Record<string, HostTensor | ArrayLike<number>> }[]);
  if (lossCases) for (const c of lossCases('f32')) out.push(graphWorkload(`loss/${c.name}`, 'loss', c.graph, c.inputs));
  out.push(...probeWorkloads());
  out.push(trainWorkload(20));
  return out;
}
