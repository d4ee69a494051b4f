import fc from 'fast-check';
import { spec, trace } from '../ir/builder.js';
import type { DType } from '../ir/dtype.js';
import { bernoulliLoss } from '../losses/bernoulli.js';
import { entmaxLoss, entmax15Loss } from '../losses/entmax.js';
import { fyLoss } from '../losses/factory.js';
import type { FYLoss } from '../losses/fenchel-young.js';
import { poissonLoss } from '../losses/poisson.js';
import { softmaxLoss } from '../losses/softmax.js';
import { sparsemaxLoss } from '../losses/sparsemax.js';
import { squaredLoss } from '../losses/squared.js';
import { ReferenceBackend } from '../reference/backend.js';
import type { Executable } from '../backend/contract.js';
import { runCase, type Expectation, type Tally } from '../testing/fuzz-classify.js';
import { firstProblem, maxAbs, near, row, sum } from './oracles.js';

/** Loss choice: the fixed ones, or entmax with α drawn from (1, 1e6] including the hard ends. */
const lossArb = fc.oneof(
  fc.constantFrom<FYLoss>(softmaxLoss, sparsemaxLoss, entmax15Loss, squaredLoss, bernoulliLoss, poissonLoss),
  fc.oneof(fc.double({ min: 1, max: 1e6, noNaN: true }), fc.constantFrom(1, 1 + 1e-6, 1.5, 2, 3, 10, 1000, 1e6)).map((a) => entmaxLoss(a)),
);

/** One logit: ordinary, extreme (up to 1e300 and subnormal), or non-finite (invalid). */
const logit = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: -10, max: 10, noNaN: true }) },
  { weight: 2, arbitrary: fc.constantFrom(0, -0, 1, -1, 1e4, -1e4, 1e150, -1e150, 1e300, -1e300, 5e-324) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) },
);
/** A row of d logits: random, or all tied at one value (ties hit entmax's hard cases). */
const logitRow = (d: number) => fc.oneof(fc.array(logit, { minLength: d, maxLength: d }), logit.map((v) => Array<number>(d).fill(v)));

type TargetKind = 'valid' | 'soft' | 'nan' | 'off-domain' | 'wrong-length' | 'null' | 'undefined';
const targetKind = fc.constantFrom<TargetKind>('valid', 'valid', 'valid', 'soft', 'soft', 'nan', 'off-domain', 'wrong-length', 'null', 'undefined');

/** A target row of length d for `loss` of the given kind (a valid one, or one of the ways to be wrong). */
function target(loss: FYLoss, kind: TargetKind, d: number, u: number[]): Float64Array | null | undefined {
  if (kind === 'null') return null;
  if (kind === 'undefined') return undefined;
  if (kind === 'wrong-length') return new Float64Array(d + 1).fill(1 / (d + 1));
  const t = new Float64Array(d);
  if (d === 0) return t;
  const dom = loss.domain;
  if (kind === 'valid') {
    if (dom === 'simplex') t[Math.floor(u[0]! * d)] = 1;
    else for (let j = 0; j < d; j++) t[j] = dom === 'binary' ? Math.round(u[j]!) : dom === 'nonnegative' ? Math.floor(u[j]! * 5) : (u[j]! - 0.5) * 10;
  } else if (kind === 'soft') {
    for (let j = 0; j < d; j++) t[j] = dom === 'real' ? (u[j]! - 0.5) * 1e3 : u[j]!;
    if (dom === 'simplex') { const s = sum(t); for (let j = 0; j < d; j++) t[j] = s === 0 ? 1 / d : t[j]! / s; }
  } else if (kind === 'nan') t[0] = NaN;
  else if (kind === 'off-domain') {
    if (dom === 'real') t[0] = Infinity;
    else t[0] = -0.5; // negative: outside simplex, [0,1] and the counts
  }
  return t;
}

const EXP_OVERFLOW = 709;
/** Where the exact value overflows float64, +∞ is the correctly rounded answer (documented for Poisson). */
function overflowAllowed(loss: FYLoss, eta: ArrayLike<number>, y?: ArrayLike<number> | null): boolean {
  if (loss.name === 'poisson') return Math.max(...Array.from(eta)) > EXP_OVERFLOW - 20;
  if (loss.name === 'squared') return maxAbs(eta) > 1e150 || (y ? maxAbs(y) > 1e150 : false);
  return false;
}
const notNaNFinite = (what: string, v: number, allowInf: boolean) =>
  Number.isNaN(v) ? `${what} is NaN` : !Number.isFinite(v) && !(allowInf && v === Infinity) ? `${what} is ${v}` : undefined;

