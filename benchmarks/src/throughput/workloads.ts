import { GraphBuilder, Mlp, Rng, initParams, parameterCount, sgdStepGraph, stepNames, type Backend, type DeviceTensor, type Graph, type Model, type OpAttrs, type Tensor } from '@clt/core';
import { measure, type Timing } from '../measure.js';

export interface ThroughputCase {
  readonly name: string;
  /** What the ratio column divides by: the name of another case in the same run, same backend. */
  readonly floor?: string;
  /** Sweep coordinates for plots: batch n and parameter count P. */
  readonly n?: number;
  readonly P?: number;
  /** Work units per run (e.g. steps), to report throughput. */
  readonly unitsPerRun: number;
  readonly unit: string;
  setup(backend: Backend): Promise<{ run: () => Promise<void>; dispose: () => void }>;
}

export interface ThroughputResult {
  readonly backend: string;
  readonly case: string;
  readonly timing: Timing;
  readonly perSecond: number;
  readonly unit: string;
  readonly n?: number;
  readonly P?: number;
  floor?: string;
  ratioToFloor?: number;
}

const upload = (b: Backend, data: Float64Array | Float32Array, shape: readonly number[]) => b.upload({ data: Float32Array.from(data), shape, dtype: 'f32' });

/**
 * The fused SGD step (forward, backward, momentum update: one graph) of an MLP, with parameters and
 * velocities swapped in place as device tensors between runs, exactly as the trainer does.
 */
export function sgdStepCase(sizes: readonly number[], batch: number): ThroughputCase {
  const tag = sizes.join('-');
  return modelStepCase(new Mlp({ sizes, activation: 'relu' }), batch, `sgd-step/${tag}/n${batch}`, `gemm-floor/${tag}/n${batch}`);
}

/** The fused SGD step of any model (forward, backward, momentum update), as `sgdStepCase`. */
export function modelStepCase(model: Model, batch: number, name: string, floor?: string): ThroughputCase {
  const classes = model.outputDim;
  return {
    name,
    ...(floor ? { floor } : {}),
    n: batch,
    P: parameterCount(model),
    unitsPerRun: 1,
    unit: 'steps',
    async setup(backend) {
      const graph = sgdStepGraph(model, { batch, momentum: 0.9 });
      const exe = await backend.compile(graph);
      const rng = new Rng(1);
      const init = initParams(model, rng);
      const state: Record<string, DeviceTensor> = {};
      for (const p of model.params) {
        state[stepNames.param(p.name)] = upload(backend, init[p.name]!, p.shape);
        state[stepNames.velocity(p.name)] = upload(backend, new Float64Array(init[p.name]!.length), p.shape);
      }
      const x = upload(backend, rng.normals(batch * model.inputDim), [batch, model.inputDim]);
      const y = backend.upload({ data: Int32Array.from({ length: batch }, () => rng.int(classes)), shape: [batch], dtype: 'i32' });
      const lr = upload(backend, Float64Array.of(1e-3), []);
      return {
        run: async () => {
          const res = await exe.run({ ...state, x, y, lr }, { outputs: [...model.params.flatMap((p) => [stepNames.newParam(p.name), stepNames.newVelocity(p.name)]), 'loss'] });
          await res.loss!.download(); // what a trainer reads each step
          for (const p of model.params) {
            state[stepNames.param(p.name)]!.dispose(); state[stepNames.velocity(p.name)]!.dispose();
            state[stepNames.param(p.name)] = res[stepNames.newParam(p.name)]!;
            state[stepNames.velocity(p.name)] = res[stepNames.newVelocity(p.name)]!;
          }
          res.loss!.dispose();
        },
        dispose: () => { for (const t of [...Object.values(state), x, y, lr]) t.dispose(); exe.dispose(); },
      };
    },
  };
}

/**
 * The GEMM floor of that step: exactly its matrix products (forward z_l = a_l W_lᵀ, backward
 * dW_l = δ_lᵀ a_l and δ_{l-1} = δ_l W_l), with the same shapes, in one graph and nothing else.
 * The fused step can at best match it; the ratio step/floor is the graph's overhead.
 */
