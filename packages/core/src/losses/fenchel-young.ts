import type { Tensor } from '../ir/tensor.js';
import { asVector, irLogits, irTargets, checkLogits, checkSameLength, validateTargetsIn, LossInputError, SIMPLEX_TOL } from './validate.js';

/** Target domain: 'simplex' (probability vectors), 'binary' ([0,1]^d), 'real', 'nonnegative'. */
export type TargetDomain = 'simplex' | 'binary' | 'real' | 'nonnegative';

/**
 * A Fenchel–Young loss L_Ω(η; y) = Ω(y) + Ω*(η) − ⟨η, y⟩ (docs/theory.md §2), given twice: as IR
 * composites (run and differentiate on any backend) and as float64 host functions (the oracle,
 * and what the bounds use). Rows are samples; the last axis is the d outputs.
 *
 * @see docs/theory.md §1.3 (conjugate pair, prediction map), §2.1–2.2, §7 rows 1–5 and 17.
 */
export interface FYLoss {
  /** Identifier used on the CLI and in reports: 'softmax', 'sparsemax', 'entmax-1.5', 'squared', ... */
  readonly name: string;
  /** Target domain: 'simplex' (probability vectors), 'binary' ([0,1]^d), 'real', 'nonnegative'. */
  readonly domain: TargetDomain;
  /**
   * True when the IR loss has the right second derivative in η (almost everywhere), so `hvp` and
   * JVP-of-gradient graphs (structure/curvature probes) are meaningful. True for every built-in loss.
   */
  readonly supportsHessian: boolean;
  /** IR composites over a batch: eta, y are [n, d]; per-sample results are [n]. */
  readonly ir: {
    /** Prediction map ŷ = ∇Ω*(η), [n, d]. */
    predict(eta: Tensor): Tensor;
    /**
     * Per-sample loss, [n]. Its gradient in η is ŷ − y. `y` is a float [n, d] target, or [n]
     * integer class labels (one-hot encoded inside; for a d = 1 Bernoulli head, 0/1 labels).
     */
    loss(eta: Tensor, y: Tensor): Tensor;
    /** Ω*(η), [n]. */
    conjugate(eta: Tensor): Tensor;
    /** Ω(μ), [n] (μ assumed in the domain: the IR cannot check values at trace time). */
    regularizer(mu: Tensor): Tensor;
    /** The residual r = ŷ − y, [n, d] (= ∇_η loss, without running autodiff). */
    residual(eta: Tensor, y: Tensor): Tensor;
  };
  /** float64 host functions on one sample (length-d arrays). They throw `LossInputError` on bad input. */
  readonly host: {
    predict(eta: Float64Array): Float64Array;
    loss(eta: Float64Array, y: Float64Array): number;
    /** ∇_η L = ŷ(η) − y. */
    grad(eta: Float64Array, y: Float64Array): Float64Array;
    conjugate(eta: Float64Array): number;
    /** Ω(μ); +∞ where μ is outside dom Ω (e.g. off the simplex), as the math says. */
    regularizer(mu: Float64Array): number;
    /**
     * Generalized entropy = Bayes risk: H_Ω(p) = min_η E_{T~p} L_Ω(η; T) = E_p Ω(T) − Ω(E_p T), where T
     * is one-hot with class probabilities p (every loss except Bernoulli; p must be on the simplex),
     * or for Bernoulli any {0,1}^d label with marginals p ∈ [0,1]^d (the value depends only on them).
     * For FY losses on the simplex this is the H_Ω of spec §2.1 (Shannon, Gini, Tsallis); it is 0 at a
     * one-hot, so sums of it over groups give the empirical-risk floor of spec §4.
     */
    entropy(p: Float64Array): number;
    /**
     * Bayes risk of arbitrary targets (Jensen gap): (Σ w_i Ω(y_i))/Σw − Ω(ȳ) with ȳ the weighted
     * mean. Equals min_η (Σ w_i L(η; y_i))/Σw when ȳ is in the range of the prediction map (the
     * infimum otherwise). Use it for real-valued or count targets, where `entropy(p)` has no meaning.
     */
    bayesRisk(targets: readonly Float64Array[], weights?: ArrayLike<number>): number;
    /** Throw a `LossInputError` unless y (one sample, or n rows of length d) is in the domain. */
    validateTargets(y: ArrayLike<number>, d?: number): void;
    /** Row-major batch [n·d] → predictions [n·d]. */
    predictMany(eta: Float64Array, d: number): Float64Array;
    /** Row-major batch [n·d] → per-sample losses [n]. */
    lossMany(eta: Float64Array, y: Float64Array, d: number): Float64Array;
  };
}

