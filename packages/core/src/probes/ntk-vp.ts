import { gradients } from '../ad/gradients.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { concat } from '../ir/tensor.js';
import type { Model } from '../models/model.js';
import { paramTensors, type FloatDType } from './runtime.js';

/**
 * Graph of m NTK–vector products on a batch of n samples: inputs the parameters, `x` [n, in] and
 * `u` [m, n, d]; output `ntkU` [m, n, d] with ntkU_j = Θ u_j = J (Jᵀ u_j), J the (n·d) × P Jacobian
 * of the whole batch. Matrix-free: Jᵀu is one VJP (parameters are shared, so the batch VJP sums
 * over samples exactly as Jᵀu must), and J v is the transpose of the VJP (a VJP-of-VJP), whose
 * linearisation is built once and reused for every column.
 *
 * Cost per product: one VJP + one JVP ≈ 1 forward + 2 backward + 2 (transposed) backward passes
 * of the batch ≈ 5 forward-pass units of n samples; a forward pass is shared by the m columns.
 */
export function ntkVpGraph(model: Model, n: number, m: number, dtype: FloatDType): Graph {
  const b = new GraphBuilder();
  const params = paramTensors(model, (name, shape) => b.input(name, shape, dtype));
  const x = b.input('x', [n, model.inputDim], dtype);
  const d = model.outputDim;
  const u = b.input('u', [m, n, d], dtype);
  const f = model.apply(params, x);
  const ps = model.params.map((p) => params[p.name]!);
  // Linear map w ↦ Jᵀw with a dummy w; its transpose (differentiate in w) is v ↦ J v.
  const w = b.placeholder([n, d], dtype);
  const jtw = gradients([f], ps, [w]);
  const outs: Tensor[] = [];
  for (let j = 0; j < m; j++) {
    const uj = u.slice([j, 0, 0], [j + 1, n, d]).reshape([n, d]);
    const jtu = gradients([f], ps, [uj]);
    outs.push(gradients(jtw, [w], jtu)[0]!.reshape([1, n, d]));
  }
  return b.build({ ntkU: m === 1 ? outs[0]! : concat(outs, 0) });
}
