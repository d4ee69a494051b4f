import { initParams, interpret, Mlp, registeredBackends, resolveBackend, Rng, sgdStepGraph, spec, stepNames, trace, type DeviceTensor } from '@clt/core';
import { ReferenceBackend } from '@clt/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { TfjsBackend, type TfjsExecutable } from './backend.js';
import { initPlatform } from './platforms.js';
import './register.js';

const cpu = new TfjsBackend({ platform: 'cpu' });
const wasm = new TfjsBackend({ platform: 'wasm' });
await cpu.availability();
await wasm.availability();
afterAll(async () => { await cpu.dispose(); await wasm.dispose(); });

describe.each([['cpu', cpu], ['wasm', wasm]] as const)('tfjs-%s: no tensor leaks', (_p, backend) => {
  it('1,000 runs of a compiled MLP SGD step (forward, backward, update in one graph) leave tf.memory().numTensors unchanged', async () => {
    const model = new Mlp({ sizes: [12, 16, 16, 3], activation: 'tanh' });
    const batch = 8;
    const g = sgdStepGraph(model, { batch, momentum: 0.9 });
    const rng = new Rng(3);
    const init = initParams(model, rng);
    const xs = Float32Array.from(rng.normals(batch * 12)), ys = Int32Array.from({ length: batch }, () => rng.int(3));
    const exe = await backend.compile(g);
    const state: Record<string, DeviceTensor> = {};
    for (const p of model.params) {
      state[p.name] = backend.upload({ data: Float32Array.from(init[p.name]!), shape: p.shape, dtype: 'f32' });
      state[stepNames.velocity(p.name)] = backend.upload({ data: new Float32Array(p.shape[0]! * (p.shape[1] ?? 1)), shape: p.shape, dtype: 'f32' });
    }
    const feeds = { x: backend.upload({ data: xs, shape: [batch, 12], dtype: 'f32' }), lr: backend.upload({ data: Float32Array.of(0.05), shape: [], dtype: 'f32' }) };
    const y = { data: ys, shape: [batch], dtype: 'i32' as const }; // a host input: uploaded and freed every run
    const before = tf.memory().numTensors;
    const losses: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const r = await exe.run({ ...state, ...feeds, y });
      if (i === 0 || i === 999) losses.push((await r.loss!.download())[0]!);
      for (const p of model.params) {
        for (const [k, o] of [[p.name, stepNames.newParam(p.name)], [stepNames.velocity(p.name), stepNames.newVelocity(p.name)]] as const) {
          state[k]!.dispose();
          state[k] = r[o]!;
          delete r[o];
        }
      }
      for (const t of Object.values(r)) t.dispose(); // loss, correct, gradSqNorm, ...
    }
    expect(tf.memory().numTensors).toBe(before);
    // It trained: the loss on the (fixed) batch went down.
    expect(losses[1]!).toBeLessThan(losses[0]! * 0.5);
    // What remains is exactly the caller's tensors and the plan's constants: all freed by dispose.
    const held = (exe as TfjsExecutable).plan.heldTensors;
    expect(held).toBeGreaterThan(0);
    for (const t of [...Object.values(state), ...Object.values(feeds)]) t.dispose();
    exe.dispose();
    expect(tf.memory().numTensors).toBe(before - Object.keys(state).length - 2 - held);
  });

  it('a run that throws (gather index out of range) frees everything it made', async () => {
    const g = trace({ x: spec([3, 2], 'f32'), i: spec([2], 'i32') }, ({ x, i }) => ({ y: x.exp().gather(i, 0).sum() }));
    const exe = await backend.compile(g);
    const before = tf.memory().numTensors;
    await expect(exe.run({ x: { data: new Float32Array(6), shape: [3, 2], dtype: 'f32' }, i: { data: Int32Array.of(0, 7), shape: [2], dtype: 'i32' } })).rejects.toThrow();
    expect(tf.memory().numTensors).toBe(before);
    exe.dispose();
  });
});

describe('the fused SGD step matches the float64 reference', () => {
  it.each([['cpu', cpu], ['wasm', wasm]] as const)('tfjs-%s: new parameters, loss, gradSqNorm within float32 error', async (_p, backend) => {
    const model = new Mlp({ sizes: [10, 8, 4], activation: 'gelu' });
    const g = sgdStepGraph(model, { batch: 6, weightDecay: 1e-2 });
    const rng = new Rng(9);
    const init = initParams(model, rng);
    const inputs: Record<string, Float32Array | Int32Array> = { x: Float32Array.from(rng.normals(60)), y: Int32Array.from({ length: 6 }, () => rng.int(4)), lr: Float32Array.of(0.1) };
    for (const p of model.params) inputs[p.name] = Float32Array.from(init[p.name]!);
    const want = interpret(g, inputs);
    const exe = await backend.compile(g);
    const feeds = Object.fromEntries(g.inputs.map((id) => {
      const n = g.nodes[id]!, name = (n.attrs as { name: string }).name;
      return [name, { data: inputs[name]!, shape: n.shape, dtype: n.dtype }];
    }));
    const res = await exe.run(feeds);
    for (const o of g.outputs) {
      const got = await res[o.name]!.download(), w = want[o.name]!;
      for (let i = 0; i < w.length; i++) expect(Math.abs(got[i]! - w[i]!), `${o.name}[${i}]`).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(w[i]!));
      res[o.name]!.dispose();
    }
    exe.dispose();
  });
});

