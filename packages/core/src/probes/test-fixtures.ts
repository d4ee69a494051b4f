import { spec, trace } from '../ir/builder.js';
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { initParams, type LayerTap, type Model, type ParamSpec } from '../models/model.js';
import { Mlp, type MlpOptions } from '../models/mlp.js';
import { interpret } from '../reference/interpret.js';
import { Rng } from '../util/random.js';

/** Test helpers (not exported from the package): small models, seeded data, oracles. */

export function mlpCase(options: MlpOptions, n: number, seed = 1) {
  const model = new Mlp(options);
  const rng = new Rng(seed);
  const params = initParams(model, rng);
  // Non-zero biases so the bias terms of every formula are exercised.
  for (const p of model.params) if (p.name.startsWith('b')) params[p.name] = rng.normals(p.shape[0]!, 0.3);
  const x = rng.normals(n * model.inputDim);
  return { model, params, x, n };
}

/** A model with a parameter outside any dense layer: f = s · mlp(x), s a learned scalar. */
export class ScaledMlp implements Model {
  readonly kind = 'scaled-mlp';
  readonly inner: Mlp;
  readonly params: ParamSpec[];
  constructor(sizes: number[]) {
    this.inner = new Mlp({ sizes, activation: 'tanh' });
    this.params = [...this.inner.params, { name: 's', shape: [1], init: () => Float64Array.of(1.3) }];
  }
  get inputDim() { return this.inner.inputDim; }
  get outputDim() { return this.inner.outputDim; }
  apply(params: Record<string, Tensor>, x: Tensor, taps?: LayerTap[]): Tensor {
    return this.inner.apply(params, x, taps).mul(params.s!);
  }
  describe() { return { kind: this.kind }; }
}

/** The forward graph f(θ, x) in float64. */
export function forwardGraph(model: Model, n: number): Graph {
  return trace({ ...Object.fromEntries(model.params.map((p) => [p.name, spec(p.shape, 'f64')])), x: spec([n, model.inputDim], 'f64') }, (xs) => {
    const { x, ...ps } = xs as Record<string, Tensor>;
    return { f: model.apply(ps, x!) };
  });
}

/**
 * Oracle: per-sample Jacobians [n, d, P] by central differences with one Richardson step,
 * D = (4·D(h/2) − D(h))/3, truncation O(h⁴): about 1e-11 relative at h = 1e-3 for smooth models.
 */
export function finiteDifferenceJacobians(model: Model, params: Record<string, Float64Array>, x: Float64Array, n: number, h = 1e-3): Float64Array {
  const g = forwardGraph(model, n), d = model.outputDim;
  const P = model.params.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
  const J = new Float64Array(n * d * P);
  const f = (ps: Record<string, Float64Array>) => interpret(g, { ...ps, x }).f as Float64Array;
  let col = 0;
  for (const p of model.params) {
    const base = params[p.name]!;
    for (let t = 0; t < base.length; t++, col++) {
      const central = (step: number) => {
        const plus = Float64Array.from(base), minus = Float64Array.from(base);
        plus[t]! += step; minus[t]! -= step;
        const fp = f({ ...params, [p.name]: plus }), fm = f({ ...params, [p.name]: minus });
        return Float64Array.from(fp, (v, i) => (v - fm[i]!) / (2 * step));
      };
      const d1 = central(h), d2 = central(h / 2);
      for (let i = 0; i < n * d; i++) J[i * P + col] = (4 * d2[i]! - d1[i]!) / 3;
    }
  }
  return J;
}

/** J Jᵀ of stacked rows [N, P] → [N, N]. */
export function gramOf(J: Float64Array, N: number, P: number): Float64Array {
  const K = new Float64Array(N * N);
  for (let i = 0; i < N; i++) for (let j = 0; j <= i; j++) {
    let s = 0;
    for (let t = 0; t < P; t++) s += J[i * P + t]! * J[j * P + t]!;
    K[i * N + j] = s; K[j * N + i] = s;
  }
  return K;
}

export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let scale = 0, diff = 0;
  for (let i = 0; i < a.length; i++) { scale = Math.max(scale, Math.abs(b[i]!)); diff = Math.max(diff, Math.abs(a[i]! - b[i]!)); }
  return scale === 0 ? diff : diff / scale;
}