/** Oracle for a prediction ŷ(η): in the loss's range, finite (Poisson may overflow to +∞). */
function checkPrediction(loss: FYLoss, eta: Float64Array, p: Float64Array): string | undefined {
  if (p.length !== eta.length) return `prediction has ${p.length} entries for ${eta.length} logits`;
  const inf = overflowAllowed(loss, eta);
  for (let j = 0; j < p.length; j++) { const e = notNaNFinite(`ŷ[${j}]`, p[j]!, inf); if (e) return e; }
  if (loss.domain === 'simplex' && loss.name !== 'squared' && p.length > 0) {
    if (p.some((v) => v < -1e-12)) return `ŷ has a negative entry ${Math.min(...p)}`;
    return near('Σŷ', sum(p), 1, 1e-9 * p.length);
  }
  if (loss.name === 'bernoulli' && p.some((v) => v < 0 || v > 1)) return 'ŷ outside [0, 1]';
  if (loss.name === 'squared') return p.every((v, j) => v === eta[j]) ? undefined : 'ŷ ≠ η';
  return undefined;
}

/** Oracle for a loss value: ≥ 0 up to round-off at the logits' scale, finite unless it overflows. */
function checkLossValue(loss: FYLoss, eta: ArrayLike<number>, y: ArrayLike<number>, l: number, relTol = 1e-12): string | undefined {
  const e = notNaNFinite('loss', l, overflowAllowed(loss, eta, y));
  if (e) return e;
  let scale = 1;
  for (let j = 0; j < eta.length; j++) scale += Math.abs(eta[j]!) * (1 + Math.abs(y[j]!)) + Math.abs(y[j]!) ** 2;
  return l >= -relTol * scale * 10 ? undefined : `loss ${l} < 0 (FY losses are ≥ 0)`;
}