describe('device tensors and the executable contract', () => {
  it('upload/download round-trips every dtype; f64 comes back widened from float32', async () => {
    const f = cpu.upload({ data: Float32Array.of(1.5, -2), shape: [2], dtype: 'f32' });
    const d = cpu.upload({ data: Float64Array.of(0.1, 1 / 3), shape: [2], dtype: 'f64' });
    const i = cpu.upload({ data: Int32Array.of(-7, 2 ** 30), shape: [2], dtype: 'i32' });
    const b = cpu.upload({ data: Uint8Array.of(1, 0, 1), shape: [3], dtype: 'bool' });
    expect(await f.download()).toEqual(Float32Array.of(1.5, -2));
    const dd = await d.download();
    expect(dd).toBeInstanceOf(Float64Array);
    expect(Array.from(dd)).toEqual([Math.fround(0.1), Math.fround(1 / 3)]);
    expect(await i.download()).toEqual(Int32Array.of(-7, 2 ** 30));
    expect(await b.download()).toEqual(Uint8Array.of(1, 0, 1));
    for (const t of [f, d, i, b]) t.dispose();
    await expect(f.download()).rejects.toThrow(/after dispose/);
  });

  it('uploads and downloads are copies: writing to either array does not change the tensor', async () => {
    const src = Float32Array.of(1, 2, 3);
    const t = cpu.upload({ data: src, shape: [3], dtype: 'f32' });
    src[0] = 99;
    const got = await t.download();
    got[1] = 99;
    expect(await t.download()).toEqual(Float32Array.of(1, 2, 3));
    t.dispose();
  });

  it('rejects bad inputs with messages that say what to do', async () => {
    const g = trace({ x: spec([2], 'f32') }, ({ x }) => ({ y: x.mul(2), z: x.exp() }));
    const exe = await cpu.compile(g);
    await expect(exe.run({})).rejects.toThrow(/missing input "x" \(f32\[2\]\)/);
    await expect(exe.run({ x: { data: new Float32Array(3), shape: [3], dtype: 'f32' } })).rejects.toThrow(/expects f32\[2\]/);
    const foreign = new ReferenceBackend().upload({ data: new Float32Array(2), shape: [2], dtype: 'f32' });
    await expect(exe.run({ x: foreign })).rejects.toThrow(/lives on backend "reference"/);
    const onWasm = wasm.upload({ data: new Float32Array(2), shape: [2], dtype: 'f32' });
    await expect(exe.run({ x: onWasm })).rejects.toThrow(/lives on backend "tfjs-wasm"/);
    onWasm.dispose();
    await expect(exe.run({ x: { data: new Float32Array(2), shape: [2], dtype: 'f32' } }, { outputs: ['w'] })).rejects.toThrow(/unknown output "w"/);
    exe.dispose();
    await expect(exe.run({ x: { data: new Float32Array(2), shape: [2], dtype: 'f32' } })).rejects.toThrow(/after dispose/);
    expect(() => new TfjsBackend({ platform: 'webgl' as never })).toThrow(/unknown tfjs platform 'webgl'/);
    expect(() => new TfjsBackend({ platform: 'wasm', name: 'fresh' }).upload({ data: new Float32Array(1), shape: [1], dtype: 'f32' })).toThrow(/availability\(\)/);
  });

  it('requested outputs only: the others are neither returned nor computed', async () => {
    const g = trace({ x: spec([4], 'f32') }, ({ x }) => ({ cheap: x.add(1), dear: x.reshape([2, 2]).matmul(x.reshape([2, 2])) }));
    const exe = await cpu.compile(g);
    const before = tf.memory().numTensors;
    const r = await exe.run({ x: { data: Float32Array.of(1, 2, 3, 4), shape: [4], dtype: 'f32' } }, { outputs: ['cheap'] });
    expect(Object.keys(r)).toEqual(['cheap']);
    expect(await r.cheap!.download()).toEqual(Float32Array.of(2, 3, 4, 5));
    expect(tf.memory().numTensors).toBe(before + 1);
    r.cheap!.dispose();
    exe.dispose();
  });

  it('device tensors chain between runs on wasm without a host round trip', async () => {
    const g = trace({ w: spec([3], 'f32') }, ({ w }) => ({ w2: w.mul(0.5).add(1) }));
    const exe = await wasm.compile(g);
    let w = wasm.upload({ data: Float32Array.of(0, 4, 8), shape: [3], dtype: 'f32' });
    for (let k = 0; k < 3; k++) { const r = await exe.run({ w }); w.dispose(); w = r.w2!; }
    // Fixed point 2: w_k − 2 = (w_0 − 2) / 2^k.
    expect(Array.from(await w.download())).toEqual([0, 4, 8].map((v) => 2 + (v - 2) / 8));
    w.dispose();
    exe.dispose();
  });
});

