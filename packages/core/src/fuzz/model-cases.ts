import fc from 'fast-check';
import { spec, trace } from '../ir/builder.js';
import { bernoulliLoss } from '../losses/bernoulli.js';
import { entmax15Loss } from '../losses/entmax.js';
import type { FYLoss } from '../losses/fenchel-young.js';
import { softmaxLoss } from '../losses/softmax.js';
import { sparsemaxLoss } from '../losses/sparsemax.js';
import { squaredLoss } from '../losses/squared.js';
import { Mlp, type Activation } from '../models/mlp.js';
import { initParams, paramInputs, parameterCount } from '../models/model.js';
import { GradientEnergyProbe } from '../probes/gradient-energy.js';
import { HessianProbe } from '../probes/hessian.js';
import { StructureMatrixProbe, type StructureAlgorithm } from '../probes/structure-matrix.js';
import { ReferenceBackend } from '../reference/backend.js';
import { interpret } from '../reference/interpret.js';
import { learningRate, parseSchedule, type LrSchedule } from '../train/schedule.js';
import { train } from '../train/trainer.js';
import { Rng } from '../util/random.js';
import { runCase, type Expectation, type Tally } from '../testing/fuzz-classify.js';
import { allFinite, firstProblem, jacobiEigenvalues, maxAbs, near } from './oracles.js';

const ACTIVATIONS = ['relu', 'tanh', 'gelu', 'identity'];

/** Mlp options: sizes, activation, sparsity, bias drawn valid and not; a valid model must run. */
export async function fuzzMlp(tally: Tally, seed: number, runs: number): Promise<void> {
  const size = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(0, -1, 1.5, NaN, Infinity, '3', undefined, null) });
  const arb = fc.record({
    sizes: fc.oneof(fc.array(size, { minLength: 0, maxLength: 4 }), fc.constantFrom<unknown>(undefined, null, 'abc')),
    activation: fc.constantFrom<unknown>(undefined, 'relu', 'tanh', 'gelu', 'identity', 'bogus', '', 'RELU', 42),
    sparsity: fc.constantFrom<unknown>(undefined, 0, 0.5, 0.99, 1, -0.1, NaN, '0.5'),
    bias: fc.constantFrom<unknown>(undefined, true, false),
    skip: fc.boolean(), layerNorm: fc.boolean(), seed: fc.integer({ min: 0, max: 1000 }),
  });
  for (const c of fc.sample(arb, { seed, numRuns: runs })) {
    const sizes = c.sizes as number[];
    const sizesOk = Array.isArray(sizes) && sizes.length >= 2 && sizes.every((s) => typeof s === 'number' && Number.isInteger(s) && s >= 1);
    const actOk = c.activation === undefined || ACTIVATIONS.includes(c.activation as string);
    const spOk = c.sparsity === undefined || (typeof c.sparsity === 'number' && c.sparsity >= 0 && c.sparsity < 1);
    // A numeric string ('0.5') for sparsity may be read as the number or refused.
    const expect: Expectation = sizesOk && actOk && spOk ? 'value' : sizesOk && actOk && c.sparsity === '0.5' ? 'either' : 'error';
    await runCase(tally, {
      area: 'mlp', fn: 'new Mlp(options) + forward', args: c, expect, hints: ['sizes', 'activation', 'sparsity', 'mlp'],
      run: () => {
        const model = new Mlp({ sizes, activation: c.activation as Activation, sparsity: c.sparsity as number, bias: c.bias as boolean, skip: c.skip, layerNorm: c.layerNorm });
        const params = initParams(model, new Rng(c.seed));
        const n = 2, g = trace({ x: spec([n, model.inputDim], 'f64') }, ({ x }, b) => ({ y: model.apply(paramInputs(b, model, 'f64'), x) }));
        const x = new Rng(c.seed + 1).normals(n * model.inputDim);
        return { count: parameterCount(model), y: interpret(g, { x, ...params }).y!, out: model.outputDim };
      },
      check: (r) => {
        const expected = sizes.slice(1).reduce((s, out, l) => s + out * sizes[l]! + (c.bias === false ? 0 : out), 0);
        return firstProblem(r.count === expected ? undefined : `parameterCount ${r.count}, expected ${expected}`,
          r.y.length === 2 * r.out ? undefined : `output has ${r.y.length} values, expected ${2 * r.out}`,
          allFinite(r.y) ? undefined : 'non-finite output on ordinary input');
      },
    });
  }
}

