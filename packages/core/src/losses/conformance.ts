import { gradients, jvp } from '../ad/gradients.js';
import type { DType } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import { trace, spec } from '../ir/builder.js';
import { Rng } from '../util/random.js';
import { bernoulliLoss } from './bernoulli.js';
import { entmax15Loss, entmaxLoss } from './entmax.js';
import type { FYLoss } from './fenchel-young.js';
import { poissonLoss } from './poisson.js';
import { softmaxLoss } from './softmax.js';
import { sparsemaxLoss } from './sparsemax.js';
import { squaredLoss } from './squared.js';

/** One loss conformance case: run `graph` on `inputs`, compare every output with `expected`. */
export interface LossConformanceCase {
  readonly name: string;
  /** Inputs eta [n, d], y [n, d], v [n, d]; outputs predict [n, d], loss [n], conjugate [n], grad [n, d], hvp [n, d]. */
  readonly graph: Graph;
  readonly inputs: Record<string, Float64Array>;
  /**
   * Float64 values of every output from the host functions (`loss.host.*`) and the closed-form
   * Hessians below — computed without the IR, so a backend is checked against the math itself.
   */
  readonly expected: Record<string, Float64Array>;
}

const N = 4;

/** The losses in the suite, with how to draw their inputs and their Hessian ∇²Ω*(η) = ∂ŷ/∂η. */
function suite(): { loss: FYLoss; d: number; scale: number; targets: 'simplex' | 'binary' | 'real' | 'counts' }[] {
  return [
    { loss: softmaxLoss, d: 6, scale: 3, targets: 'simplex' },
    { loss: sparsemaxLoss, d: 6, scale: 1, targets: 'simplex' },
    { loss: entmax15Loss, d: 6, scale: 2, targets: 'simplex' },
    { loss: entmaxLoss(1.25), d: 6, scale: 2, targets: 'simplex' },
    { loss: entmaxLoss(3), d: 6, scale: 1, targets: 'simplex' },
    { loss: squaredLoss, d: 5, scale: 1, targets: 'real' },
    { loss: bernoulliLoss, d: 5, scale: 3, targets: 'binary' },
    { loss: { ...bernoulliLoss, name: 'bernoulli-binary' }, d: 1, scale: 3, targets: 'binary' },
    { loss: poissonLoss, d: 5, scale: 1, targets: 'counts' },
  ];
}

/**
 * Conformance cases for the Fenchel–Young losses in `dtype`: for each loss a graph computing the
 * prediction map, per-sample loss, conjugate, gradient of Σ loss (= ŷ − y) and a Hessian–vector
 * product, on fixed seeded inputs (softmax-like rows include logits of magnitude 1e3 and a target
 * equal to the prediction, where the loss is 0). Backend packages run each graph and compare with
 * `expected` at their dtype's tolerance.
 */
export function lossConformanceCases(dtype: DType = 'f32'): LossConformanceCase[] {
  if (dtype !== 'f32' && dtype !== 'f64') throw new Error(`lossConformanceCases: dtype must be f32 or f64, got ${dtype}`);
  return suite().map(({ loss, d, scale, targets }, k) => {
    const rng = new Rng(1000 + k);
    const eta = new Float64Array(N * d), y = new Float64Array(N * d), v = new Float64Array(N * d);
    for (let i = 0; i < N * d; i++) { eta[i] = scale * rng.normal(); v[i] = rng.normal(); }
    const big = targets === 'simplex' || targets === 'binary';
    if (big) for (let j = 0; j < d; j++) eta[(N - 1) * d + j] = 1e3 * rng.normal();
    for (let i = 0; i < N; i++) {
      const row = y.subarray(i * d, (i + 1) * d), er = eta.subarray(i * d, (i + 1) * d);
      if (targets === 'simplex') {
        if (i === 0) row[rng.int(d)] = 1; // one-hot
        else if (i === 1) row.set(loss.host.predict(er)); // y = ŷ(η): loss 0
        else { let s = 0; for (let j = 0; j < d; j++) s += (row[j] = rng.uniform() < 0.3 ? 0 : rng.uniform()); if (s === 0) row[0] = s = 1; for (let j = 0; j < d; j++) row[j] = row[j]! / s; }
      } else if (targets === 'binary') for (let j = 0; j < d; j++) row[j] = i % 2 === 0 ? (rng.uniform() < 0.5 ? 0 : 1) : rng.uniform();
      else if (targets === 'counts') for (let j = 0; j < d; j++) row[j] = rng.int(6);
      else for (let j = 0; j < d; j++) row[j] = rng.normal();
    }
    const graph = trace({ eta: spec([N, d], dtype), y: spec([N, d], dtype), v: spec([N, d], dtype) }, ({ eta: e, y: t, v: w }) => {
      const l = loss.ir.loss(e, t);
      const [g] = gradients([l], [e], [l.builder.fill(1, l.shape, l.dtype)]);
      const [hv] = jvp([g!], [e], [w]);
      return { predict: loss.ir.predict(e), loss: l, conjugate: loss.ir.conjugate(e), grad: g!, hvp: hv! };
    });
    const out = { predict: new Float64Array(N * d), loss: new Float64Array(N), conjugate: new Float64Array(N), grad: new Float64Array(N * d), hvp: new Float64Array(N * d) };
    for (let i = 0; i < N; i++) {
      const sl = (a: Float64Array) => a.subarray(i * d, (i + 1) * d);
      out.predict.set(loss.host.predict(sl(eta)), i * d);
      out.loss[i] = loss.host.loss(sl(eta), sl(y));
      out.conjugate[i] = loss.host.conjugate(sl(eta));
      out.grad.set(loss.host.grad(sl(eta), sl(y)), i * d);
      out.hvp.set(hessianVector(loss, sl(eta), sl(v)), i * d);
    }
    return { name: `loss/${loss.name}`, graph, inputs: { eta, y, v }, expected: out };
  });
}

/**
 * ∇²Ω*(η)·v = (∂ŷ/∂η)·v in closed form on the host: diag(ŷ) − ŷŷᵀ (softmax); diag(s) − s sᵀ/Σs with
 * s_j = ŷ_j^{2−α} on the support (entmax; s = support indicator for sparsemax); I (squared);
 * diag(ŷ(1−ŷ)) (Bernoulli); diag(e^η) (Poisson).
 */
export function hessianVector(loss: FYLoss, eta: Float64Array, v: Float64Array): Float64Array {
  const p = loss.host.predict(eta), d = p.length, out = new Float64Array(d);
  const name = loss.name;
  if (name === 'squared') return Float64Array.from(v);
  if (name.startsWith('bernoulli')) { for (let j = 0; j < d; j++) out[j] = p[j]! * (1 - p[j]!) * v[j]!; return out; }
  if (name === 'poisson') { for (let j = 0; j < d; j++) out[j] = p[j]! * v[j]!; return out; }
  const alpha = name === 'softmax' ? 1 : name === 'sparsemax' ? 2 : Number(name.slice('entmax-'.length));
  if (!Number.isFinite(alpha)) throw new Error(`hessianVector: no closed form for loss '${name}'`);
  const s = new Float64Array(d);
  let ss = 0, sv = 0;
  for (let j = 0; j < d; j++) { s[j] = p[j]! > 0 ? Math.pow(p[j]!, 2 - alpha) : 0; ss += s[j]!; sv += s[j]! * v[j]!; }
  for (let j = 0; j < d; j++) out[j] = s[j]! * v[j]! - (s[j]! * sv) / ss;
  return out;
}
