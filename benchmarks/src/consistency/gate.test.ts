import { describe, expect, it } from 'vitest';
import { ReferenceBackend, type Backend, type DeviceTensor, type Executable, type Graph } from '@clt/core';
import { runConsistency } from './run.js';
import { mlpWorkloads, trainWorkload } from './workloads.js';

/** Wraps the reference and distorts every float output on download: a backend that drifts. */
function distorted(name: string, f: (v: number, i: number) => number): Backend {
  const ref = new ReferenceBackend();
  const wrap = (t: DeviceTensor): DeviceTensor => ({
    shape: t.shape, dtype: t.dtype, backend: name,
    download: async () => {
      const d = await t.download();
      if (t.dtype === 'f32' || t.dtype === 'f64') for (let i = 0; i < d.length; i++) d[i] = f(d[i]!, i);
      return d;
    },
    dispose: () => t.dispose(),
    // Chained runs (the training workload) feed outputs back as inputs: unwrap to the reference tensor.
    ...({ inner: t } as object),
  });
  return {
    ...ref,
    contractVersion: ref.contractVersion, name, dtypes: ref.dtypes, supportedOps: ref.supportedOps,
    availability: () => ref.availability(),
    upload: (t) => ref.upload(t),
    dispose: () => ref.dispose(),
    async compile(graph: Graph): Promise<Executable> {
      const exe = await ref.compile(graph);
      return {
        graph, device: 'cpu', warnings: [], dispose: () => exe.dispose(),
        async run(inputs, options) {
          const unwrapped = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, (v as any).inner ?? v]));
          const out = await exe.run(unwrapped, options);
          return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, wrap(v)]));
        },
      };
    },
  };
}

describe('consistency gate', () => {
  const work = [...mlpWorkloads(), trainWorkload(5)];

  it('fails a backend whose results drift by 5e-3 relative (tolerances are 2e-4 to 2e-3)', async () => {
    const res = await runConsistency([distorted('drifting', (v) => v * (1 + 5e-3))], work);
    expect(res.length).toBe(work.length);
    expect(res.filter((r) => r.ok)).toEqual([]);
    for (const r of res) expect(r.maxRelErr).toBeGreaterThan(r.rtol);
  });

  it('fails a backend that returns a NaN where the reference is finite', async () => {
    const res = await runConsistency([distorted('nan', (v, i) => (i === 0 ? NaN : v))], work.slice(0, 1));
    expect(res[0]!.ok).toBe(false);
  });

  it('passes a backend that only rounds to float32', async () => {
    const res = await runConsistency([distorted('f32-rounding', (v) => Math.fround(v))], work);
    for (const r of res) expect(r.ok, `${r.workload}: ${r.maxRelErr}`).toBe(true);
  });
});
