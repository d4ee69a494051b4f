import { gradients } from '../ad/gradients.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { concat } from '../ir/tensor.js';
import type { Model } from '../models/model.js';
import { flattenParams, paramTensors, type FloatDType } from './runtime.js';

/**
 * Per-sample output Jacobians inside a trace: for each of the c rows of `x`, the d × P matrix
 * J_i = ∂f(x_i)/∂θ, as [c, d, P] (parameters flattened in `model.params` order).
 *
 * Row (i, k) is one VJP of the model applied to sample i alone with the one-hot cotangent e_k.
 * Parameters are shared across a batch, so a VJP over the whole batch would sum rows over
 * samples; slicing one sample per forward keeps rows separate, and all c·d VJPs live in one graph
 * that a backend compiles once.
 *
 * Cost: c forward + c·d backward passes of batch size 1 ≈ c·(1 + 2d) forward-pass units.
 */
export function perSampleJacobians(model: Model, params: Record<string, Tensor>, x: Tensor): Tensor {
  const [c, w] = x.shape as [number, number];
  const b = x.builder, d = model.outputDim;
  const ps = model.params.map((p) => params[p.name]!);
  const samples: Tensor[] = [];
  for (let i = 0; i < c; i++) {
    const f = model.apply(params, x.slice([i, 0], [i + 1, w]));
    const rows: Tensor[] = [];
    for (let k = 0; k < d; k++) {
      const e = new Float64Array(d);
      e[k] = 1;
      rows.push(flattenParams(gradients([f], ps, [b.constant(e, [1, d], x.dtype)])).reshape([1, 1, -1]));
    }
    samples.push(d === 1 ? rows[0]! : concat(rows, 1));
  }
  return c === 1 ? samples[0]! : concat(samples, 0);
}

/** What a Jacobian-contraction graph returns. */
export type JacobianMode =
  /** `J` [c, d, P]. */
  | 'jacobian'
  /** `blocks` `[c, d, d]`: A_i = J_i J_iᵀ. */
  | 'blocks'
  /** `K` `[c·d, c·d]`: the NTK of the chunk, J Jᵀ. */
  | 'gram'
  /** `K` `[c·d, c·d]`: J(x) J(x2)ᵀ, an off-diagonal block of the NTK (inputs `x` and `x2`). */
  | 'cross';

/**
 * Graph for the Jacobian-contraction algorithm on a chunk of c samples. Inputs: the parameters
 * by name, `x` [c, inputDim] (and `x2` for 'cross'). J never leaves the device: only the
 * contraction (d×d blocks or the chunk's NTK) is an output, unless mode is 'jacobian'.
 *
 * Cost: c·(1 + 2d) forward-pass units for J (twice for 'cross'), plus the contraction:
 * c·d²·P flops ('blocks') or (c·d)²·P flops ('gram'/'cross').
 */
export function jacobianContractionGraph(model: Model, c: number, dtype: FloatDType, mode: JacobianMode): Graph {
  const b = new GraphBuilder();
  const params = paramTensors(model, (name, shape) => b.input(name, shape, dtype));
  const x = b.input('x', [c, model.inputDim], dtype);
  const J = perSampleJacobians(model, params, x);
  const d = model.outputDim, P = J.shape[2]!;
  switch (mode) {
    case 'jacobian':
      return b.build({ J });
    case 'blocks':
      return b.build({ blocks: J.matmul(J.T) });
    case 'gram': {
      const Jf = J.reshape([c * d, P]);
      return b.build({ K: Jf.matmul(Jf.T) });
    }
    case 'cross': {
      const x2 = b.input('x2', [c, model.inputDim], dtype);
      const J2 = perSampleJacobians(model, params, x2).reshape([c * d, P]);
      return b.build({ K: J.reshape([c * d, P]).matmul(J2.T) });
    }
  }
}
