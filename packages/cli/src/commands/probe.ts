import { Command, Option } from 'commander';
import { GradientEnergyProbe, initParams, Mlp, parameterCount, Rng, STRUCTURE_ALGORITHMS, StructureMatrixProbe, summarizeBlocks, type StructureAlgorithm } from '@clt/core';
import { backendFor, DEFAULT_BACKEND } from '../backends.js';
import { DATASET_HELP, loadDataset, stratifiedSample } from '../data/index.js';
import { loadRun } from '../model-from-run.js';
import { fmt, int, printJson, table, widths } from '../options.js';

export function probeCommand(): Command {
  return new Command('probe')
    .description('Measure the structure matrix (per-sample Aᵢ = JᵢJᵢᵀ and the empirical NTK), its extreme eigenvalues and the gradient energy on a probe set')
    .option('--run <dir>', 'probe the trained weights of a run directory (its model and data)')
    .option('--data <spec>', `data set when no --run: ${DATASET_HELP}`, 'mnist')
    .option('--hidden <widths>', 'hidden widths of a freshly initialized MLP when no --run', '256,256')
    .option('--samples <n>', 'probe-set size (training rows, seeded)', int('--samples'), 32)
    .addOption(new Option('--algorithm <a>', 'exact structure-matrix algorithm').choices([...STRUCTURE_ALGORITHMS]))
    .option('--ntk', 'also the extreme eigenvalues of the full (n·d)×(n·d) empirical NTK (dense up to 1500 rows, else Lanczos for λmax and preconditioned LOBPCG for λmin)')
    .option('--seed <n>', 'seed of the probe set and of fresh weights', int('--seed', 0), 0)
    .option('--backend <name>', 'backend to run on', DEFAULT_BACKEND)
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      let model: Mlp, params: Record<string, Float32Array | Float64Array>, train;
      if (opts.run !== undefined) { // an empty --run is an error, not a silent fresh model
        if (String(opts.run).trim() === '') throw new Error('--run must name a run folder written by `clt train` (it is empty)');
        const r = loadRun(opts.run);
        model = r.model; train = r.data.train;
        params = Object.fromEntries(model.params.map((p) => [p.name, Float64Array.from(r.checkpoint.tensors[p.name]!)]));
      } else {
        train = loadDataset(opts.data, { seed: opts.seed }).train;
        model = new Mlp({ sizes: [train.dim, ...widths(opts.hidden), train.classes] });
        params = initParams(model, new Rng(opts.seed));
      }
      // The backend after the run and data: a bad --run or --data fails before native libraries load.
      const backend = await backendFor(opts.backend);
      const dtype = backend.dtypes.includes('f64') ? 'f64' : 'f32';
      const probe = stratifiedSample(train, opts.samples, opts.seed);
      const x = Float64Array.from(probe.x);
      const sm = new StructureMatrixProbe(model, backend, { dtype, ...(opts.algorithm ? { algorithm: opts.algorithm as StructureAlgorithm } : {}) });
      const ge = new GradientEnergyProbe(model, backend, { dtype });
      const t0 = performance.now();
      const summary = summarizeBlocks(await sm.blocks(params, x));
      const energy = await ge.measure(params, x, probe.labels);
      const ntk = opts.ntk ? await sm.extremes(params, x) : undefined;
      const seconds = (performance.now() - t0) / 1000;
      await sm.dispose(); await ge.dispose();
      const result = {
        backend: backend.name, algorithm: sm.algorithm, dtype, model: model.describe(), parameters: parameterCount(model), samples: probe.n, outputs: model.outputDim,
        lambdaMinStar: summary.lambdaMinStar, lambdaMaxStar: summary.lambdaMaxStar, aggregate: summary.aggregate, rankDeficient: summary.rankDeficient,
        gershgorin: { lowerMin: Math.min(...summary.gershgorinLower), upperMax: Math.max(...summary.gershgorinUpper) },
        gradientEnergy: energy.energy, batchGradSqNorm: energy.batchGradSqNorm, rayleighQuotient: energy.rayleighQuotient ?? null, loss: energy.losses.reduce((a, b) => a + b, 0) / probe.n,
        ntk: ntk ? { largest: ntk.largest, smallest: ntk.smallest, method: ntk.method, size: ntk.size, rankDeficient: ntk.rankDeficient, products: ntk.products } : null,
        seconds,
      };
      if (opts.json) return printJson(result);
      const a = summary.aggregate;
      process.stdout.write(`structure matrix Aᵢ = JᵢJᵢᵀ (${model.outputDim}×${model.outputDim}) on ${probe.n} samples, ${sm.algorithm}, ${backend.name} (${dtype}), ${fmt(seconds, 3)} s\n\n`);
      process.stdout.write(table([
        ['quantity', 'min', 'median', 'max'],
        ['λmin(Aᵢ)', fmt(a.lambdaMin.min), fmt(a.lambdaMin.median), fmt(a.lambdaMin.max)],
        ['λmax(Aᵢ)', fmt(a.lambdaMax.min), fmt(a.lambdaMax.median), fmt(a.lambdaMax.max)],
        ['κ(Aᵢ) = λmax/λmin', fmt(a.condition.min), fmt(a.condition.median), fmt(a.condition.max)],
        ['tr Aᵢ = ‖Jᵢ‖²F', fmt(a.trace.min), fmt(a.trace.median), fmt(a.trace.max)],
      ]) + '\n\n');
      process.stdout.write(`gradient energy E = (1/n)Σ‖gᵢ‖² = ${fmt(energy.energy)}; ‖∇R̂‖² = ${fmt(energy.batchGradSqNorm)}; free Rayleigh quotient = ${fmt(energy.rayleighQuotient)}\n`);
      if (ntk) process.stdout.write(`empirical NTK (${ntk.size}×${ntk.size}, ${ntk.method}${ntk.products ? `, ${ntk.products} NTK–vector products` : ''}): λmax = ${fmt(ntk.largest)}, λmin = ${fmt(ntk.smallest)}${ntk.rankDeficient ? ' (rank-deficient: P < n·d)' : ''}\n`);
    });
}
