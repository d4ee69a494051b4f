import { benchStructureMatrix, type Backend, type BenchStructureResult } from '@clt/core';

export interface StructureSuiteOptions {
  readonly sizes?: readonly number[];
  readonly n?: number;
  readonly log?: (line: string) => void;
}

/**
 * The structure-matrix benchmark of issue 7: the NTK of an MLP (default 784-512-512-10) on n real
 * MNIST digits (default 256) by each exact algorithm, then λ_max/λ_min by the dense eigensolver and by
 * Lanczos on the matrix-free operator. Digits come from the CLI's dataset loader (the `mnist` package).
 */
export async function runStructureSuite(backend: Backend, options: StructureSuiteOptions = {}): Promise<BenchStructureResult & { data: string }> {
  const sizes = options.sizes ?? [784, 512, 512, 10], n = options.n ?? 256;
  const { loadMnist, stratifiedSample } = await import('@clt/cli/datasets');
  const digits = stratifiedSample(loadMnist(), n, 0);
  const res = await benchStructureMatrix(backend, { sizes, n, x: Float64Array.from(digits.x), dtype: 'f32', ...(options.log ? { log: options.log } : {}) });
  return { ...res, data: `${n} MNIST digits (stratified, seed 0)` };
}

export function structureMarkdown(results: readonly (BenchStructureResult & { data: string })[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const lw = r.algorithms.find((a) => a.algorithm === 'layerwise-gram'), jc = r.algorithms.find((a) => a.algorithm === 'jacobian-contraction');
    lines.push(`## ${r.backend}: MLP ${r.sizes.join('-')} (P = ${r.parameterCount}), ${r.data}, NTK ${r.n * r.d} × ${r.n * r.d}`, '',
      '| algorithm | first call ms (trace+compile+run) | warm ms | max rel. diff to first algorithm |', '|---|---|---|---|',
      ...r.algorithms.map((a) => `| ${a.algorithm} | ${a.firstMs.toFixed(0)} | ${a.warmMs.toFixed(0)} | ${a.maxRelDiff.toExponential(1)} |`), '');
    if (lw && jc) lines.push(`Layer-wise Gram is **${(jc.warmMs / lw.warmMs).toFixed(1)}×** faster than Jacobian contraction (goal ≥ 10×).`, '');
    lines.push('| eigenvalues | ms | λ_max | λ_min | operator applications | rel. error λ_max / λ_min vs dense |', '|---|---|---|---|---|---|',
      `| dense | ${r.dense.ms.toFixed(0)} | ${r.dense.largest.toPrecision(6)} | ${r.dense.smallest.toPrecision(6)} | – | – |`,
      `| Lanczos (${r.lanczos.on}) | ${r.lanczos.ms.toFixed(0)} | ${r.lanczos.largest.toPrecision(6)} | ${r.lanczos.smallest.toPrecision(6)} | ${r.lanczos.iterations} (converged: λ_max at ${r.lanczos.iterationsLargest ?? '–'}, λ_min at ${r.lanczos.iterationsSmallest ?? '–'}; within ${r.accuracy} of dense: λ_max at ${r.lanczos.productsToAccuracyLargest ?? '–'}, λ_min at ${r.lanczos.productsToAccuracySmallest ?? '–'}) | ${r.lanczos.relErrLargest.toExponential(1)} / ${r.lanczos.relErrSmallest.toExponential(1)} |`,
      ...(r.lobpcg ? [`| LOBPCG, output-block preconditioner (${r.lanczos.on}), λ_min | ${r.lobpcg.ms.toFixed(0)} (preconditioner ${r.lobpcg.preconditionerMs.toFixed(0)}) | – | ${r.lobpcg.smallest.toPrecision(6)} | ${r.lobpcg.products} (within ${r.accuracy} of dense at ${r.lobpcg.productsToAccuracy ?? '–'}; start seeds 0–${r.lobpcg.seeds.length - 1}: ${r.lobpcg.seeds.map((s) => s.productsToAccuracy ?? '–').join(', ')}, median ${r.lobpcg.medianProductsToAccuracy}) | – / ${r.lobpcg.relErrSmallest.toExponential(1)} |`] : []), '');
  }
  return lines.join('\n');
}
