import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { Rng } from '@clt/core';
import {
  arrangementCoverage, checkSpline1D, coverCount, compareWithSgd, dataset, enumerateArrangements, enumerateArrangements1D, minNormInterpolation,
  oneHotTargets, recoverNetwork, sampleArrangements, softmaxLoss, solveConvexReLU, solveConvexReLUWorkingSet, splineSvg, squaredLoss, svd, withBias,
  type ConvexReluSolution, type Dataset as ConvexData, type PatternSet, type SolveProgress,
} from '@clt/convex';
import { DATASET_HELP, loadDataset } from '../data/index.js';
import { fmt, int, num, printJson, table } from '../options.js';

/**
 * `clt convex`: solve the convex program of a two-layer ReLU network (Pilanci & Ergen) on a data
 * set, print its certificate, compare with SGD runs of the same width, or (--spline) plot the
 * 1-D case. See docs/convex.md.
 */
export function convexCommand(): Command {
  return new Command('convex')
    .description('Exact convex training of a two-layer ReLU network: primal, dual, duality gap, the recovered network, SGD runs of the same width side by side, and the 1-D spline plot')
    .option('--data <spec>', `data set: ${DATASET_HELP}`, 'mnist')
    .option('--classes <a,b>', 'keep these classes (e.g. 3,8 for an MNIST two-class subset); two classes use ±1 targets with squared loss. Default: the first two classes with squared loss, all classes with softmax')
    .option('--limit <n>', 'rows kept (seeded, stratified)', int('--limit'), 40)
    .option('--pca <k>', 'project features on their top k principal directions (0 = keep all)', int('--pca', 0), 3)
    .option('--beta <b>', 'regularization β (weight decay β/2 on every weight)', num('--beta', (x) => x > 0, '> 0'), 0.1)
    .option('--loss <name>', 'squared (two classes, ±1 targets) or softmax (cross-entropy, any number of classes)', 'squared')
    .option('--gates <M>', 'Gaussian gates sampled when the arrangement cannot be enumerated (d > 3)', int('--gates'), 2000)
    .option('--max-patterns <P>', 'keep at most this many sampled patterns', int('--max-patterns'), 60)
    .option('--sgd-runs <k>', 'SGD runs of the same width to compare', int('--sgd-runs', 0), 3)
    .option('--steps <n>', 'steps per SGD run', int('--steps'), 3000)
    .option('--seed <n>', 'seed of the split, the gates and the SGD inits', int('--seed', 0), 0)
    .option('--time-limit <s>', 'wall-clock limit of the convex solve in seconds; when it is reached the result is reported as not certified', num('--time-limit', (x) => x > 0, '> 0'), 60)
    .option('--gap-tol <r>', 'relative duality gap at which the solve stops and the result counts as certified', num('--gap-tol', (x) => x > 0 && x < 1, 'in (0, 1)'), 1e-9)
    .option('--spline <out.svg>', 'instead: the 1-D case (seeded points, or --x/--y), min-norm and β > 0 fits, written as SVG')
    .option('--x <list>', 'with --spline: comma-separated inputs')
    .option('--y <list>', 'with --spline: comma-separated targets')
    .option('--json', 'print the result as JSON')
    .action((opts) => {
      if (opts.spline) return splineCase(opts);
      const loss = opts.loss === 'softmax' ? softmaxLoss : opts.loss === 'squared' ? squaredLoss : undefined;
      if (!loss) throw new InvalidArgumentError(`--loss must be squared or softmax, got "${opts.loss}"`);
      // The split is seeded and shuffled: the first --limit training rows of the kept classes.
      const ds = loadDataset(opts.data, { seed: opts.seed, testFraction: 0.15 });
      // Without --classes the squared loss takes the first two classes, so `clt convex` runs as is.
      let keep = opts.classes ? String(opts.classes).split(',').map(Number) : Array.from({ length: loss === squaredLoss ? Math.min(2, ds.train.classes) : ds.train.classes }, (_, k) => k);
      if (keep.some((k: number) => !Number.isInteger(k) || k < 0 || k >= ds.train.classes)) throw new InvalidArgumentError(`--classes must list labels in [0, ${ds.train.classes}), got "${opts.classes}"`);
      if (loss === squaredLoss && keep.length !== 2) throw new InvalidArgumentError(`the squared loss needs two classes (±1 targets); pass --classes a,b or use --loss softmax (${ds.train.classes} classes here)`);
      keep = [...new Set(keep)];
      const rows: number[] = [];
      for (let i = 0; i < ds.train.n && rows.length < opts.limit; i++) if (keep.includes(ds.train.labels[i]!)) rows.push(i);
      const n = rows.length, dim = ds.train.dim;
      let X: Float64Array = new Float64Array(n * dim);
      rows.forEach((r, i) => { for (let j = 0; j < dim; j++) X[i * dim + j] = ds.train.x[r * dim + j]!; });
      let d = dim;
      ({ X, d } = standardizeAndProject(X, n, dim, opts.pca));
      const labels = rows.map((r) => keep.indexOf(ds.train.labels[r]!));
      const Y = loss === squaredLoss ? Float64Array.from(labels, (l) => (l === 0 ? -1 : 1)) : oneHotTargets(labels, keep.length);
      const data = withBias(dataset(X, n, d, Y, loss === squaredLoss ? 1 : keep.length));
      const rng = new Rng(opts.seed);
      // Exact enumeration when it is small (d ≤ 3 and Cover's count ≤ 2000), else Gaussian gates.
      const exact = data.d <= 3 && coverCount(n, data.d) <= 2000n;
      const patterns: PatternSet = exact ? enumerateArrangements(data.X, n, data.d) : sampleArrangements(data.X, n, data.d, opts.gates, rng, { maxPatterns: opts.maxPatterns });
      const coverage = arrangementCoverage(patterns, data.X, n, data.d);
      const t0 = performance.now();
      const solveOpts = { loss, timeLimit: opts.timeLimit, gapTol: opts.gapTol, onProgress: progressToStderr, progressInterval: PROGRESS_SECONDS };
      const sol: ConvexReluSolution = patterns.P > 2 * n ? solveConvexReLUWorkingSet(data, patterns, opts.beta, solveOpts) : solveConvexReLU(data, patterns, opts.beta, solveOpts);
      const seconds = (performance.now() - t0) / 1000;
      const net = recoverNetwork(sol);
      const cmp = opts.sgdRuns > 0 ? compareWithSgd(data, patterns, sol, { loss, runs: opts.sgdRuns, steps: opts.steps, width: net.m }) : { width: net.m, runs: [] };
      const out = {
        data: ds.info.source, classes: keep, rows: n, features: data.d, bias: true, loss: loss.name, beta: opts.beta,
        patterns: { count: patterns.P, exact, cover: coverage.cover.toString(), fraction: coverage.fraction, rank: coverage.rank },
        convex: {
          certified: sol.certified, status: sol.status, stopReason: sol.stopReason, gapTol: opts.gapTol, timeLimit: opts.timeLimit,
          primal: sol.primal, dual: sol.dual, gap: sol.gap, relativeGap: sol.relativeGap, violation: sol.violation, certificateRatio: sol.certificate?.ratio ?? null, width: net.m, converged: sol.converged, seconds,
        },
        sgd: cmp.runs,
      };
      if (opts.json) return printJson(out);
      const w = (s: string) => process.stdout.write(s + '\n');
      w(`${ds.info.source}: ${n} rows of classes ${keep.join(', ')}, ${data.d} features (incl. bias), ${loss.name} loss, β = ${opts.beta}`);
      w(`patterns: ${patterns.P} ${exact ? '(exact enumeration)' : `sampled from ${opts.gates} gates`}; Cover count for rank ${coverage.rank}: ${coverage.cover} (${(100 * coverage.fraction).toPrecision(3)}%)`);
      if (!exact) w('  the certificate below is for the sampled patterns only: p*(subset) ≥ p*');
      // A result that is not certified is never printed as an optimum: only its two bounds.
      if (sol.certified) w(`convex optimum   p* = ${fmt(sol.primal, 10)}   dual = ${fmt(sol.dual, 10)}   gap = ${fmt(sol.gap)} (relative ${fmt(sol.relativeGap)})`);
      else w(`bounds only      dual = ${fmt(sol.dual, 10)} ≤ p* ≤ primal = ${fmt(sol.primal, 10)}   gap = ${fmt(sol.gap)} (relative ${fmt(sol.relativeGap)})`);
      w(sol.status.replace(/^not certified:/, 'NOT CERTIFIED:') + (sol.certified ? '' : ` (--time-limit ${opts.timeLimit}, --gap-tol ${opts.gapTol})`));
      w(`constraint violation ${fmt(sol.violation)}; dual constraint max/β = ${fmt(sol.certificate?.ratio ?? NaN, 8)}; width of the recovered network m = ${net.m}; ${seconds.toFixed(1)} s`);
      if (cmp.runs.length) {
        w(`\nSGD runs of width ${cmp.width} on the same objective${sol.certified ? '' : ' (objective − p* is measured from the primal upper bound)'}:`);
        w(table([['seed', 'objective', 'objective − p*', 'certified gap', 'optimal'], ...cmp.runs.map((r) => [String(r.seed), fmt(r.objective, 8), fmt(r.excess), fmt(r.certifiedGap), Number.isFinite(r.objective) ? (r.optimal ? 'yes' : 'no') : 'diverged'])]));
      }
    });
}