/** parseSchedule on random text and rates; a parsed schedule gives finite rates ≥ 0 at every step. */
export async function fuzzSchedule(tally: Tally, seed: number, runs: number): Promise<void> {
  const piece = fc.constantFrom('constant', 'step', 'cosine', 'bogus', '', 'step:every=500,gamma=0.5', 'cosine:warmup=100,min=0', 'step:every=0', 'step:gamma=2',
    'cosine:warmup=-1', 'cosine:min=1e9', 'step:every=1.5', 'cosine:warmup=NaN', 'step:every=', 'cosine:=3', 'step:every=10,gamma=0', 'cosine:warmup=1e12', ':', 'step::', 'cosine:min=-1');
  const arb = fc.record({ text: fc.oneof(piece, fc.string({ maxLength: 20 })), lr: fc.constantFrom(0.05, 1, 1e-9, 0, -1, NaN, Infinity, 1e300), total: fc.integer({ min: 0, max: 50 }) });
  for (const c of fc.sample(arb, { seed, numRuns: runs })) {
    await runCase(tally, {
      area: 'schedule', fn: 'parseSchedule', args: c, expect: Number.isFinite(c.lr) && c.lr > 0 ? 'either' : 'error',
      hints: ['schedule', 'lr', 'every', 'gamma', 'warmup', 'min'],
      run: () => parseSchedule(c.text, c.lr),
      check: (s: LrSchedule) => {
        for (let k = 0; k < Math.max(1, c.total); k++) {
          const r = learningRate(s, k, c.total);
          if (!Number.isFinite(r) || r < 0) return `learning rate at step ${k} of ${c.total} is ${r}`;
        }
        return undefined;
      },
    });
  }
}

const LOSSES: FYLoss[] = [softmaxLoss, sparsemaxLoss, entmax15Loss, squaredLoss, bernoulliLoss];

/**
 * Probes on tiny MLPs (reference backend): gradient energy, structure blocks, NTK (checked
 * against a second algorithm and the Jacobi oracle), extremes and Hessian smoothness, on random,
 * huge (1e200), zero and empty inputs and on bad labels.
 */