/** Host functions of every loss on one sample, or on a batch (lossMany/predictMany). */
export async function fuzzLossHost(tally: Tally, seed: number, runs: number): Promise<void> {
  const arb = fc.record({
    loss: lossArb, d: fc.integer({ min: 0, max: 6 }), n: fc.integer({ min: 0, max: 3 }),
    fn: fc.constantFrom('predict', 'loss', 'grad', 'conjugate', 'entropy', 'lossMany', 'predictMany', 'nullLogits'),
    kind: targetKind, u: fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { minLength: 8, maxLength: 8 }),
  }).chain((r) => fc.record({ rows: fc.array(logitRow(r.d), { minLength: Math.max(1, r.n), maxLength: Math.max(1, r.n) }) }).map((x) => ({ ...r, ...x })));
  for (const c of fc.sample(arb, { seed, numRuns: runs })) {
    const { loss, d, fn, kind, u } = c;
    const eta = Float64Array.from(c.rows[0]!);
    const finiteEta = eta.every(Number.isFinite);
    const y = target(loss, kind, d, u);
    const yValid = (kind === 'valid' || kind === 'soft') && d > 0;
    const hints = ['logit', 'target', 'label', 'entr', 'length', 'd =', 'row'];
    const base = { area: 'losses-host', fn: `${loss.name}.host.${fn}`, hints, timeoutMs: 2000 };
    if (fn === 'predict' || fn === 'conjugate') {
      const expect: Expectation = !finiteEta ? 'error' : d === 0 ? 'either' : 'value';
      await runCase(tally, {
        ...base, args: { eta }, expect,
        run: () => (fn === 'predict' ? loss.host.predict(eta) : loss.host.conjugate(eta)),
        check: (v) => fn === 'predict' ? checkPrediction(loss, eta, v as Float64Array) : checkConjugate(loss, eta, v as number),
      });
    } else if (fn === 'loss' || fn === 'grad') {
      const expect: Expectation = !finiteEta || !yValid ? 'error' : 'value';
      await runCase(tally, {
        ...base, args: { eta, y }, expect,
        run: () => (fn === 'loss' ? loss.host.loss(eta, y as Float64Array) : loss.host.grad(eta, y as Float64Array)),
        check: (v) => {
          if (fn === 'loss') return checkLossValue(loss, eta, y!, v as number);
          const g = v as Float64Array, p = loss.host.predict(eta);
          const inf = overflowAllowed(loss, eta, y);
          for (let j = 0; j < d; j++) { const e = notNaNFinite(`grad[${j}]`, g[j]!, inf) ?? (Number.isFinite(p[j]!) ? near(`grad[${j}]`, g[j]!, p[j]! - y![j]!, 1e-12 * (1 + Math.abs(y![j]!))) : undefined); if (e) return e; }
          return undefined;
        },
      });
    } else if (fn === 'entropy') {
      // Entropy takes class probabilities (Bernoulli: marginals); the soft/valid targets are those.
      const p = loss.name === 'squared' || loss.name === 'poisson' ? target(softmaxLoss, kind, d, u) : y;
      // entropy(p) has no d to match: a longer probability vector is still valid.
      const pValid = p != null && p.length > 0 && (kind === 'valid' || kind === 'soft' || kind === 'wrong-length');
      await runCase(tally, {
        ...base, args: { p }, expect: pValid ? 'value' : 'error',
        run: () => loss.host.entropy(p as Float64Array),
        check: (h) => notNaNFinite('entropy', h, false) ?? (h >= -1e-12 ? undefined : `entropy ${h} < 0`),
      });
    } else if (fn === 'nullLogits') {
      await runCase(tally, { ...base, args: { eta: null, y }, expect: 'error', run: () => loss.host.loss(null as never, y as Float64Array) });
    } else {
      const n = c.n, all = new Float64Array(n * d), ys = new Float64Array(n * d);
      c.rows.slice(0, n).forEach((r, i) => { all.set(r, i * d); ys.set(target(loss, kind === 'soft' ? 'soft' : 'valid', d, u.map((x) => (x + 0.37 * i) % 1))!, i * d); });
      const finite = all.every(Number.isFinite);
      const expect: Expectation = d === 0 ? 'either' : !finite ? 'error' : 'value';
      await runCase(tally, {
        ...base, args: { eta: all, y: ys, d }, expect,
        run: () => (fn === 'lossMany' ? loss.host.lossMany(all, ys, d) : loss.host.predictMany(all, d)),
        check: (v) => {
          const out = v as Float64Array;
          if (out.length !== (fn === 'lossMany' ? n : n * d)) return `result has ${out.length} entries for ${n} rows of d = ${d}`;
          for (let i = 0; i < n; i++) {
            const e = fn === 'lossMany' ? checkLossValue(loss, row(all, d, i), row(ys, d, i), out[i]!) : checkPrediction(loss, row(all, d, i), row(out, d, i));
            if (e) return `row ${i}: ${e}`;
          }
          return undefined;
        },
      });
    }
  }
}

/** Ω*(η) ≥ max η − Ω(e_k) (take μ = e_k in the sup): Ω(e_k) = 0 except Gini sparsemax (½) and squared/Poisson. */
function checkConjugate(loss: FYLoss, eta: Float64Array, v: number): string | undefined {
  const e = notNaNFinite('Ω*(η)', v, overflowAllowed(loss, eta));
  if (e || eta.length === 0 || loss.domain !== 'simplex') return e;
  const lower = Math.max(...eta) - (loss.name === 'sparsemax' ? 0.5 : 0);
  return v >= lower - 1e-12 * (1 + maxAbs(eta)) * eta.length ? undefined : `Ω*(η) = ${v} < max η − Ω(e_k) = ${lower}`;
}

type LabelKind = 'float-targets' | 'labels' | 'label-out-of-range' | 'label-negative' | 'label-non-integer' | 'label-nan';

/**
 * IR composites on the reference backend (n ≥ 0 rows, f64/f32, float targets or i32 labels,
 * including bad labels), checked row by row against the float64 host functions.
 */