/** One convolution of `ConvNet`: out channels, kernel, geometry, bias. */
/** Seeded parameters of any model with non-zero biases (`*_b`), so every term of the forward pass is exercised; inputs x for n samples. */
export function biasedCase(model: Model, n: number, seed = 1) {
  const rng = new Rng(seed);
  const params = initParams(model, rng);
  for (const p of model.params) if (/_b$/.test(p.name)) params[p.name] = rng.normals(params[p.name]!.length, 0.2);
  return { model, params, x: rng.normals(n * model.inputDim), n };
}

export interface ConvSpec {
  readonly out: number;
  readonly kernel: readonly [number, number];
  readonly strides?: readonly [number, number];
  readonly pads?: readonly [number, number, number, number];
  readonly dilations?: readonly [number, number];
  readonly groups?: number;
  readonly bias?: boolean;
}

/**
 * A small conv net for the conv-tap tests: convolutions of any geometry (strides, asymmetric
 * pads, dilations, groups, with or without bias), each followed by tanh, then a dense layer to
 * `classes` outputs. Every parameter is in a conv or dense tap.
 */
export class ConvNet implements Model {
  readonly kind = 'convnet';
  readonly params: ParamSpec[] = [];
  readonly inputDim: number;
  readonly outputDim: number;
  private readonly flat: number;
  constructor(readonly image: readonly [number, number, number], readonly convs: readonly ConvSpec[], classes: number) {
    let [c, h, w] = image;
    const rng = (name: string, shape: number[], std: number): ParamSpec => ({ name, shape, init: (r) => r.normals(shape.reduce((a, b) => a * b, 1), std) });
    convs.forEach((s, l) => {
      const g = s.groups ?? 1, [kh, kw] = s.kernel, [sh, sw] = s.strides ?? [1, 1], p = s.pads ?? [0, 0, 0, 0], [dh, dw] = s.dilations ?? [1, 1];
      this.params.push(rng(`c${l}_w`, [s.out, c / g, kh, kw], Math.sqrt(1 / ((c / g) * kh * kw))));
      if (s.bias !== false) this.params.push(rng(`c${l}_b`, [s.out], 0.2));
      h = Math.floor((h + p[0]! + p[2]! - dh * (kh - 1) - 1) / sh) + 1;
      w = Math.floor((w + p[1]! + p[3]! - dw * (kw - 1) - 1) / sw) + 1;
      c = s.out;
    });
    this.flat = c * h * w;
    this.params.push(rng('fc_w', [classes, this.flat], Math.sqrt(1 / this.flat)), rng('fc_b', [classes], 0.2));
    this.inputDim = image[0] * image[1] * image[2];
    this.outputDim = classes;
  }
  apply(params: Record<string, Tensor>, x: Tensor, taps?: LayerTap[]): Tensor {
    const n = x.shape[0]!;
    let h = x.reshape([n, ...this.image]);
    this.convs.forEach((s, l) => {
      const geometry = { strides: s.strides ?? [1, 1], pads: s.pads ?? [0, 0, 0, 0], dilations: s.dilations ?? [1, 1], groups: s.groups ?? 1 } as const;
      const input = h, bias = s.bias !== false ? `c${l}_b` : undefined;
      let z = input.conv2d(params[`c${l}_w`]!, geometry);
      if (bias) z = z.add(params[bias]!.reshape([1, -1, 1, 1]));
      taps?.push({ kind: 'conv', input, preactivation: z, weight: `c${l}_w`, ...(bias ? { bias } : {}), kernel: s.kernel, strides: geometry.strides as [number, number], pads: geometry.pads as [number, number, number, number], dilations: geometry.dilations as [number, number], groups: geometry.groups });
      h = z.tanh();
    });
    const a = h.reshape([n, this.flat]);
    const z = a.matmul(params.fc_w!.T).add(params.fc_b!);
    taps?.push({ input: a, preactivation: z, weight: 'fc_w', bias: 'fc_b' });
    return z;
  }
  describe() { return { kind: this.kind }; }
}
