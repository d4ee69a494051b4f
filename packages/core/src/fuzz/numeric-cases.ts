import fc from 'fast-check';
import { binaryKl, klInverseLower, klInverseUpper } from '../bounds/kl-inverse.js';
import { hoeffdingBound, hoeffdingRadius, mcAllesterBound, pacBayesKlBound } from '../bounds/classical.js';
import { maxLossEmpirical, maxLossSoftmax, maxLossSquared } from '../bounds/max-loss.js';
import { crossEntropyRiskBoundsAggregate, curvatureRiskBounds, mseRiskBounds, precursorLogBounds, residualBounds } from '../bounds/trainability.js';
import { deterministicGeneralizationRange } from '../bounds/generalization.js';
import { riskFloor } from '../bounds/risk-floor.js';
import { lanczos } from '../estimators/lanczos.js';
import { lobpcg } from '../estimators/lobpcg.js';
import { symmetricEigen } from '../estimators/symmetric-eigen.js';
import { softmaxLoss } from '../losses/softmax.js';
import { summarizeBlocks } from '../probes/structure-summary.js';
import { runCase, type Expectation, type Tally } from '../testing/fuzz-classify.js';
import { firstProblem, jacobiEigenvalues, maxAbs, near, sum } from './oracles.js';

/** A scalar argument: ordinary, degenerate or invalid. */
const num = fc.oneof(
  { weight: 5, arbitrary: fc.double({ min: 0, max: 10, noNaN: true }) },
  { weight: 3, arbitrary: fc.constantFrom(0, 1, 0.5, 1e-300, 1e300, 2, 100, 0.05) },
  { weight: 2, arbitrary: fc.constantFrom(-1, -1e-9, NaN, Infinity, -Infinity) },
);

type Interval = { lower: number; upper: number };
const ordered = (i: Interval) =>
  Number.isNaN(i.lower) || Number.isNaN(i.upper) ? `interval has NaN: [${i.lower}, ${i.upper}]`
    : i.lower > i.upper * (1 + 1e-12) + 1e-300 ? `interval reversed: [${i.lower}, ${i.upper}]`
      : i.lower < 0 ? `lower end ${i.lower} < 0` : undefined;
const nonNeg = (what: string) => (v: number) => (Number.isNaN(v) ? `${what} is NaN` : v < 0 ? `${what} = ${v} < 0` : undefined);

/**
 * Every bounds function with random, degenerate and invalid scalars. A NaN argument must be
 * refused; otherwise ±∞ is allowed where the bound is vacuous (λ_min = 0, δ → 0), NaN never,
 * and intervals are ordered and ≥ 0.
 */
