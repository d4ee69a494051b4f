import { GraphBuilder } from '../ir/builder.js';
import type { DType } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { oneHot } from '../ir/tensor.js';
import { paramInputs, type Model } from '../models/model.js';
import { softmaxCrossEntropy } from './sgd-step.js';

/**
 * Forward-only evaluation of a fixed-size chunk: inputs every parameter, `x` [chunk, in],
 * `y` i32 [chunk] and `w` [chunk] row weights (1 for real rows, 0 for the zero padding of the last
 * chunk, so one compiled graph serves any data-set size). Outputs `lossSum` = Σ_i w_i ℓ_i and
 * `correct` = Σ_i w_i [argmax η_i = y_i] (ties count as hits, as in the step graph).
 *
 * Cost: one forward pass of the chunk.
 */
export function evalGraph(model: Model, chunk: number, dtype: DType, loss: (logits: Tensor, targets: Tensor) => Tensor = softmaxCrossEntropy): Graph {
  const b = new GraphBuilder();
  const params = paramInputs(b, model, dtype);
  const x = b.input('x', [chunk, model.inputDim], dtype);
  const y = b.input('y', [chunk], 'i32');
  const w = b.input('w', [chunk], dtype);
  const logits = model.apply(params, x);
  const t = oneHot(y, model.outputDim, dtype);
  const hit = logits.mul(t).sum(-1).greaterEqual(logits.max(-1)).cast(dtype);
  return b.build({ lossSum: loss(logits, t).mul(w).sum(), correct: hit.mul(w).sum() });
}