export async function fuzzProbes(tally: Tally, seed: number, runs: number): Promise<void> {
  const backend = new ReferenceBackend();
  const arb = fc.record({
    inp: fc.integer({ min: 1, max: 3 }), hid: fc.integer({ min: 1, max: 3 }), out: fc.integer({ min: 1, max: 3 }),
    act: fc.constantFrom<Activation>('relu', 'tanh', 'gelu', 'identity'), n: fc.constantFrom(0, 1, 2, 3),
    scale: fc.constantFrom(1, 1, 1, 0, 1e3, 1e200, NaN), loss: fc.integer({ min: 0, max: LOSSES.length - 1 }),
    labels: fc.constantFrom('valid', 'valid', 'out-of-range', 'float-targets'),
    fn: fc.constantFrom('energy', 'blocks', 'ntk', 'extremes', 'hessian'), alg: fc.constantFrom<StructureAlgorithm>('layerwise-gram', 'ntk-vp', 'jacobian-contraction'),
    seed: fc.integer({ min: 0, max: 1e6 }),
  });
  for (const c of fc.sample(arb, { seed, numRuns: runs })) {
    const model = new Mlp({ sizes: [c.inp, c.hid, c.out], activation: c.act });
    const params = initParams(model, new Rng(c.seed)), rng = new Rng(c.seed + 7);
    const x = rng.normals(c.n * c.inp).map((v) => v * c.scale);
    const loss = LOSSES[c.loss]!, d = c.out;
    const classes = loss.name === 'bernoulli' && d === 1 ? 2 : d;
    const labelsOk = c.labels !== 'out-of-range' || c.n === 0;
    const y = c.labels === 'float-targets' ? Float64Array.from({ length: c.n * d }, (_, k) => (loss.domain === 'real' ? rng.normal() : k % d === 0 ? 1 : 0))
      : Int32Array.from({ length: c.n }, (_, i) => (c.labels === 'out-of-range' && i === 0 ? classes + 1 : rng.int(classes)));
    const needsY = c.fn === 'energy' || c.fn === 'hessian';
    const valid = !Number.isNaN(c.scale) && (!needsY || labelsOk);
    const expect: Expectation = !valid ? 'error' : c.n === 0 ? 'either' : 'value';
    const args = { sizes: [c.inp, c.hid, c.out], act: c.act, n: c.n, scale: c.scale, loss: loss.name, labels: c.labels, alg: c.alg };
    const base = { area: 'probes', args, expect, hints: ['x', 'input', 'label', 'target', 'finite', 'sample', 'rows', 'overflow'], timeoutMs: 10_000 };
    if (c.fn === 'energy') {
      await runCase(tally, {
        ...base, fn: `GradientEnergyProbe.measure(${loss.name})`,
        run: async () => { const p = new GradientEnergyProbe(model, backend, { loss, dtype: 'f64', batchGradient: true }); try { return await p.measure(params, x, y); } finally { await p.dispose(); } },
        // Jensen: ‖mean g_i‖² ≤ mean ‖g_i‖² = E.
        check: (r) => firstProblem(Number.isFinite(r.energy) && r.energy >= 0 ? undefined : `energy ${r.energy}`,
          allFinite(r.perSampleSqNorms) && allFinite(r.residuals) && allFinite(r.losses) ? undefined : 'non-finite per-sample values',
          r.batchGradSqNorm <= r.energy * (1 + 1e-9) + 1e-300 ? undefined : `‖mean g‖² ${r.batchGradSqNorm} > E ${r.energy}`),
      });
    } else if (c.fn === 'hessian') {
      await runCase(tally, {
        ...base, fn: `HessianProbe.extremes(${loss.name})`,
        run: async () => { const p = new HessianProbe(model, backend, { loss, dtype: 'f64' }); try { return await p.extremes(params, x, y, { maxIterations: 30 }); } finally { await p.dispose(); } },
        check: (r) => (Number.isFinite(r.smoothness) && r.largest >= r.smallest && r.smoothness === Math.max(Math.abs(r.largest), Math.abs(r.smallest)) ? undefined : `smoothness ${r.smoothness}, λ ${r.smallest}..${r.largest}`),
      });
    } else {
      await runCase(tally, {
        ...base, fn: `StructureMatrixProbe.${c.fn}(${c.alg})`,
        run: async () => {
          const p = new StructureMatrixProbe(model, backend, { algorithm: c.alg, dtype: 'f64' });
          const q = new StructureMatrixProbe(model, backend, { algorithm: 'jacobian-contraction', dtype: 'f64' });
          try {
            if (c.fn === 'blocks') return { blocks: await p.blocks(params, x) };
            const ntk = await p.ntk(params, x);
            const ref = await q.ntk(params, x);
            return { ntk, ref, extremes: c.fn === 'extremes' ? await p.extremes(params, x) : undefined };
          } finally { await p.dispose(); await q.dispose(); }
        },
        check: (r) => {
          if (r.blocks) {
            const b = r.blocks;
            if (b.data.length !== c.n * d * d) return `blocks have ${b.data.length} values for n = ${c.n}, d = ${d}`;
            if (!allFinite(b.data)) return 'non-finite block entries';
            for (let i = 0; i < c.n; i++) {
              const ev = jacobiEigenvalues(b.data.subarray(i * d * d, (i + 1) * d * d), d);
              if (ev[0]! < -1e-9 * (1 + maxAbs(ev))) return `block ${i} not PSD: λ_min ${ev[0]}`;
            }
            return undefined;
          }
          const { ntk, ref, extremes } = r;
          if (!ntk || !ref) return 'missing ntk';
          const m = c.n * d;
          if (ntk.size !== m || !allFinite(ntk.data)) return `ntk size ${ntk.size} (expected ${m}) or non-finite entries`;
          const scale = 1e-9 * (1 + maxAbs(ref.data));
          for (let k = 0; k < m * m; k++) { const e = near(`Θ[${k}] vs jacobian-contraction`, ntk.data[k]!, ref.data[k]!, scale); if (e) return e; }
          if (extremes) {
            const ev = jacobiEigenvalues(ref.data, m), top = ev[m - 1]!;
            return firstProblem(near('λ_max', extremes.largest, top, 1e-6 * (1 + Math.abs(top))),
              extremes.smallest >= -1e-9 * (1 + top) && extremes.smallest <= extremes.largest ? undefined : `λ_min ${extremes.smallest}`);
          }
          return undefined;
        },
      });
    }
  }
}