export async function fuzzBounds(tally: Tally, seed: number, runs: number): Promise<void> {
  const arb = fc.record({ f: fc.integer({ min: 0, max: 15 }), a: num, b: num, c: num, e: num, n: fc.oneof(fc.integer({ min: -2, max: 50 }), fc.constantFrom(NaN, 0.5, 1e9)) });
  for (const c of fc.sample(arb, { seed, numRuns: runs })) {
    const { a, b, e, n } = c;
    // Which of (a, b, c, e, n) each function reads: a NaN in one of those must be refused.
    const USES: Record<number, string> = { 0: 'abc', 1: 'abc', 2: 'abce', 3: 'abce', 4: 'abc', 5: 'bn', 6: 'abn', 7: 'aben', 8: 'aben', 9: 'ab', 10: 'ac', 11: 'an', 12: 'abn', 13: 'abc', 14: 'abce' };
    const vals: Record<string, number> = { a, b, c: c.c, e, n };
    const expect: Expectation = [...(USES[c.f] ?? '')].some((k) => Number.isNaN(vals[k])) ? 'error' : 'either';
    const call = (fn: string, run: () => unknown, check: (v: never) => string | undefined, hints: string[] = []) =>
      runCase(tally, { area: 'bounds', fn, args: { a, b, c: c.c, e, n }, expect, hints: ['λ', 'δ', 'delta', 'energy', 'n', 'd', 'q', 'p', 'c', ...hints], run, check: check as (v: unknown) => string | undefined });
    const spectrum = { energy: a, lambdaMin: Math.min(b, c.c), lambdaMax: Math.max(b, c.c) };
    switch (c.f) {
      case 0: await call('residualBounds', () => residualBounds(spectrum), ordered); break;
      case 1: await call('mseRiskBounds', () => mseRiskBounds({ energy: a, lambdaMin: b, lambdaMax: c.c }), ordered); break;
      case 2: await call('curvatureRiskBounds', () => curvatureRiskBounds(spectrum, { mu: e, beta: e * 2 }), ordered); break;
      case 3: await call('crossEntropyRiskBoundsAggregate', () => crossEntropyRiskBoundsAggregate({ ...spectrum, pMin: e / 10 }), ordered); break;
      case 4: await call('precursorLogBounds', () => precursorLogBounds(a, spectrum.lambdaMin, spectrum.lambdaMax), (r: { U: number; L: number; F: number }) =>
        [r.U, r.L, r.F].some(Number.isNaN) ? `NaN in ${JSON.stringify(r)}` : r.L > r.U ? `L ${r.L} > U ${r.U}` : undefined); break;
      case 5: await call('hoeffdingRadius', () => hoeffdingRadius({ n, delta: b / 10 }), nonNeg('radius')); break;
      case 6: await call('hoeffdingBound', () => hoeffdingBound({ n, delta: b / 10, empiricalRisk: a / 10 }), (i: Interval) => ordered(i)); break;
      case 7: await call('pacBayesKlBound', () => pacBayesKlBound({ n, delta: b / 10, empiricalRisk: a / 10, kl: e }), (i: Interval) =>
        ordered(i) ?? (i.upper > 1 + 1e-12 ? `upper ${i.upper} > ℓ_max = 1` : undefined)); break;
      case 8: await call('mcAllesterBound', () => mcAllesterBound({ n, delta: b / 10, empiricalRisk: a / 10, kl: e }), nonNeg('bound')); break;
      case 9: await call('binaryKl', () => binaryKl(a / 10, b / 10), nonNeg('kl')); break;
      case 10: {
        const q = a / 10, cc = c.c;
        await call('klInverseUpper', () => klInverseUpper(q, cc), (p: number) =>
          Number.isNaN(p) ? 'NaN' : p < q - 1e-12 || p > 1 ? `p = ${p} outside [q, 1]` : cc < 1e300 && p < 1 && binaryKl(q, p) > cc * (1 + 1e-9) + 1e-12 ? `kl(q‖p) = ${binaryKl(q, p)} > c = ${cc}` : undefined);
        await call('klInverseLower', () => klInverseLower(q, cc), (p: number) =>
          Number.isNaN(p) ? 'NaN' : p > q + 1e-12 || p < 0 ? `p = ${p} outside [0, q]` : undefined);
        break;
      }
      case 11: await call('maxLossSoftmax', () => maxLossSoftmax(n, a), (v: number) => (Number.isNaN(v) ? 'NaN' : v < Math.log(Math.max(n, 1)) - 1e-12 ? `max loss ${v} < log d` : undefined)); break;
      case 12: await call('maxLossSquared', () => maxLossSquared(n, a, b), nonNeg('max loss')); break;
      case 13: {
        const losses = [a, b, c.c].slice(0, Number.isFinite(n) ? Math.max(0, n % 4) : 3);
        await runCase(tally, { area: 'bounds', fn: 'maxLossEmpirical', args: losses, expect: losses.some(Number.isNaN) ? 'error' : 'either', hints: ['loss'], run: () => maxLossEmpirical(losses), check: nonNeg('max loss') });
        break;
      }
      case 14: await call('deterministicGeneralizationRange', () => deterministicGeneralizationRange({ conditionalEntropy: a, informationLoss: b, ellMax: c.c, empiricalRisk: e }),
        (r: { risk: Interval; gap: Interval }) => (Number.isNaN(r.risk.lower) || Number.isNaN(r.risk.upper) ? 'NaN risk' : r.risk.lower > r.risk.upper ? 'risk interval reversed' : undefined)); break;
      default: {
        // riskFloor on a tiny table: rows of 1 feature with duplicates; labels valid or out of range.
        const rows = Math.max(0, Math.min(8, Math.floor(Math.abs(n) % 9)));
        const x = Float64Array.from({ length: rows }, (_, i) => (i % 3) * (Number.isFinite(a) ? a : 1));
        const labels = Int32Array.from({ length: rows }, (_, i) => (i * 7 + Math.floor(Number.isFinite(b) ? b : 0)) % 3);
        await runCase(tally, {
          area: 'bounds', fn: 'riskFloor(softmax)', args: { x, labels }, expect: rows === 0 ? 'either' : 'value', hints: ['label', 'rows', 'sample'],
          run: () => riskFloor(softmaxLoss, { data: x, dim: 1 }, labels),
          check: (r) => (Number.isFinite(r.value) && r.value >= -1e-12 && r.value <= Math.log(3) + 1e-12 ? undefined : `floor ${r.value} outside [0, log 3]`),
        });
      }
    }
  }
}