/** Seconds between progress lines on stderr. */
const PROGRESS_SECONDS = 2;

/** Progress of a long solve, on stderr so that --json stdout stays one JSON document. */
function progressToStderr(p: SolveProgress): void {
  if (p.seconds < PROGRESS_SECONDS) return; // quick solves stay silent
  process.stderr.write(`convex: ${p.seconds.toFixed(1)} s, ${p.outer} AL steps, ${p.inner} FISTA steps, ${Number.isFinite(p.gap) ? `certified gap so far ${fmt(p.gap)} (relative ${fmt(p.relativeGap)})` : 'no certificate yet'}\n`);
}

/** Standardize columns, then (k > 0, k < dim) project on the top-k right singular vectors. */
function standardizeAndProject(X: Float64Array, n: number, dim: number, k: number): { X: Float64Array; d: number } {
  for (let j = 0; j < dim; j++) {
    let m = 0, s = 0;
    for (let i = 0; i < n; i++) m += X[i * dim + j]!;
    m /= n;
    for (let i = 0; i < n; i++) s += (X[i * dim + j]! - m) ** 2;
    const sd = Math.sqrt(s / n) || 1;
    for (let i = 0; i < n; i++) X[i * dim + j] = (X[i * dim + j]! - m) / sd;
  }
  if (!(k > 0 && k < dim)) return { X, d: dim };
  // Principal scores U_k diag(s_k), rescaled so the first score has unit variance.
  const { U, s } = svd(X, n, dim), r = s.length, Z = new Float64Array(n * k);
  const unit = Math.sqrt(n) / (s[0]! || 1);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) Z[i * k + c] = U[i * r + c]! * s[c]! * unit;
  return { X: Z, d: k };
}

