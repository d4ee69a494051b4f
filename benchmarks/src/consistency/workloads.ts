import {
  LeNet, Mlp, Rng, conv2dTranspose, grad, hvp, initParams, inputSpecs, sgdStepGraph, spec, stepNames, trace, oneHot, softmaxCrossEntropy, toTyped,
  type Backend, type DeviceTensor, type Graph, type HostTensor, type TypedArray,
} from '@clt/core';

export interface Tolerance { readonly rtol: number; readonly atol: number }

/** A fixed computation run on every backend and compared with the float64 reference. */
export interface Workload {
  readonly name: string;
  readonly group: 'primitive' | 'mlp' | 'conv' | 'loss' | 'probe' | 'train';
  /** Declared float32 tolerance: |backend − reference| ≤ atol + rtol·|reference| elementwise. */
  readonly tolerance: Tolerance;
  run(backend: Backend): Promise<Record<string, TypedArray>>;
}

/** Declared tolerances and why: float32 has a unit roundoff of 6e-8; these allow a few hundred ulps of accumulated error. */
export const TOLERANCES = {
  /** One primitive (or its VJP) on small, well-scaled inputs. */
  primitive: { rtol: 1e-4, atol: 1e-5 },
  /** A few layers of matmuls over 64-wide inner products. */
  mlp: { rtol: 2e-4, atol: 2e-5 },
  loss: { rtol: 2e-4, atol: 2e-5 },
  /**
   * Convolution nets: inner products of C·kh·kw ≤ 150 terms forward, filter gradients summing
   * N·Ho·Wo ≤ 1024 products, pools and a second derivative on top: the MLP budget, doubled.
   */
  conv: { rtol: 5e-4, atol: 5e-5 },
  /** 20 steps feed each step's float32 rounding into the next; errors grow roughly linearly. */
  train: { rtol: 2e-3, atol: 2e-4 },
  probe: { rtol: 1e-3, atol: 1e-4 },
} as const;

/** Normalize inputs given as host tensors or plain arrays into host tensors for `graph`. */
export function hostInputs(graph: Graph, inputs: Record<string, HostTensor | ArrayLike<number>>): Record<string, HostTensor> {
  const specs = inputSpecs(graph), out: Record<string, HostTensor> = {};
  for (const [name, s] of Object.entries(specs)) {
    const v = inputs[name];
    if (v === undefined) throw new Error(`workload input "${name}" missing`);
    out[name] = 'data' in (v as HostTensor) ? (v as HostTensor) : { data: toTyped(s.dtype, v as ArrayLike<number>), shape: s.shape, dtype: s.dtype };
  }
  return out;
}

/**
 * Warnings raised by executables while workloads run (provider fallback, nodes placed on the CPU):
 * the runner drains them per workload into the report.
 */
export const executableWarnings = new Set<string>();

/** Compile once, run once, download every output. */
export async function runGraph(backend: Backend, graph: Graph, inputs: Record<string, HostTensor>): Promise<Record<string, TypedArray>> {
  const exe = await backend.compile(graph);
  for (const w of exe.warnings) executableWarnings.add(w);
  try {
    const res = await exe.run(inputs);
    const out: Record<string, TypedArray> = {};
    for (const [k, t] of Object.entries(res)) {
      out[k] = await t.download();
      t.dispose();
    }
    return out;
  } finally {
    exe.dispose();
  }
}

export function graphWorkload(name: string, group: Workload['group'], graph: Graph, inputs: Record<string, HostTensor | ArrayLike<number>>, tolerance: Tolerance = TOLERANCES[group]): Workload {
  const host = hostInputs(graph, inputs);
  return { name, group, tolerance, run: (b) => runGraph(b, graph, host) };
}

/** MLP forward and parameter gradient of the mean softmax cross-entropy, relu and tanh. */
export function mlpWorkloads(): Workload[] {
  return (['relu', 'tanh'] as const).map((activation) => {
    const model = new Mlp({ sizes: [64, 32, 32, 10], activation });
    const rng = new Rng(11), n = 16;
    const params = initParams(model, rng);
    const specs = { ...Object.fromEntries(model.params.map((p) => [p.name, spec(p.shape)])), x: spec([n, 64]), y: spec([n], 'i32') };
    const g = grad(
      trace(specs, (xs) => ({ loss: softmaxCrossEntropy(model.apply(xs, xs.x!), oneHot(xs.y!, 10)).mean() })),
      { wrt: model.params.map((p) => p.name) },
    );
    const y = Array.from({ length: n }, () => rng.int(10));
    return graphWorkload(`mlp/${activation}/forward+grad`, 'mlp', g, { ...params, x: rng.normals(n * 64), y });
  });
}

/**
 * Convolution workloads beside the per-primitive cases (which the catalogue takes from the
 * conformance suite): a ResNet basic block with a strided 1×1 projection shortcut (forward and
 * every gradient), the transpose conv on its own at a ResNet downsampling shape, LeNet-5's loss
 * gradient on MNIST-shaped inputs, and the HVP of a small conv net (second order through conv2d,
 * conv2dTranspose and max pooling).
 */