/** A random symmetric matrix of size 0..7: random, diagonal, rank one, a multiple of I, huge or tiny entries. */
const matrixArb = fc.record({
  n: fc.integer({ min: 0, max: 7 }), kind: fc.constantFrom('random', 'random', 'diagonal', 'rank1', 'identity', 'zero'),
  scale: fc.constantFrom(1, 1, 1e-150, 1e100, 1e-8, 1e8), vals: fc.array(fc.double({ min: -1, max: 1, noNaN: true }).map((v) => (Math.abs(v) < 1e-6 ? 0 : v)), { minLength: 49, maxLength: 49 }),
  poison: fc.constantFrom('none', 'none', 'none', 'none', 'none', 'nan', 'asymmetric', 'wrong-length'),
});
function buildMatrix(m: { n: number; kind: string; scale: number; vals: number[] }): Float64Array {
  const { n, vals } = m, a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
    let v = 0;
    if (m.kind === 'random') v = vals[i * 7 + j]!;
    else if (m.kind === 'diagonal') v = i === j ? vals[i]! : 0;
    else if (m.kind === 'rank1') v = vals[i]! * vals[j]!;
    else if (m.kind === 'identity') v = i === j ? vals[0]! : 0;
    a[i * n + j] = a[j * n + i] = v * m.scale;
  }
  return a;
}

/**
 * symmetricEigen, Lanczos, LOBPCG and summarizeBlocks on random symmetric matrices, against the
 * Jacobi oracle: every eigenvalue (dense), the extremes (iterative), within ~1e-8·max|a_ij|.
 */
