import { Command, Option } from 'commander';
import { describeParameterCount, GradientEnergyProbe, initParams, parameterCounts, Rng, STRUCTURE_ALGORITHMS, StructureMatrixProbe, summarizeBlocks, type Model, type StructureAlgorithm } from '@clt/core';
import { backendModuleOption, backendFor, DEFAULT_BACKEND } from '../backends.js';
import { DATASET_HELP, loadDataset, stratifiedSample } from '../data/index.js';
import { loadRun, modelFromOptions, modelLine, modelOptions } from '../model-from-run.js';
import { dataOptions, fmt, int, num, printJson, table } from '../options.js';

/** Options that describe a fresh net; refused together with --run. */
const FRESH_NET_OPTIONS = ['hidden', 'activation', 'skip', 'layerNorm', 'sparsity', 'data', 'model', 'width', 'blocks', 'residual', 'patch', 'heads', 'vitDepth', 'mlpRatio', 'dataPath', 'mini', 'normalize'] as const;
const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

export function probeCommand(): Command {
  const cmd = new Command('probe')
    .description('Measure the structure matrix (per-sample Aᵢ = JᵢJᵢᵀ and the empirical NTK), its extreme eigenvalues and the gradient energy on a probe set')
    .option('--run <dir>', 'probe the trained weights of a run directory (its model and data)')
    .option('--data <spec>', `data set when no --run: ${DATASET_HELP}`, 'mnist')
    .option('--hidden <widths>', 'mlp: hidden widths of a freshly initialized MLP when no --run', '256,256')
    .addOption(new Option('--activation <fn>', 'hidden activation of the fresh MLP (no --run)').choices(['relu', 'tanh', 'gelu']).default('relu'))
    .option('--skip', 'fresh MLP (no --run): residual connections between equal-width hidden layers')
    .option('--layer-norm', 'fresh MLP (no --run): LayerNorm before each hidden activation')
    .option('--sparsity <f>', 'fresh MLP (no --run): fraction of hidden weights fixed to zero by a mask seeded by --seed', num('--sparsity', (x) => x >= 0 && x < 1, 'in [0, 1)'), 0)
    .option('--samples <n>', 'probe-set size (training rows, seeded)', int('--samples'), 32)
    .addOption(new Option('--algorithm <a>', 'exact structure-matrix algorithm').choices([...STRUCTURE_ALGORITHMS]))
    .option('--ntk', 'also the extreme eigenvalues of the full (n·d)×(n·d) empirical NTK (dense up to 1500 rows, else Lanczos for λmax and preconditioned LOBPCG for λmin)')
    .option('--seed <n>', 'seed of the probe set and of fresh weights', int('--seed', 0), 0)
    .option('--backend <name>', 'backend to run on', DEFAULT_BACKEND)
    .addOption(backendModuleOption())
    .option('--json', 'print the result as JSON')
    .action(async (opts, cmd: Command) => {
      let model: Model, params: Record<string, Float32Array | Float64Array>, train;
      if (opts.run !== undefined) { // an empty --run is an error, not a silent fresh model
        if (String(opts.run).trim() === '') throw new Error('--run must name a run folder written by `clt train` (it is empty)');
        // A fresh-net option next to --run would be silently ignored (the run's checkpoint fixes model and data): refuse it.
        const given = FRESH_NET_OPTIONS.filter((k) => cmd.getOptionValueSource(k) === 'cli');
        if (given.length) throw new Error(`${given.map(flag).join(', ')} describe${given.length === 1 ? 's' : ''} a freshly initialized net, but --run probes the trained net of ${opts.run} (its model and data come from the checkpoint); drop ${given.map(flag).join(', ')} or drop --run`);
        const r = loadRun(opts.run);
        model = r.model; train = r.data.train;
        params = Object.fromEntries(model.params.map((p) => [p.name, Float64Array.from(r.checkpoint.tensors[p.name]!)]));
      } else {
        train = loadDataset(opts.data, { seed: opts.seed, ...(opts.mini !== undefined ? { mini: opts.mini } : {}), ...(opts.normalize !== undefined ? { normalize: opts.normalize } : {}), ...(opts.dataPath !== undefined ? { dataPath: opts.dataPath } : {}) }).train;
        // The same construction and seeding as `clt train` (mask seed and initial weights from --seed), so
        // this is the net a run with these options starts from.
        model = modelFromOptions(opts, train);
        params = initParams(model, new Rng(opts.seed));
      }
      // The backend after the run and data: a bad --run or --data fails before native libraries load.
      const backend = await backendFor(opts.backend);
      const dtype = backend.dtypes.includes('f64') ? 'f64' : 'f32';
      const probe = stratifiedSample(train, opts.samples, opts.seed);
      const x = Float64Array.from(probe.x);
      const sm = new StructureMatrixProbe(model, backend, { dtype, ...(opts.algorithm ? { algorithm: opts.algorithm as StructureAlgorithm } : {}) });
      const ge = new GradientEnergyProbe(model, backend, { dtype, batchGradient: true });
      const t0 = performance.now();
      const blocks = await sm.blocks(params, x), summary = summarizeBlocks(blocks);
      const energy = await ge.measure(params, x, probe.labels);
      const ntk = opts.ntk ? await sm.extremes(params, x) : undefined;
      const seconds = (performance.now() - t0) / 1000;
      await sm.dispose(); await ge.dispose();
      const result = {
        backend: backend.name, algorithm: blocks.algorithm, ...(ntk ? { ntkAlgorithm: sm.algorithm } : {}), dtype, source: opts.run !== undefined ? { run: opts.run } : { fresh: true, seed: opts.seed }, model: model.describe(),
        parameters: parameterCounts(model).total, effectiveParameters: parameterCounts(model).effective, samples: probe.n, outputs: model.outputDim,
        lambdaMinStar: summary.lambdaMinStar, lambdaMaxStar: summary.lambdaMaxStar, aggregate: summary.aggregate, rankDeficient: summary.rankDeficient,
        gershgorin: { lowerMin: Math.min(...summary.gershgorinLower), upperMax: Math.max(...summary.gershgorinUpper) },
        gradientEnergy: energy.energy, batchGradSqNorm: energy.batchGradSqNorm, rayleighQuotient: energy.rayleighQuotient ?? null, loss: energy.losses.reduce((a, b) => a + b, 0) / probe.n,
        ntk: ntk ? { largest: ntk.largest, smallest: ntk.smallest, method: ntk.method, size: ntk.size, rankDeficient: ntk.rankDeficient, products: ntk.products } : null,
        seconds,
      };
      if (opts.json) return printJson(result);
      const a = summary.aggregate;
      const net = modelLine(model);
      process.stdout.write(`${net}, ${describeParameterCount(model)}, ${opts.run !== undefined ? `trained weights of ${opts.run}` : `freshly initialized (seed ${opts.seed})`}\n`);
      process.stdout.write(`structure matrix Aᵢ = JᵢJᵢᵀ (${model.outputDim}×${model.outputDim}) on ${probe.n} samples, ${blocks.algorithm}, ${backend.name} (${dtype}), ${fmt(seconds, 3)} s\n\n`);
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
  for (const o of [...modelOptions(), ...dataOptions()]) cmd.addOption(o);
  return cmd;
}