export function convWorkloads(): Workload[] {
  const rng = new Rng(13);
  const out: Workload[] = [];
  const n = 4, C = 8, H = 16;
  const block = grad(trace({ x: spec([n, C, H, H]), w1: spec([C, C, 3, 3]), w2: spec([C, C, 3, 3]), w3: spec([2 * C, C, 3, 3]), wp: spec([2 * C, C, 1, 1]), ct: spec([n, 2 * C]) }, ({ x, w1, w2, w3, wp, ct }) => {
    const p = { pads: [1, 1, 1, 1] };
    const h = x!.conv2d(w1!, p).relu().conv2d(w2!, p).add(x!).relu();
    const down = h.conv2d(w3!, { strides: [2, 2], pads: [1, 1, 1, 1] }).relu().add(h.conv2d(wp!, { strides: [2, 2] }));
    return { loss: down.maxPool2d([3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }).globalAvgPool().mul(ct!).sum() };
  }), { wrt: ['x', 'w1', 'w2', 'w3', 'wp'] });
  const he = (fanIn: number, m: number) => rng.normals(m, Math.sqrt(2 / fanIn));
  out.push(graphWorkload('conv/resnet-block/forward+grad', 'conv', block, {
    x: rng.normals(n * C * H * H), w1: he(9 * C, C * C * 9), w2: he(9 * C, C * C * 9), w3: he(9 * C, 2 * C * C * 9), wp: he(C, 2 * C * C), ct: rng.normals(n * 2 * C),
  }));
  const tr = trace({ g: spec([n, 2 * C, H / 2, H / 2]), w: spec([2 * C, C, 3, 3]) }, ({ g, w }) => ({ dx: conv2dTranspose(g!, w!, [H, H], { strides: [2, 2], pads: [1, 1, 1, 1] }) }));
  out.push(graphWorkload('conv/conv2dTranspose/stride2', 'conv', tr, { g: rng.normals(n * 2 * C * (H / 2) ** 2), w: he(9 * C, 2 * C * C * 9) }));
  const lenet = new LeNet({ input: [1, 28, 28], classes: 10 });
  const ln = 4, params = initParams(lenet, rng);
  const lg = grad(
    trace({ ...Object.fromEntries(lenet.params.map((p) => [p.name, spec(p.shape)])), x: spec([ln, 784]), y: spec([ln], 'i32') }, (xs) => ({ loss: softmaxCrossEntropy(lenet.apply(xs, xs.x!), oneHot(xs.y!, 10)).mean() })),
    { wrt: lenet.params.map((p) => p.name) },
  );
  out.push(graphWorkload('conv/lenet5/loss-grad', 'conv', lg, { ...params, x: Array.from({ length: ln * 784 }, () => rng.uniform()), y: Array.from({ length: ln }, () => rng.int(10)) }));
  const net = trace({ x: spec([2, 1, 6, 6]), y: spec([2], 'i32'), w1: spec([3, 1, 3, 3]), w2: spec([4, 3, 2, 2]), w3: spec([4, 3]) }, ({ x, y, w1, w2, w3 }) => {
    const z = x!.conv2d(w1!, { pads: [1, 1, 1, 1] }).tanh().maxPool2d([2, 2]).conv2d(w2!, { strides: [2, 2] }).tanh().globalAvgPool().matmul(w3!);
    return { loss: softmaxCrossEntropy(z, oneHot(y!, 3)).mean() };
  });
  const hv = hvp(net, { wrt: ['w1', 'w2', 'w3'] });
  out.push(graphWorkload('conv/convnet/hvp', 'conv', hv, {
    x: rng.normals(72), y: [0, 2], w1: rng.normals(27, 0.5), w2: rng.normals(48, 0.5), w3: rng.normals(12), vec_w1: rng.normals(27), vec_w2: rng.normals(48), vec_w3: rng.normals(12),
  }));
  return out;
}

/** 20 fused SGD steps with momentum, parameters and velocities kept on the device throughout. */
export function trainWorkload(steps = 20): Workload {
  const model = new Mlp({ sizes: [32, 24, 10], activation: 'tanh' });
  const n = 16, graph = sgdStepGraph(model, { batch: n, momentum: 0.9, weightDecay: 1e-4 });
  const rng = new Rng(5);
  const init = initParams(model, rng);
  const xs = Array.from({ length: steps }, () => Float32Array.from(rng.normals(n * 32)));
  const ys = Array.from({ length: steps }, () => Int32Array.from({ length: n }, () => rng.int(10)));
  return {
    name: `train/${steps}-sgd-steps`,
    group: 'train',
    tolerance: TOLERANCES.train,
    async run(backend) {
      const exe = await backend.compile(graph);
      const state: Record<string, DeviceTensor> = {};
      for (const p of model.params) {
        state[stepNames.param(p.name)] = backend.upload({ data: Float32Array.from(init[p.name]!), shape: p.shape, dtype: 'f32' });
        state[stepNames.velocity(p.name)] = backend.upload({ data: new Float32Array(init[p.name]!.length), shape: p.shape, dtype: 'f32' });
      }
      const losses = new Float64Array(steps);
      for (let s = 0; s < steps; s++) {
        const res = await exe.run({ ...state, x: { data: xs[s]!, shape: [n, 32], dtype: 'f32' }, y: { data: ys[s]!, shape: [n], dtype: 'i32' }, lr: { data: Float32Array.of(0.05), shape: [], dtype: 'f32' } });
        losses[s] = (await res.loss!.download())[0]!;
        for (const p of model.params) {
          state[stepNames.param(p.name)]!.dispose();
          state[stepNames.velocity(p.name)]!.dispose();
          state[stepNames.param(p.name)] = res[stepNames.newParam(p.name)]!;
          state[stepNames.velocity(p.name)] = res[stepNames.newVelocity(p.name)]!;
        }
        for (const [k, t] of Object.entries(res)) if (!k.startsWith('new_')) t.dispose();
      }
      const out: Record<string, TypedArray> = { losses };
      for (const p of model.params) out[p.name] = await state[stepNames.param(p.name)]!.download();
      for (const t of Object.values(state)) t.dispose();
      exe.dispose();
      return out;
    },
  };
}