export function gemmFloorCase(sizes: readonly number[], batch: number): ThroughputCase {
  const tag = sizes.join('-');
  return {
    name: `gemm-floor/${tag}/n${batch}`,
    n: batch,
    unitsPerRun: 1,
    unit: 'steps',
    async setup(backend) {
      const b = new GraphBuilder();
      const rng = new Rng(2);
      const feeds: Record<string, DeviceTensor> = {};
      const input = (name: string, shape: number[]): Tensor => {
        feeds[name] = upload(backend, rng.normals(shape.reduce((p, d) => p * d, 1), 0.1), shape);
        return b.input(name, shape);
      };
      const outs: Tensor[] = [];
      for (let l = 0; l + 1 < sizes.length; l++) {
        const a = input(`a${l}`, [batch, sizes[l]!]), w = input(`W${l}`, [sizes[l + 1]!, sizes[l]!]), d = input(`d${l}`, [batch, sizes[l + 1]!]);
        outs.push(a.matmul(w.T));
        outs.push(d.T.matmul(a));
        if (l > 0) outs.push(d.matmul(w));
      }
      // Each product is reduced to one number so only a scalar leaves the device, like the step's loss.
      let total = outs[0]!.sum();
      for (const o of outs.slice(1)) total = total.add(o.sum());
      const graph: Graph = b.build({ total });
      const exe = await backend.compile(graph);
      return {
        run: async () => { const r = await exe.run(feeds); await r.total!.download(); r.total!.dispose(); },
        dispose: () => { for (const t of Object.values(feeds)) t.dispose(); exe.dispose(); },
      };
    },
  };
}

/** The ops a floor keeps: the products (GEMMs and convolutions) that dominate a training step. */
const HEAVY_OPS = new Set(['matmul', 'conv2d', 'conv2dTranspose']);

/**
 * The GEMM/conv floor of any graph: exactly its matrix products and convolutions (forward conv,
 * data-gradient transpose conv, filter-gradient conv with its swapped roles), each on fresh
 * random operands of the same shapes and attributes, in one graph and nothing else. For a model's
 * SGD step the ratio step/floor is what everything else costs: activations, pooling, layouts
 * (tfjs's NCHW⇄NHWC transposes), the update.
 */
export function heavyOpFloorCase(name: string, graphOf: () => Graph, n?: number): ThroughputCase {
  return {
    name,
    ...(n ? { n } : {}),
    unitsPerRun: 1,
    unit: 'steps',
    async setup(backend) {
      const src = graphOf();
      const b = new GraphBuilder();
      const rng = new Rng(3);
      const feeds: Record<string, DeviceTensor> = {};
      let k = 0;
      const input = (shape: readonly number[]): Tensor => {
        const nm = `t${k++}`;
        feeds[nm] = upload(backend, rng.normals(shape.reduce((p, d) => p * d, 1), 0.1), shape);
        return b.input(nm, shape);
      };
      let total: Tensor | undefined;
      for (const node of src.nodes) {
        if (!HEAVY_OPS.has(node.op) || node.dtype !== 'f32') continue;
        const ops = node.inputs.map((i) => input(src.nodes[i]!.shape));
        const out = b.emit(node.op as 'matmul' | 'conv2d' | 'conv2dTranspose', ops, node.attrs as OpAttrs['conv2dTranspose']).sum();
        total = total ? total.add(out) : out;
      }
      if (!total) throw new Error(`${name}: the graph has no matmul or convolution`);
      const exe = await backend.compile(b.build({ total }));
      return {
        run: async () => { const r = await exe.run(feeds); await r.total!.download(); r.total!.dispose(); },
        dispose: () => { for (const t of Object.values(feeds)) t.dispose(); exe.dispose(); },
      };
    },
  };
}

export async function runThroughput(backend: Backend, cases: readonly ThroughputCase[], opts: { quick?: boolean } = {}): Promise<ThroughputResult[]> {
  const out: ThroughputResult[] = [];
  for (const c of cases) {
    const s = await c.setup(backend);
    try {
      const timing = await measure(s.run, opts.quick ? { warmup: 2, samples: 5, minTimeMs: 300 } : { warmup: 5, samples: 15, minTimeMs: 2000 });
      out.push({ backend: backend.name, case: c.name, timing, perSecond: (c.unitsPerRun * 1000) / timing.medianMs, unit: c.unit, ...(c.n ? { n: c.n } : {}), ...(c.P ? { P: c.P } : {}), ...(c.floor ? { floor: c.floor } : {}) });
    } finally {
      s.dispose();
    }
  }
  for (const r of out) {
    const f = r.floor && out.find((o) => o.case === r.floor);
    if (f) r.ratioToFloor = r.timing.medianMs / f.timing.medianMs;
  }
  return out;
}