function splineCase(opts: { spline: string; x?: string; y?: string; seed: number; beta: number; timeLimit: number; gapTol: number; json?: boolean }): void {
  const parse = (v: string, name: string) => { const a = v.split(',').map(Number); if (a.some((t) => !Number.isFinite(t))) throw new InvalidArgumentError(`${name} must be comma-separated numbers`); return a; };
  let x: number[], y: number[];
  if (opts.x || opts.y) {
    if (!opts.x || !opts.y) throw new InvalidArgumentError('--x and --y go together');
    x = parse(opts.x, '--x'); y = parse(opts.y, '--y');
    if (x.length !== y.length || x.length < 2) throw new InvalidArgumentError(`--x and --y need the same length ≥ 2 (got ${x.length} and ${y.length})`);
  } else {
    const r = new Rng(opts.seed);
    x = Array.from({ length: 8 }, (_, i) => -2 + 0.5 * i + 0.3 * r.uniform()); y = Array.from({ length: 8 }, () => r.normal());
  }
  const data: ConvexData = withBias(dataset(x, x.length, 1, y));
  const ps = enumerateArrangements1D(x);
  const mn = minNormInterpolation(data, ps, { innerBeta: 0.1 });
  const reg = solveConvexReLU(data, ps, opts.beta, { timeLimit: opts.timeLimit, gapTol: opts.gapTol, onProgress: progressToStderr, progressInterval: PROGRESS_SECONDS });
  const netMn = recoverNetwork(mn), netReg = recoverNetwork(reg);
  const repMn = checkSpline1D(netMn, x, y), repReg = checkSpline1D(netReg, x, y);
  writeFileSync(opts.spline, splineSvg(x, y, [
    { label: `min-norm interpolation (Σ‖·‖ = ${mn.norm.toFixed(4)})`, net: netMn, color: '#1f77b4' },
    { label: `β = ${opts.beta} (p* = ${reg.primal.toFixed(4)})`, net: netReg, color: '#d62728' },
  ], { title: 'Two-layer ReLU networks on 1-D data (ticks: kinks)' }));
  const out = { svg: opts.spline, x, y, minNorm: { norm: mn.norm, gap: mn.gap, report: strip(repMn) }, regularized: { beta: opts.beta, primal: reg.primal, gap: reg.gap, certified: reg.certified, status: reg.status, report: strip(repReg) } };
  if (opts.json) return printJson(out);
  process.stdout.write(`wrote ${opts.spline}\n`);
  process.stdout.write(`β = ${opts.beta} fit: p* = ${fmt(reg.primal, 10)}, ${reg.status}\n`);
  for (const [name, rep] of [['min-norm', repMn], [`β = ${opts.beta}`, repReg]] as const) {
    process.stdout.write(`${name}: ${rep.kinks.length} kinks, off-data slope-jump mass ${fmt(rep.offDataJumpMass)} of ${fmt(rep.totalJumpMass)}, max |f − linear interpolant| ${fmt(rep.maxDeviation)}, max residual ${fmt(rep.maxResidual)}, linear spline: ${rep.isLinearSpline ? 'yes' : 'no'}\n`);
  }
}

function strip(r: ReturnType<typeof checkSpline1D>) {
  return { kinks: r.kinks, offDataJumpMass: r.offDataJumpMass, totalJumpMass: r.totalJumpMass, maxDeviation: r.maxDeviation, maxResidual: r.maxResidual, kinksOnlyAtData: r.kinksOnlyAtData, isLinearSpline: r.isLinearSpline };
}
