import type { HostTensor } from '../backend/contract.js';
import { grad, hvp, jvp } from '../ad/transforms.js';
import { spec, trace } from '../ir/builder.js';
import type { Graph } from '../ir/graph.js';
import { inputName, size } from '../ir/graph.js';
import { oneHot, type Tensor } from '../ir/tensor.js';
import { entmax15Loss } from '../losses/entmax.js';
import type { FYLoss } from '../losses/fenchel-young.js';
import { sparsemaxLoss } from '../losses/sparsemax.js';
import { Rng } from '../util/random.js';
import { draw, host, inp, type ConformanceCase } from './case.js';
import { vjpCase } from './vjp-cases.js';

type F = 'f32' | 'f64';

/** Sizes of the conformance MLP: n samples, d inputs, h hidden units, k classes. Small on purpose. */
export const MLP_SIZES = { n: 4, d: 3, h: 5, k: 3 } as const;

/** Softmax cross-entropy, mean over rows: mean_i (logsumexp(z_i) − z_i[y_i]). */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor): Tensor {
  const k = logits.shape[logits.rank - 1]!;
  return logits.logsumexp(-1).sub(logits.mul(oneHot(labels, k, logits.dtype)).sum(-1)).mean();
}

/**
 * The conformance MLP: logits = tanh(relu(x W1 + b1) W2 + b2) W3 + b3, loss = softmax
 * cross-entropy against integer labels `y`. Outputs `loss` (and `logits` when asked).
 */
export function mlpGraph(dtype: F, options: { logits?: boolean; loss?: boolean } = {}): Graph {
  const { n, d, h, k } = MLP_SIZES;
  return trace({
    x: spec([n, d], dtype), y: spec([n], 'i32'),
    w1: spec([d, h], dtype), b1: spec([h], dtype), w2: spec([h, h], dtype), b2: spec([h], dtype), w3: spec([h, k], dtype), b3: spec([k], dtype),
  }, ({ x, y, w1, b1, w2, b2, w3, b3 }) => {
    const h1 = x!.matmul(w1!).add(b1!).relu();
    const h2 = h1.matmul(w2!).add(b2!).tanh();
    const logits = h2.matmul(w3!).add(b3!);
    const out: Record<string, Tensor> = {};
    if (options.loss ?? true) out.loss = softmaxCrossEntropy(logits, y!);
    if (options.logits) out.logits = logits;
    return out;
  });
}

const WEIGHTS = ['w1', 'b1', 'w2', 'b2', 'w3', 'b3'] as const;

/**
 * Seeded inputs for any graph derived from `mlpGraph`: labels in [0, k), weights N(0, 0.8²),
 * everything else (data, cotangents, tangents, vectors) N(0, 1).
 */
export function mlpInputs(graph: Graph, rng: Rng): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const id of graph.inputs) {
    const n = graph.nodes[id]!, name = inputName(graph, id), m = size(n.shape);
    const values = name === 'y' ? draw(rng, `index:${MLP_SIZES.k}`, m)
      : (WEIGHTS as readonly string[]).includes(name) ? draw(rng, 'normal', m).map((v) => 0.8 * v)
      : draw(rng, 'normal', m);
    out[name] = host(n.shape, n.dtype, values);
  }
  return out;
}

/**
 * A small conv net in the shape of the papers' models, for second-order checks: conv 3×3 (pad 1)
 * + bias → relu → max pool 2×2 → conv 2×2 stride 2 → tanh → global average pool → dense →
 * softmax cross-entropy. Inputs x [2, 1, 6, 6], labels y [2], weights w1 [3, 1, 3, 3], b1 [1, 3, 1, 1],
 * w2 [4, 3, 2, 2], w3 [4, 3].
 */
export function convNetGraph(dtype: F): Graph {
  return trace({ x: spec([2, 1, 6, 6], dtype), y: spec([2], 'i32'), w1: spec([3, 1, 3, 3], dtype), b1: spec([1, 3, 1, 1], dtype), w2: spec([4, 3, 2, 2], dtype), w3: spec([4, 3], dtype) },
    ({ x, y, w1, b1, w2, w3 }) => {
      const h = x!.conv2d(w1!, { pads: [1, 1, 1, 1] }).add(b1!).relu().maxPool2d([2, 2]);
      const z = h.conv2d(w2!, { strides: [2, 2] }).tanh().globalAvgPool().matmul(w3!);
      return { loss: softmaxCrossEntropy(z, y!) };
    });
}
/** Input names of the weights of {@link convNetGraph}: w1, b1, w2, w3. */
export const CONV_NET_WEIGHTS = ['w1', 'b1', 'w2', 'w3'] as const;