export async function fuzzLossIR(tally: Tally, seed: number, runs: number): Promise<void> {
  const backend = new ReferenceBackend();
  // α from a fixed set (both ends, the exact sort, bisection) so compiled graphs are reused.
  const irLosses = [softmaxLoss, sparsemaxLoss, entmax15Loss, squaredLoss, bernoulliLoss, poissonLoss, ...[1 + 1e-6, 1.2, 3, 10, 1000, 1e6].map((a) => entmaxLoss(a))];
  const cache = new Map<string, Promise<Executable>>();
  const arb = fc.record({
    loss: fc.constantFrom(...irLosses), n: fc.constantFrom(0, 1, 2, 3), d: fc.integer({ min: 1, max: 4 }), dtype: fc.constantFrom<DType>('f64', 'f64', 'f32'),
    labels: fc.constantFrom<LabelKind>('float-targets', 'labels', 'labels', 'label-out-of-range', 'label-negative', 'label-non-integer', 'label-nan'),
    u: fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { minLength: 12, maxLength: 12 }),
    mode: fc.constantFrom('random', 'extreme', 'tied'),
  });
  for (const c of fc.sample(arb, { seed, numRuns: runs })) {
    const { loss, n, d, dtype, u, labels } = c;
    // f32 cannot hold 1e300: extreme logits stay within its range there.
    const big = dtype === 'f32' ? 1e4 : 1e300;
    const eta = Float64Array.from({ length: n * d }, (_, k) =>
      c.mode === 'tied' ? (u[0]! - 0.5) * 8 : c.mode === 'extreme' ? (u[k % 12]! > 0.5 ? big : -big) * (k % 3 === 0 ? 1 : 0.5) : (u[k % 12]! - 0.5) * 10 + k);
    const binaryHead = loss.name === 'bernoulli' && d === 1;
    const classes = binaryHead ? 2 : d;
    // valid: a value is expected; poison: row 0 holds an out-of-range integer label, which a compiled
    // graph cannot refuse, so its documented answer is a NaN loss for that row (never a plausible
    // number like the −1.333 of issue 17); train() and the probes refuse such labels before any run.
    let y: Float64Array | Int32Array, yShape: number[], ydt: DType, valid = true, poison = false;
    if (labels === 'float-targets') {
      y = new Float64Array(n * d); yShape = [n, d]; ydt = dtype;
      for (let i = 0; i < n; i++) y.set(target(loss, u[i]! > 0.5 ? 'soft' : 'valid', d, u.slice(i))!, i * d);
    } else {
      yShape = [n]; ydt = 'i32';
      const lab = Array.from({ length: n }, (_, i) => Math.floor(u[i]! * classes));
      if (labels !== 'labels' && n > 0) {
        poison = labels === 'label-out-of-range' || labels === 'label-negative';
        valid = poison;
        lab[0] = labels === 'label-out-of-range' ? classes + Math.floor(u[5]! * 3) : labels === 'label-negative' ? -1 : labels === 'label-nan' ? NaN : 0.5;
      }
      // Non-integer and NaN labels cannot live in an Int32Array: they reach the backend as float
      // data declared i32, which the contract must refuse.
      y = labels === 'label-non-integer' || labels === 'label-nan' ? Float64Array.from(lab) : Int32Array.from(lab);
    }
    const args = { loss: loss.name, n, d, dtype, labels, mode: c.mode, eta, y };
    await runCase(tally, {
      area: 'losses-ir', fn: `${loss.name}.ir.loss/predict(${labels}, ${dtype})`, args, expect: valid ? 'value' : 'error',
      hints: ['label', 'target', 'class', 'dtype', 'i32', 'shape'], timeoutMs: 5000,
      run: async () => {
        const key = `${loss.name}|${n}|${d}|${dtype}|${yShape}|${ydt}`;
        let exe = cache.get(key);
        if (!exe) {
          exe = backend.compile(trace({ eta: spec([n, d], dtype), y: spec(yShape, ydt) }, ({ eta: e, y: t }) => ({ loss: loss.ir.loss(e, t), predict: loss.ir.predict(e) })));
          cache.set(key, exe);
          exe.catch(() => cache.delete(key));
        }
        const out = await (await exe).run({ eta: { data: dtype === 'f32' ? Float32Array.from(eta) : eta, shape: [n, d], dtype }, y: { data: y, shape: yShape, dtype: ydt } });
        return { loss: await out.loss!.download(), predict: await out.predict!.download() };
      },
      check: (r) => {
        if (r.loss.length !== n || r.predict.length !== n * d) return `shapes: loss ${r.loss.length}, predict ${r.predict.length} for n = ${n}, d = ${d}`;
        const etaR = dtype === 'f32' ? Float64Array.from(Float32Array.from(eta)) : eta;
        const rel = dtype === 'f32' ? 2e-4 : 1e-9;
        for (let i = 0; i < n; i++) {
          if (poison && i === 0) {
            if (!Number.isNaN(r.loss[0]!)) return `row 0 has the invalid label ${y[0]} but its loss is ${r.loss[0]}, not NaN`;
            continue;
          }
          const e = row(etaR, d, i);
          const t = labels === 'float-targets' ? row(y as Float64Array, d, i)
            : binaryHead ? Float64Array.of(y[i]!) : Float64Array.from({ length: d }, (_, j) => (j === y[i] ? 1 : 0));
          const hostL = loss.host.loss(e, t), hostP = loss.host.predict(e);
          const scale = 1 + Math.abs(hostL) + maxAbs(e) * (dtype === 'f32' ? 1 : 1e-3);
          const p = firstProblem(
            checkLossValue(loss, e, t, r.loss[i]!, dtype === 'f32' ? 1e-6 : 1e-12),
            Number.isFinite(hostL) ? near(`row ${i} loss vs host`, r.loss[i]!, hostL, rel * scale) : undefined,
            ...Array.from({ length: d }, (_, j) => (Number.isFinite(hostP[j]!) ? near(`row ${i} ŷ[${j}] vs host`, r.predict[i * d + j]!, hostP[j]!, dtype === 'f32' ? 1e-4 : 1e-8) : undefined)),
          );
          if (p) return p;
        }
        return undefined;
      },
    });
  }
}