export async function fuzzEstimators(tally: Tally, seed: number, runs: number): Promise<void> {
  const arb = fc.record({ m: matrixArb, fn: fc.constantFrom('symmetricEigen', 'lanczos', 'lobpcg-smallest', 'lobpcg-largest', 'summarizeBlocks'), it: fc.constantFrom(undefined, 1, 3, 50) });
  for (const c of fc.sample(arb, { seed, numRuns: runs })) {
    const { m, fn } = c, n = m.n;
    let data = buildMatrix(m);
    if (m.poison === 'nan' && n > 0) data[0] = NaN;
    if (m.poison === 'asymmetric' && n > 1) data[1] = data[1]! + 1 + 2 * maxAbs(data);
    if (m.poison === 'wrong-length') data = new Float64Array(n * n + 1);
    const poisoned = (m.poison === 'nan' && n > 0) || (m.poison === 'asymmetric' && n > 1) || m.poison === 'wrong-length';
    const oracle = poisoned ? new Float64Array(0) : jacobiEigenvalues(data, n);
    const amax = maxAbs(data), tol = 1e-8 * amax + 1e-300;
    const expect: Expectation = poisoned ? 'error' : n === 0 ? 'either' : 'value';
    const base = { area: 'estimators', args: { n, kind: m.kind, scale: m.scale, poison: m.poison, it: c.it }, expect, hints: ['matrix', 'size', 'symmetric', 'finite', 'entry', 'operator'], timeoutMs: 5000 };
    if (fn === 'symmetricEigen') {
      await runCase(tally, {
        ...base, fn, run: () => symmetricEigen({ size: n, data }),
        check: (r) => {
          if (r.values.length !== n) return `${r.values.length} eigenvalues for n = ${n}`;
          for (let i = 0; i < n; i++) { const e = near(`λ_${i}`, r.values[i]!, oracle[i]!, tol * n); if (e) return e; }
          return near('Σλ vs trace', sum(r.values), sum(Array.from({ length: n }, (_, i) => data[i * n + i]!)), tol * n * n);
        },
      });
    } else if (fn === 'lanczos') {
      await runCase(tally, {
        ...base, fn, run: () => lanczos({ size: n, data }, c.it === undefined ? {} : { maxIterations: c.it }),
        check: (r) => {
          // With a full Krylov space (maxIterations ≥ n) the extremes are exact up to round-off; a
          // truncated run must still bracket inside the spectrum (Ritz values interlace).
          const full = c.it === undefined || c.it >= n;
          const lo = oracle[0]!, hi = oracle[n - 1]!;
          if (Number.isNaN(r.largest) || Number.isNaN(r.smallest)) return `NaN extremes ${r.smallest}, ${r.largest}`;
          if (full) return firstProblem(near('largest', r.largest, hi, tol * n * 10), near('smallest', r.smallest, lo, tol * n * 10));
          return r.largest > hi + tol * n * 10 || r.smallest < lo - tol * n * 10 ? `Ritz values [${r.smallest}, ${r.largest}] outside the spectrum [${lo}, ${hi}]` : undefined;
        },
      });
    } else if (fn === 'lobpcg-smallest' || fn === 'lobpcg-largest') {
      const which = fn === 'lobpcg-smallest' ? 'smallest' : 'largest';
      await runCase(tally, {
        ...base, fn, run: () => lobpcg({ size: n, data }, { which, ...(c.it === undefined ? {} : { maxIterations: c.it }) }),
        check: (r) => {
          if (r.values.length < 1) return 'no values';
          const v = r.values[0]!, want = which === 'smallest' ? oracle[0]! : oracle[n - 1]!;
          if (Number.isNaN(v)) return 'NaN eigenvalue';
          if (r.converged) return near(`${which} (converged)`, v, want, 1e-6 * amax * n + 1e-300);
          // Unconverged: a Rayleigh quotient, so inside the spectrum.
          return v < oracle[0]! - tol * n * 10 || v > oracle[n - 1]! + tol * n * 10 ? `unconverged value ${v} outside the spectrum` : undefined;
        },
      });
    } else {
      // summarizeBlocks: one d×d block per sample; n samples of the same matrix here.
      const samples = c.it === undefined ? 0 : c.it % 4;
      const blocks = new Float64Array(samples * n * n);
      const src = m.poison === 'wrong-length' || m.poison === 'asymmetric' ? buildMatrix(m) : data;
      for (let i = 0; i < samples; i++) blocks.set(src.subarray(0, n * n), i * n * n);
      const nan = m.poison === 'nan' && n > 0 && samples > 0;
      await runCase(tally, {
        ...base, fn, args: { ...base.args, samples }, expect: nan ? 'error' : samples === 0 || n === 0 ? 'either' : 'value',
        run: () => summarizeBlocks({ n: samples, d: n, data: blocks }),
        check: (s) => {
          const bad = Object.entries(s).find(([, v]) => typeof v === 'number' && Number.isNaN(v));
          return bad ? `${bad[0]} is NaN` : undefined;
        },
      });
    }
  }
}