/**
 * Seeded inputs for graphs derived from `convNetGraph`: labels in [0, 3), weights N(0, 0.5²) (about
 * He scale for these fan-ins, so tanh is not saturated and second derivatives stay well
 * conditioned), everything else (images, cotangents, vectors) N(0, 1).
 */
export function convNetInputs(graph: Graph, rng: Rng): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const id of graph.inputs) {
    const n = graph.nodes[id]!, name = inputName(graph, id), m = size(n.shape);
    const values = name === 'y' ? draw(rng, 'index:3', m) : (CONV_NET_WEIGHTS as readonly string[]).includes(name) ? draw(rng, 'normal', m).map((v) => 0.5 * v) : draw(rng, 'normal', m);
    out[name] = host(n.shape, n.dtype, values);
  }
  return out;
}

/** Poolings (composites of conv2d, slices, reshapes and reductions) with their VJPs, and a conv net's HVP. */
function convCompositeCases(rng: Rng, f: F): ConformanceCase[] {
  const p = (name: string, fn: (x: Tensor) => Tensor, shape = [2, 3, 7, 6]) => vjpCase(rng, `composite/${name}`, undefined, 'composite', { x: inp(shape, f) }, ({ x }) => ({ y: fn(x!) }));
  const hv = hvp(convNetGraph(f), { wrt: [...CONV_NET_WEIGHTS] });
  return [
    p('avgPool2d/tiles', (x) => x.avgPool2d([2, 3])),
    p('avgPool2d/3x3-s2-pad1', (x) => x.avgPool2d([3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] })),
    p('avgPool2d/overlap', (x) => x.avgPool2d([3, 2], { strides: [1, 1] })),
    p('maxPool2d/tiles', (x) => x.maxPool2d([2, 2])),
    p('maxPool2d/3x3-s2-pad1', (x) => x.maxPool2d([3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] })),
    p('maxPool2d/asym', (x) => x.maxPool2d([2, 3], { strides: [1, 2], pads: [0, 1, 1, 0] })),
    p('globalAvgPool', (x) => x.globalAvgPool()),
    p('maxPool2d/zero-size-batch', (x) => x.maxPool2d([3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }), [0, 2, 5, 5]),
    { name: 'composite/convnet-hvp', kind: 'composite', graph: hv, inputs: convNetInputs(hv, rng) },
  ];
}

/** Composed graphs: the MLP forward, its loss gradient, a JVP and a Hessian–vector product, softmax cross-entropy. */
export function compositeCases(dtype: F): ConformanceCase[] {
  const rng = new Rng(dtype === 'f32' ? 5 : 6);
  const c = (name: string, graph: Graph): ConformanceCase => ({ name, kind: 'composite', graph, inputs: mlpInputs(graph, rng) });
  const wrt = [...WEIGHTS];
  const xent = trace({ z: spec([4, 5], dtype), y: spec([4], 'i32') }, ({ z, y }) => ({ loss: softmaxCrossEntropy(z!, y!), p: z!.softmax(-1) }));
  const xentCase = (name: string, scale: number): ConformanceCase => {
    const g = grad(xent, { of: 'loss', wrt: ['z'] });
    return { name, kind: 'composite', graph: g, inputs: { z: host([4, 5], dtype, draw(rng, 'normal', 20).map((v) => scale * v)), y: host([4], 'i32', draw(rng, 'index:5', 4)) } };
  };
  // An empty batch through the sort-based losses: predictions [0, d], the summed loss 0 and its
  // gradient [0, d]. The sort (TopK) runs on [0, d] here, which once killed ONNX Runtime (SIGFPE).
  const emptyBatch = (name: string, loss: FYLoss): ConformanceCase => {
    const g = trace({ z: spec([0, 4], dtype), y: spec([0], 'i32') }, ({ z, y }) => ({ loss: loss.ir.loss(z!, y!).sum(), p: loss.ir.predict(z!) }));
    return { name, kind: 'composite', graph: grad(g, { of: 'loss', wrt: ['z'] }), inputs: { z: host([0, 4], dtype, []), y: host([0], 'i32', []) } };
  };
  return [
    emptyBatch('composite/sparsemax-empty-batch', sparsemaxLoss),
    emptyBatch('composite/entmax15-empty-batch', entmax15Loss),
    c('composite/mlp-forward', mlpGraph(dtype, { logits: true })),
    c('composite/mlp-loss-grad', grad(mlpGraph(dtype), { wrt })),
    c('composite/mlp-jvp', jvp(mlpGraph(dtype, { logits: true, loss: false }), { wrt })),
    c('composite/mlp-hvp', hvp(mlpGraph(dtype), { wrt })),
    xentCase('composite/softmax-xent-grad', 2),
    // Logits of size ~100 overflow exp in float32 unless logsumexp is max-shifted (it is).
    xentCase('composite/softmax-xent-large-logits', 60),
    ...convCompositeCases(rng, dtype),
  ];
}