/** fyLoss / entmaxLoss with names, α and option objects drawn at random (valid and not). */
export async function fuzzLossFactory(tally: Tally, seed: number, runs: number): Promise<void> {
  const alpha = fc.oneof(fc.double({ min: -2, max: 1e7 }), fc.constantFrom(NaN, Infinity, -Infinity, 0, 1, 0.999, 1.5, 2, 1e6));
  const arb = fc.oneof(
    fc.record({ kind: fc.constant('name' as const), name: fc.oneof(fc.constantFrom('softmax', 'sparsemax', 'entmax-1.5', 'squared', 'bernoulli', 'poisson', 'entmax-', 'entmax-abc', 'entmax-NaN', 'entmax-0.5', 'Softmax', '', 'entmax-1e6', 'entmax-Infinity'), fc.string({ maxLength: 12 })) }),
    fc.record({ kind: fc.constant('alpha' as const), alpha, method: fc.constantFrom(undefined, 'auto', 'bisect', 'exact', '') }),
    fc.record({ kind: fc.constant('value' as const), value: fc.constantFrom(null, undefined, 42, {}, { kind: 'entmax' }, { kind: 'other' }, []) }),
  );
  for (const c of fc.sample(arb, { seed, numRuns: runs })) {
    if (c.kind === 'name') {
      const ok = ['softmax', 'sparsemax', 'entmax-1.5', 'squared', 'bernoulli', 'poisson', 'entmax-1e6'].includes(c.name);
      await runCase(tally, {
        area: 'losses-factory', fn: 'fyLoss(name)', args: c.name, expect: ok ? 'value' : 'either', hints: ['loss'],
        run: () => fyLoss(c.name as never),
        check: (l) => (typeof l.host.loss === 'function' && typeof l.ir.loss === 'function' ? checkUsable(l) : 'not a loss'),
      });
    } else if (c.kind === 'alpha') {
      const a = c.alpha, ok = Number.isFinite(a) && a >= 1 && !(c.method === 'bisect' && a === 1);
      const methodOk = c.method === undefined || c.method === 'auto' || c.method === 'bisect';
      await runCase(tally, {
        area: 'losses-factory', fn: 'entmaxLoss(α, {method})', args: c, expect: ok && methodOk ? 'value' : ok ? 'either' : 'error', hints: ['α', 'alpha', 'method'],
        run: () => entmaxLoss(a, c.method === undefined ? {} : { method: c.method as 'auto' }),
        check: checkUsable,
      });
    } else {
      await runCase(tally, { area: 'losses-factory', fn: 'fyLoss(value)', args: c.value, expect: 'error', hints: ['loss'], run: () => fyLoss(c.value as never) });
    }
  }
}

/** A loss just made must work: L(η; ŷ(η)) ≈ 0 at ordinary logits and ŷ on the simplex. */
function checkUsable(l: FYLoss): string | undefined {
  const eta = Float64Array.of(0.3, -1.2, 2.5);
  const p = l.host.predict(eta);
  return checkPrediction(l, eta, p) ?? near('L(η; ŷ(η))', l.host.loss(eta, p), 0, 1e-7);
}