/** What a concrete loss supplies; `makeFYLoss` adds validation and the generic helpers. */
export interface FYLossParts {
  readonly name: string;
  readonly domain: TargetDomain;
  /** Domain of `entropy(p)`'s argument: the simplex of class probabilities, or [0,1]^d marginals. */
  readonly entropyDomain: 'simplex' | 'binary';
  /** Bernoulli with d = 1 takes 0/1 labels directly instead of one-hot class indices. */
  readonly binaryLabels?: boolean;
  readonly ir: {
    predict(eta: Tensor): Tensor;
    /** Loss on a validated float [n, d] target. */
    loss(eta: Tensor, y: Tensor): Tensor;
    conjugate(eta: Tensor): Tensor;
    regularizer(mu: Tensor): Tensor;
  };
  readonly host: {
    predict(eta: Float64Array): Float64Array;
    /** Loss on validated inputs. */
    loss(eta: Float64Array, y: Float64Array): number;
    conjugate(eta: Float64Array): number;
    /** Ω(μ) for μ in the domain. */
    regularizer(mu: Float64Array): number;
    /** Closed-form H_Ω(p) on validated p. */
    entropy(p: Float64Array): number;
  };
}

/** Assemble an `FYLoss` from its parts: input validation, residuals, Bayes risk, batched helpers. */
export function makeFYLoss(parts: FYLossParts): FYLoss {
  const { name, domain } = parts;
  const inDomain = (mu: Float64Array): boolean => {
    try { validateTargetsIn(name, domain, mu); return true; } catch { return false; }
  };
  // Every host entry point converts its arguments with asVector first, so null, undefined or a
  // string gets "<loss>: eta must be a Float64Array ..." instead of a TypeError from inside the loop.
  const host: FYLoss['host'] = {
    predict(eta0) { const eta = asVector(name, 'eta', eta0); checkLogits(name, eta); return parts.host.predict(eta); },
    loss(eta0, y0) {
      const eta = asVector(name, 'eta', eta0), y = asVector(name, 'y', y0);
      checkSameLength(name, eta, y); checkLogits(name, eta); validateTargetsIn(name, domain, y);
      return parts.host.loss(eta, y);
    },
    grad(eta0, y0) {
      const eta = asVector(name, 'eta', eta0), y = asVector(name, 'y', y0);
      checkSameLength(name, eta, y); checkLogits(name, eta); validateTargetsIn(name, domain, y);
      const p = parts.host.predict(eta);
      for (let j = 0; j < p.length; j++) p[j] = p[j]! - y[j]!;
      return p;
    },
    conjugate(eta0) {
      const eta = asVector(name, 'eta', eta0); checkLogits(name, eta);
      // sup over the empty simplex is −∞: a number no caller wants; zero classes is a caller's mistake.
      if (domain === 'simplex' && eta.length === 0) throw new LossInputError(name, 'conjugate needs at least one logit (eta is empty: the simplex over 0 classes has no points)');
      return parts.host.conjugate(eta);
    },
    regularizer(mu0) { const mu = asVector(name, 'mu', mu0); return inDomain(mu) ? parts.host.regularizer(mu) : Infinity; },
    entropy(p0) {
      const p = asVector(`${name} entropy`, 'p', p0);
      validateTargetsIn(`${name} entropy`, parts.entropyDomain, p);
      return parts.host.entropy(p);
    },
    bayesRisk(targets0, weights) {
      if (!Array.isArray(targets0)) throw new LossInputError(name, `bayesRisk takes an array of target vectors, got ${targets0 === null ? 'null' : typeof targets0}`);
      if (targets0.length === 0) throw new LossInputError(name, 'bayesRisk needs at least one target');
      const targets = targets0.map((t, i) => asVector(name, `bayesRisk target ${i}`, t));
      const d = targets[0]!.length;
      if (weights !== undefined && (weights === null || typeof weights.length !== 'number'))
        throw new LossInputError(name, 'bayesRisk weights must be an array of numbers (one per target) or omitted');
      if (weights && weights.length !== targets.length)
        throw new LossInputError(name, `bayesRisk got ${targets.length} targets but ${weights.length} weights`);
      const mean = new Float64Array(d);
      let wsum = 0, omega = 0;
      targets.forEach((t, i) => {
        if (t.length !== d) throw new LossInputError(name, `bayesRisk target ${i} has length ${t.length}, expected ${d}`);
        validateTargetsIn(name, domain, t);
        const w = weights ? weights[i]! : 1;
        if (!(w >= 0) || !Number.isFinite(w)) throw new LossInputError(name, `bayesRisk weight ${i} is ${w}; weights must be finite and ≥ 0`);
        wsum += w;
        omega += w * parts.host.regularizer(t);
        for (let j = 0; j < d; j++) mean[j] += w * t[j]!;
      });
      if (!(wsum > 0)) throw new LossInputError(name, 'bayesRisk weights sum to 0');
      for (let j = 0; j < d; j++) mean[j] /= wsum;
      // Clamp the roundoff of a difference of nearly equal terms: the Jensen gap is ≥ 0.
      return Math.max(0, omega / wsum - parts.host.regularizer(mean));
    },
    validateTargets(y0, d) {
      if (y0 === null || typeof y0 !== 'object' || typeof y0.length !== 'number') asVector(name, 'y', y0);
      validateTargetsIn(name, domain, y0, d ?? y0.length, SIMPLEX_TOL);
    },
    predictMany(eta0, d) {
      const eta = asVector(name, 'eta', eta0);
      const out = new Float64Array(eta.length);
      forRows(name, eta.length, d, (i) => out.set(host.predict(eta.subarray(i * d, (i + 1) * d)), i * d));
      return out;
    },
    lossMany(eta0, y0, d) {
      const eta = asVector(name, 'eta', eta0), y = asVector(name, 'y', y0);
      checkSameLength(name, eta, y);
      checkRows(name, eta.length, d); // before sizing the output: d = 0 gave "Invalid typed array length"
      const out = new Float64Array(eta.length / d);
      forRows(name, eta.length, d, (i) => { out[i] = host.loss(eta.subarray(i * d, (i + 1) * d), y.subarray(i * d, (i + 1) * d)); });
      return out;
    },
  };
  const ir: FYLoss['ir'] = {
    predict(eta) { irLogits(name, eta); return parts.ir.predict(eta); },
    loss(eta, y) { return parts.ir.loss(eta, irTargets(name, eta, y, parts.binaryLabels)); },
    conjugate(eta) { irLogits(name, eta); return parts.ir.conjugate(eta); },
    regularizer(mu) { irLogits(name, mu); return parts.ir.regularizer(mu); },
    residual(eta, y) { return parts.ir.predict(eta).sub(irTargets(name, eta, y, parts.binaryLabels)); },
  };
  return { name, domain, supportsHessian: true, ir, host };
}

function checkRows(name: string, len: number, d: number): void {
  if (!Number.isInteger(d) || d < 1) throw new LossInputError(name, `the output size d must be a positive integer, got ${d}`);
  if (len % d !== 0) throw new LossInputError(name, `batch of ${len} values is not a whole number of rows of d = ${d}`);
}

function forRows(name: string, len: number, d: number, f: (i: number) => void): void {
  checkRows(name, len, d);
  for (let i = 0; i < len / d; i++) f(i);
}