/** train() options on tiny in-memory runs: batch, steps, schedule, momentum, decay, dtype, labels. */
export async function fuzzTrainer(tally: Tally, seed: number, runs: number): Promise<void> {
  const backend = new ReferenceBackend();
  // A valid configuration with at most one field replaced by a bad or borderline value, so most
  // runs train and each error can be traced to one option.
  const BAD: Record<string, unknown[]> = {
    batch: [0, -1, 2.5, NaN, 11], steps: [0, -1, 1.5, NaN], lr: [0, -0.1, NaN, Infinity], kind: ['bogus'],
    momentum: [1, -0.1, NaN], weightDecay: [-1, NaN], dtype: ['f16'], labels: ['out-of-range', 'negative'],
  };
  const arb = fc.record({
    n: fc.integer({ min: 1, max: 10 }), batchFrac: fc.double({ min: 0, max: 1, noNaN: true }), steps: fc.integer({ min: 1, max: 3 }),
    lr: fc.constantFrom(0.1, 0.01, 1e-6), kind: fc.constantFrom('constant', 'step', 'cosine'), momentum: fc.constantFrom(undefined, 0, 0.9),
    weightDecay: fc.constantFrom(undefined, 0, 1e-4), dtype: fc.constantFrom('f32', 'f64'), seed: fc.integer({ min: 0, max: 1000 }),
    bad: fc.constantFrom('none', 'none', 'none', ...Object.keys(BAD)), pick: fc.nat(),
  }).map(({ batchFrac, bad, pick, ...r }) => {
    const c: Record<string, unknown> = { ...r, batch: 1 + Math.floor(batchFrac * (r.n - 1)), labels: 'valid' };
    if (bad !== 'none') { const vs = BAD[bad]!; c[bad] = vs[pick % vs.length]; if (bad === 'batch' && c.batch === 11) c.batch = r.n + 1; }
    return { ...c, bad } as { n: number; batch: number; steps: number; lr: number; kind: string; momentum?: number; weightDecay?: number; dtype: string; labels: string; seed: number; bad: string };
  });
  for (const c of fc.sample(arb, { seed, numRuns: runs })) {
    const model = new Mlp({ sizes: [2, 3, 3] }), rng = new Rng(c.seed);
    const labels = Int32Array.from({ length: c.n }, (_, i) => (i === 0 && c.labels === 'out-of-range' ? 3 : i === 0 && c.labels === 'negative' ? -1 : rng.int(3)));
    const schedule = { kind: c.kind, lr: c.lr, every: 1, gamma: 0.5 } as LrSchedule;
    const valid = c.bad === 'none';
    await runCase(tally, {
      area: 'trainer', fn: 'train(options)', args: { ...c, labels: Array.from(labels) }, expect: valid ? 'value' : c.steps === 0 ? 'either' : 'error',
      hints: ['batch', 'steps', 'lr', 'schedule', 'momentum', 'weight', 'decay', 'dtype', 'label', 'class'], timeoutMs: 20_000,
      run: () => train({
        model, backend, train: { x: rng.normals(c.n * 2), labels }, batch: c.batch, steps: c.steps, schedule,
        ...(c.momentum === undefined ? {} : { momentum: c.momentum }), ...(c.weightDecay === undefined ? {} : { weightDecay: c.weightDecay }),
        dtype: c.dtype as 'f32', monitor: false, seed: c.seed,
      }),
      check: (r) => firstProblem(r.status === 'completed' ? undefined : `status ${r.status}`, r.steps === c.steps ? undefined : `ran ${r.steps} steps of ${c.steps}`,
        Object.values(r.params).every(allFinite) ? undefined : 'non-finite parameters', Number.isFinite(r.final.trainLoss) ? undefined : `final train loss ${r.final.trainLoss}`),
    });
  }
}
