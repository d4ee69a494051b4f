import { Mlp, Rng, STRUCTURE_ALGORITHMS, StructureMatrixProbe, initParams, lanczos, lobpcg } from '@clt/core';
import { TOLERANCES, type Workload } from './workloads.js';

/**
 * The structure matrix (empirical NTK) of a small tanh MLP by each exact algorithm, and its
 * extreme eigenvalues by Lanczos on the matrix-free NTK–vector-product operator, and λ_min by LOBPCG
 * with the output-block preconditioner (its blocks compared too). Backends run the
 * probe graphs in float32; the reference in float64.
 */
export function probeWorkloads(): Workload[] {
  const model = new Mlp({ sizes: [16, 12, 12, 4], activation: 'tanh' });
  const rng = new Rng(3), n = 6;
  const params = initParams(model, rng);
  const x = rng.normals(n * 16);
  const dtypeFor = (name: string) => (name === 'reference' ? 'f64' : 'f32');
  const ntk = STRUCTURE_ALGORITHMS.map((algorithm): Workload => ({
    name: `probe/ntk/${algorithm}`,
    group: 'probe',
    tolerance: TOLERANCES.probe,
    async run(backend) {
      const probe = new StructureMatrixProbe(model, backend, { algorithm, dtype: dtypeFor(backend.name) });
      const k = await probe.ntk(params, x);
      const blocks = await probe.blocks(params, x);
      return { ntk: k.data, blocks: blocks.data };
    },
  }));
  const extremes: Workload = {
    name: 'probe/lanczos-extremes',
    group: 'probe',
    tolerance: TOLERANCES.probe,
    async run(backend) {
      const probe = new StructureMatrixProbe(model, backend, { algorithm: 'ntk-vp', dtype: dtypeFor(backend.name) });
      const op = await probe.operator(params, x);
      try {
        const r = await lanczos(op, { tol: 1e-8 });
        return { extremes: Float64Array.of(r.largest, r.smallest) };
      } finally {
        op.dispose();
      }
    },
  };
  const lambdaMin: Workload = {
    name: 'probe/lobpcg-lambda-min',
    group: 'probe',
    tolerance: TOLERANCES.probe,
    async run(backend) {
      const probe = new StructureMatrixProbe(model, backend, { algorithm: 'ntk-vp', dtype: dtypeFor(backend.name) });
      const blocks = await probe.outputBlocks(params, x);
      const op = await probe.operator(params, x);
      try {
        const r = await lobpcg(op, { preconditioner: await probe.preconditioner(params, x), tol: 1e-6 });
        return { outputBlocks: blocks.data, smallest: Float64Array.of(r.values[0]!) };
      } finally {
        op.dispose();
      }
    },
  };
  return [...ntk, extremes, lambdaMin];
}
