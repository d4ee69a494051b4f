import type { Backend } from '../backend/contract.js';
import { lanczos, type LanczosOptions } from '../estimators/lanczos.js';
import { lobpcg, type LobpcgOptions } from '../estimators/lobpcg.js';
import { symmetricEigen } from '../estimators/symmetric-eigen.js';
import { denseOperator } from '../linop/dense.js';
import { initParams, parameterCount } from '../models/model.js';
import { Mlp, type Activation } from '../models/mlp.js';
import { Rng } from '../util/random.js';
import { uncoveredParams } from './layerwise-gram.js';
import { STRUCTURE_ALGORITHMS, StructureMatrixProbe, type StructureAlgorithm } from './structure-matrix.js';
import type { FloatDType } from './runtime.js';

/**
 * What {@link benchStructureMatrix} measures: the MLP widths, probe samples and inputs, seed,
 * activation, dtype, the algorithms to time, the Lanczos and LOBPCG settings, and the accuracy target.
 */
export interface BenchStructureOptions {
  /** MLP widths, e.g. [784, 512, 512, 10]. */
  readonly sizes: readonly number[];
  /** Probe samples. */
  readonly n: number;
  /** Inputs [n, sizes[0]] (e.g. MNIST digits); default seeded uniform [0, 1). */
  readonly x?: Float64Array;
  readonly seed?: number;
  readonly activation?: Activation;
  readonly dtype?: FloatDType;
  readonly algorithms?: readonly StructureAlgorithm[];
  /** Lanczos on the matrix-free NTK (ntk-vp products, default) or on the dense NTK. */
  readonly lanczosOn?: 'ntk-vp' | 'dense';
  readonly lanczos?: LanczosOptions;
  readonly lobpcg?: LobpcgOptions;
  /** LOBPCG start seeds 0..k−1 (the count to `accuracy` depends on the random start); default 5. */
  readonly lobpcgSeeds?: number;
  /** Relative eigenvalue error (vs the dense solver) at which products are counted; default 1e-6. */
  readonly accuracy?: number;
  readonly memoryBudget?: number;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

/**
 * What {@link benchStructureMatrix} reports: cold and warm times (ms) of each structure-matrix
 * algorithm and its largest difference from the first, and λ_max / λ_min by the dense eigensolver,
 * Lanczos and LOBPCG with their errors and operator-product counts.
 */
export interface BenchStructureResult {
  readonly backend: string;
  readonly sizes: readonly number[];
  readonly n: number;
  readonly d: number;
  readonly parameterCount: number;
  /** Per algorithm: first call (trace + compile + run) and a second, warm call, in ms. */
  readonly algorithms: readonly { algorithm: StructureAlgorithm; firstMs: number; warmMs: number; maxRelDiff: number }[];
  readonly dense: { readonly ms: number; readonly largest: number; readonly smallest: number };
  readonly lanczos: { readonly ms: number; readonly on: 'ntk-vp' | 'dense'; readonly iterations: number; readonly iterationsLargest?: number; readonly iterationsSmallest?: number; readonly largest: number; readonly smallest: number; readonly relErrLargest: number; readonly relErrSmallest: number; readonly converged: boolean;
    /** Products after which the Ritz value first stayed within `accuracy` of the dense λ_max / λ_min. */
    readonly productsToAccuracyLargest?: number; readonly productsToAccuracySmallest?: number };
  /** λ_min by LOBPCG with the output-block preconditioner, on the same operator as Lanczos. */
  readonly lobpcg?: { readonly ms: number; readonly preconditionerMs: number; readonly products: number; readonly smallest: number; readonly relErrSmallest: number; readonly converged: boolean; readonly productsToAccuracy?: number;
    /** Per start seed 0..k−1: products to `accuracy` (null: not reached) and to convergence. */
    readonly seeds: readonly { readonly seed: number; readonly productsToAccuracy: number | null; readonly products: number }[];
    /** Median over seeds of the products to `accuracy` (unreached counts as +∞). */
    readonly medianProductsToAccuracy: number };
  readonly accuracy: number;
}

/** Products after which `values` (per step, with its product count) stayed within `acc` of `exact`. */
function productsTo(steps: readonly { matvecs: number; value: number }[], exact: number, acc: number): number | undefined {
  const ok = (v: number) => Math.abs(v - exact) <= acc * Math.abs(exact);
  let k = steps.length;
  while (k > 0 && ok(steps[k - 1]!.value)) k--;
  return k < steps.length ? steps[k]!.matvecs : undefined;
}

const now = () => performance.now();

/**
 * Benchmark for the structure-matrix probes (a helper, not a test): builds the empirical NTK of an
 * MLP on n inputs with each algorithm (cold and warm), reports how far each is from the first,
 * then λ_max/λ_min by the dense eigensolver and by Lanczos with the iteration count. On the
 * reference backend this is slow; run it on a compiled backend for real timings.
 */
export async function benchStructureMatrix(backend: Backend, options: BenchStructureOptions): Promise<BenchStructureResult> {
  const { sizes, n } = options, log = options.log ?? (() => {});
  const model = new Mlp({ sizes, activation: options.activation ?? 'relu' });
  const rng = new Rng(options.seed ?? 0);
  const params = initParams(model, rng);
  const x = options.x ?? Float64Array.from({ length: n * model.inputDim }, () => rng.uniform());
  const d = model.outputDim, N = n * d;
  const common = { ...(options.dtype ? { dtype: options.dtype } : {}), ...(options.memoryBudget ? { memoryBudget: options.memoryBudget } : {}) };
  const algos: BenchStructureResult['algorithms'][number][] = [];
  let reference: Float64Array | undefined;
  for (const algorithm of options.algorithms ?? STRUCTURE_ALGORITHMS) {
    const probe = new StructureMatrixProbe(model, backend, { ...common, algorithm });
    let t = now();
    const K = await probe.ntk(params, x);
    const firstMs = now() - t;
    t = now();
    await probe.ntk(params, x);
    const warmMs = now() - t;
    reference ??= K.data;
    let diff = 0, scale = 0;
    for (let i = 0; i < K.data.length; i++) { diff = Math.max(diff, Math.abs(K.data[i]! - reference[i]!)); scale = Math.max(scale, Math.abs(reference[i]!)); }
    algos.push({ algorithm, firstMs, warmMs, maxRelDiff: scale > 0 ? diff / scale : diff });
    log(`${algorithm}: first ${firstMs.toFixed(0)} ms, warm ${warmMs.toFixed(0)} ms, max rel diff ${algos.at(-1)!.maxRelDiff.toExponential(2)}`);
    await probe.dispose();
  }
  const K = { size: N, data: reference! };
  let t = now();
  const eig = symmetricEigen(K).values;
  const dense = { ms: now() - t, largest: eig[N - 1]!, smallest: eig[0]! };
  log(`dense eigensolver (${N}×${N}): ${dense.ms.toFixed(0)} ms`);
  const on = options.lanczosOn ?? 'ntk-vp', acc = options.accuracy ?? 1e-6;
  const probe = new StructureMatrixProbe(model, backend, { ...common, algorithm: 'ntk-vp' });
  const op = on === 'dense' ? denseOperator(K, { symmetric: true }) : await probe.operator(params, x);
  t = now();
  const r = await lanczos(op, { tol: 1e-8, ...options.lanczos });
  const ms = now() - t;
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), Number.MIN_VALUE);
  const toLargest = productsTo(r.history.map((h) => ({ matvecs: h.matvecs, value: h.largest })), dense.largest, acc);
  const toSmallest = productsTo(r.history.map((h) => ({ matvecs: h.matvecs, value: h.smallest })), dense.smallest, acc);
  log(`lanczos on ${on}: ${r.iterations} products (λ_max converged at ${r.iterationsLargest ?? '-'}, λ_min at ${r.iterationsSmallest ?? '-'}; within ${acc} of dense at ${toLargest ?? '-'} / ${toSmallest ?? '-'}), ${ms.toFixed(0)} ms`);
  let lob: BenchStructureResult['lobpcg'];
  if (!r.rankDeficient && uncoveredParams(model).length === 0) {
    t = now();
    const pre = await probe.preconditioner(params, x);
    const preconditionerMs = now() - t;
    const seeds: { seed: number; productsToAccuracy: number | null; products: number }[] = [];
    let first: { ms: number; r: Awaited<ReturnType<typeof lobpcg>> } | undefined;
    for (let seed = 0; seed < Math.max(1, options.lobpcgSeeds ?? 5); seed++) {
      const t0 = now();
      const lr = await lobpcg(op, { preconditioner: pre, tol: 1e-6, seed, ...options.lobpcg, which: 'smallest' });
      first ??= { ms: now() - t0 + preconditionerMs, r: lr };
      seeds.push({ seed, productsToAccuracy: productsTo(lr.history, dense.smallest, acc) ?? null, products: lr.matvecs });
    }
    const lr = first!.r, to = seeds[0]!.productsToAccuracy;
    const sorted = seeds.map((s) => s.productsToAccuracy ?? Infinity).sort((a, b) => a - b);
    const medianProductsToAccuracy = sorted.length % 2 ? sorted[sorted.length >> 1]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
    lob = { ms: first!.ms, preconditionerMs, products: lr.matvecs, smallest: lr.values[0]!, relErrSmallest: rel(lr.values[0]!, dense.smallest), converged: lr.converged, ...(to !== null ? { productsToAccuracy: to } : {}), seeds, medianProductsToAccuracy };
    log(`lobpcg (output-block preconditioner, ${preconditionerMs.toFixed(0)} ms to build): ${lr.matvecs} products, within ${acc} of dense at ${to ?? '-'} (seeds 0..${seeds.length - 1}: ${seeds.map((s) => s.productsToAccuracy ?? '-').join(', ')}; median ${medianProductsToAccuracy}), ${first!.ms.toFixed(0)} ms with the preconditioner`);
  }
  if ('dispose' in op) (op as { dispose(): void }).dispose();
  await probe.dispose();
  return {
    backend: backend.name, sizes, n, d, parameterCount: parameterCount(model), algorithms: algos, dense, accuracy: acc,
    lanczos: { ms, on, iterations: r.iterations, ...(r.iterationsLargest !== undefined ? { iterationsLargest: r.iterationsLargest } : {}), ...(r.iterationsSmallest !== undefined ? { iterationsSmallest: r.iterationsSmallest } : {}), largest: r.largest, smallest: r.smallest, relErrLargest: rel(r.largest, dense.largest), relErrSmallest: r.rankDeficient ? 0 : rel(r.smallest, dense.smallest), converged: r.converged,
      ...(toLargest !== undefined ? { productsToAccuracyLargest: toLargest } : {}), ...(toSmallest !== undefined ? { productsToAccuracySmallest: toSmallest } : {}) },
    ...(lob ? { lobpcg: lob } : {}),
  };
}