describe('registry', () => {
  it('registers tfjs-wasm and tfjs-cpu by default and tfjs-webgpu opt-in (negative priority)', async () => {
    const byName = new Map(registeredBackends().map((e) => [e.name, e.priority]));
    expect(byName.get('tfjs-wasm')).toBeGreaterThanOrEqual(0);
    expect(byName.get('tfjs-cpu')).toBeGreaterThanOrEqual(0);
    expect(byName.get('tfjs-webgpu')).toBeLessThan(0);
    const b = await resolveBackend('tfjs-cpu');
    expect(b.name).toBe('tfjs-cpu');
    expect(b.dtypes).toEqual(['f32', 'i32', 'bool']);
  });
});

describe('transpose folding into matmul', () => {
  it.each([['cpu', cpu, ['matmul', 'matmul']], ['wasm', wasm, ['matmul', 'transpose', 'matmul']]] as const)('tfjs-%s: x Wᵀ and Aᵀ B run without their transposes where the kernel takes the flag; a transpose read elsewhere still runs', async (_p, backend, ops) => {
    const g = trace({ x: spec([3, 4], 'f32'), w: spec([5, 4], 'f32'), a: spec([3, 2], 'f32') }, ({ x, w, a }) => ({ y: x.matmul(w.T), z: a.T.matmul(x) }));
    const exe = (await backend.compile(g)) as TfjsExecutable;
    expect(exe.plan.steps.map((s) => s.node.op)).toEqual(ops);
    const rng = new Rng(4);
    const inputs = { x: Float32Array.from(rng.normals(12)), w: Float32Array.from(rng.normals(20)), a: Float32Array.from(rng.normals(6)) };
    const want = interpret(g, inputs);
    const r = await exe.run({ x: { data: inputs.x, shape: [3, 4], dtype: 'f32' }, w: { data: inputs.w, shape: [5, 4], dtype: 'f32' }, a: { data: inputs.a, shape: [3, 2], dtype: 'f32' } });
    for (const k of ['y', 'z'] as const) {
      const got = await r[k]!.download();
      got.forEach((v, i) => expect(Math.abs(v - want[k]![i]!)).toBeLessThan(1e-5 + 1e-5 * Math.abs(want[k]![i]!)));
      r[k]!.dispose();
    }
    const g2 = trace({ w: spec([5, 4], 'f32'), x: spec([3, 4], 'f32') }, ({ w, x }) => ({ y: x.matmul(w.T), wt: w.T }));
    const exe2 = (await backend.compile(g2)) as TfjsExecutable;
    expect(exe2.plan.steps.map((s) => s.node.op).sort()).toEqual(['matmul', 'transpose']);
    exe.dispose(); exe2.dispose();
  });
});

const gpu = await initPlatform('webgpu');
const gpuWhy = gpu.available ? '' : ` (SKIPPED: tfjs-webgpu unavailable here: ${gpu.reason})`;
describe.skipIf(!gpu.available)(`tfjs-webgpu: no tensor leaks${gpuWhy}`, () => {
  it('100 runs of a compiled MLP SGD step leave tf.memory().numTensors unchanged and match tfjs-cpu', async () => {
    const webgpu = new TfjsBackend({ platform: 'webgpu' });
    await webgpu.availability();
    const model = new Mlp({ sizes: [12, 16, 3], activation: 'relu' });
    const g = sgdStepGraph(model, { batch: 8 });
    const rng = new Rng(5);
    const init = initParams(model, rng);
    const x = { data: Float32Array.from(rng.normals(96)), shape: [8, 12], dtype: 'f32' as const };
    const y = { data: Int32Array.from({ length: 8 }, () => rng.int(3)), shape: [8], dtype: 'i32' as const };
    const lr = { data: Float32Array.of(0.05), shape: [], dtype: 'f32' as const };
    const train = async (b: TfjsBackend, steps: number) => {
      const exe = await b.compile(g);
      const state: Record<string, DeviceTensor> = {};
      for (const p of model.params) state[p.name] = b.upload({ data: Float32Array.from(init[p.name]!), shape: p.shape, dtype: 'f32' });
      const before = tf.memory().numTensors;
      for (let i = 0; i < steps; i++) {
        const r = await exe.run({ ...state, x, y, lr });
        for (const p of model.params) { state[p.name]!.dispose(); state[p.name] = r[stepNames.newParam(p.name)]!; delete r[stepNames.newParam(p.name)]; }
        for (const t of Object.values(r)) t.dispose();
      }
      expect(tf.memory().numTensors, b.name).toBe(before);
      const w = await state.W0!.download();
      for (const t of Object.values(state)) t.dispose();
      exe.dispose();
      return w;
    };
    const wg = await train(webgpu, 100), wc = await train(cpu, 100);
    wg.forEach((v, i) => expect(Math.abs(v - wc[i]!), `W0[${i}]`).toBeLessThan(1e-4 + 1e-3 * Math.abs(wc[i]!)));
  });
});
