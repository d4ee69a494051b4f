import { grad, initParams, interpret, Mlp, registeredBackends, resolveBackend, Rng, sgdStepGraph, stepNames, spec, trace, GraphBuilder, type Graph } from '@clt/core';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { providerAvailability } from './availability.js';
import { OnnxRuntimeBackend, OrtExecutable } from './backend.js';
import { OrtDeviceTensor } from './device-tensor.js';
import { exportOnnx } from './export.js';
import { fallbackNodes, parsePlacement } from './placement.js';
import { createOnnxRuntimeBackend } from './index.js';
import './register.js';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');
const backend = new OnnxRuntimeBackend();
afterAll(() => backend.dispose());

/** An MLP's loss and its gradient with respect to every parameter, as one graph. */
function mlpForwardGrad(dt: 'f32' | 'f64'): { graph: Graph; feeds: Record<string, { data: Float32Array | Float64Array | Int32Array; shape: number[]; dtype: 'f32' | 'f64' | 'i32' }> } {
  const model = new Mlp({ sizes: [6, 5, 4, 3], activation: 'gelu' });
  const n = 4;
  const specs: Record<string, ReturnType<typeof spec>> = { x: spec([n, 6], dt), y: spec([n, 3], dt) };
  for (const p of model.params) specs[p.name] = spec(p.shape, dt);
  const fwd = trace(specs, (t) => {
    const logits = model.apply(t, t.x!);
    return { logits, loss: logits.logsumexp(-1).sub(logits.mul(t.y!).sum(-1)).mean() };
  });
  const graph = grad(fwd, { of: 'loss', wrt: model.params.map((p) => p.name) });
  const rng = new Rng(3), init = initParams(model, rng);
  const Arr = dt === 'f32' ? Float32Array : Float64Array;
  const feeds: ReturnType<typeof mlpForwardGrad>['feeds'] = { x: { data: Arr.from(rng.normals(n * 6)), shape: [n, 6], dtype: dt }, y: { data: Arr.from(Array.from({ length: n * 3 }, (_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0))), shape: [n, 3], dtype: dt } };
  for (const p of model.params) feeds[p.name] = { data: Arr.from(init[p.name]!), shape: [...p.shape], dtype: dt };
  return { graph, feeds };
}

describe('exportOnnx', () => {
  it('an exported MLP forward+gradient loads in a fresh InferenceSession and reproduces the in-process results bitwise', async () => {
    const { graph, feeds } = mlpForwardGrad('f32');
    expect(graph.outputs.map((o) => o.name)).toEqual(expect.arrayContaining(['loss', 'grad_W0', 'grad_b2']));
    const dir = await mkdtemp(join(tmpdir(), 'clt-onnx-'));
    try {
      const file = join(dir, 'mlp-grad.onnx');
      expect(await exportOnnx(graph, file)).toBeGreaterThan(100);
      const exe = await backend.compile(graph);
      const inProc = await exe.run(feeds);
      // A plain session from the file, as any ONNX tool would open it: default options, no clt code.
      const fresh = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
      const ref = interpret(graph, Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, v.data])));
      expect([...fresh.inputNames].sort()).toEqual(Object.keys(feeds).sort());
      const out = await fresh.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data as Float32Array, v.shape)])));
      for (const o of graph.outputs) {
        const a = await inProc[o.name]!.download(), b = out[o.name]!.data as Float32Array;
        expect(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), o.name).toEqual(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
        // ...and both agree with the float64 reference at float32 accuracy.
        for (let i = 0; i < b.length; i++) expect(Math.abs(b[i]! - ref[o.name]![i]!)).toBeLessThan(1e-5 + 1e-4 * Math.abs(ref[o.name]![i]!));
      }
      await fresh.release();
      exe.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('f64 gradients (through the composite f64 erf of GELU) match the reference to 1e-12', async () => {
    const { graph, feeds } = mlpForwardGrad('f64');
    const exe = await backend.compile(graph);
    const res = await exe.run(feeds);
    const ref = interpret(graph, Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, v.data])));
    for (const o of graph.outputs) {
      const got = await res[o.name]!.download();
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - ref[o.name]![i]!), `${o.name}[${i}]`).toBeLessThan(1e-12 * (1 + Math.abs(ref[o.name]![i]!)));
    }
    exe.dispose();
  });
});

describe('sessions and device tensors', () => {
  const g = trace({ x: spec([3], 'f32'), w: spec([3], 'f32') }, ({ x, w }) => ({ y: x.mul(w).tanh(), s: x.sum() }));

  it('compiling the same graph twice reuses one session (cache keyed by graphKey)', async () => {
    const b = new OnnxRuntimeBackend();
    const e1 = await b.compile(g), e2 = await b.compile(trace({ x: spec([3], 'f32'), w: spec([3], 'f32') }, ({ x, w }) => ({ y: x.mul(w).tanh(), s: x.sum() })));
    expect(e1).toBeInstanceOf(OrtExecutable);
    expect(await (e1 as OrtExecutable).session).toBe(await (e2 as OrtExecutable).session);
    expect(b.sessionCount).toBe(1);
    e1.dispose();
    expect(b.sessionCount).toBe(1); // e2 still holds it
    e2.dispose();
    expect(b.sessionCount).toBe(0);
    await b.dispose();
  });

  it('{ transient: true } compiles its own session without a CPU memory arena, with the same results', async () => {
    const b = new OnnxRuntimeBackend();
    expect(b.sessionOptions('cpu').enableCpuMemArena).toBeUndefined();
    expect(b.sessionOptions('cpu', { transient: true }).enableCpuMemArena).toBe(false);
    const pooled = await b.compile(g), transient = await b.compile(g, { transient: true });
    expect(await (transient as OrtExecutable).session).not.toBe(await (pooled as OrtExecutable).session);
    expect(b.sessionCount).toBe(2);
    const feeds = { x: { data: Float32Array.of(1, -2, 0.5), shape: [3], dtype: 'f32' as const }, w: { data: Float32Array.of(0.3, 0.1, -4), shape: [3], dtype: 'f32' as const } };
    const [a, c] = [await pooled.run(feeds), await transient.run(feeds)];
    for (const k of ['y', 's']) expect(Array.from(await c[k]!.download())).toEqual(Array.from(await a[k]!.download()));
    pooled.dispose(); transient.dispose();
    await b.dispose();
  });

  it('outputs fed back as inputs stay ORT values; run({outputs}) returns only those, via a pruned session', async () => {
    const b = new OnnxRuntimeBackend();
    const exe = await b.compile(g);
    const w = b.upload({ data: Float32Array.of(1, 2, 3), shape: [3], dtype: 'f32' });
    let x = b.upload({ data: Float32Array.of(0.1, 0.2, 0.3), shape: [3], dtype: 'f32' });
    const want = interpret(g, { x: [0.1, 0.2, 0.3], w: [1, 2, 3] });
    for (let step = 0; step < 3; step++) {
      const r = await exe.run({ x, w }, { outputs: ['y'] });
      expect(Object.keys(r)).toEqual(['y']);
      x.dispose();
      x = r.y!;
    }
    const expected = [0.1, 0.2, 0.3].map((v, i) => { let t = Math.fround(v); for (let s = 0; s < 3; s++) t = Math.tanh(t * (i + 1)); return t; });
    const got = await x.download();
    expected.forEach((e, i) => expect(got[i]!).toBeCloseTo(e, 5));
    expect(want.y![0]).toBeCloseTo(Math.tanh(0.1), 6);
    expect(b.sessionCount).toBe(2); // full graph + the ['y'] subset
    await expect(exe.run({ x, w }, { outputs: ['nope'] })).rejects.toThrow(/unknown output "nope"/);
    expect(() => x.dispose()).not.toThrow();
    await expect(x.download()).rejects.toThrow(/after dispose/);
    exe.dispose(); w.dispose();
    await b.dispose();
  });

  it('take() hands over the output array onnxruntime-node made (no second copy) and disposes; f64 computed as f32 comes back widened', async () => {
    const b = new OnnxRuntimeBackend();
    const exe = await b.compile(g);
    const r = await exe.run({ x: { data: Float32Array.of(0.1, 0.2, 0.3), shape: [3], dtype: 'f32' }, w: { data: Float32Array.of(1, 2, 3), shape: [3], dtype: 'f32' } });
    const y = r.y! as OrtDeviceTensor;
    const own = y.tensor.data, copy = await y.download();
    expect(copy).not.toBe(own);
    const taken = await y.take();
    expect(taken).toBe(own);
    expect(Array.from(taken)).toEqual(Array.from(copy));
    await expect(y.download()).rejects.toThrow(/after dispose/);
    exe.dispose();
    await b.dispose();
    // f64 computed as float32 (WebGPU): the ORT value holds float32, so take() widens a copy.
    const ort = await import('onnxruntime-node');
    const w = new OrtDeviceTensor('test', new ort.Tensor('float32', Float32Array.of(0.5, -1.25), [2]), [2], 'f64');
    const got = await w.take();
    expect(got).toBeInstanceOf(Float64Array);
    expect(Array.from(got)).toEqual([0.5, -1.25]);
    await expect(w.download()).rejects.toThrow(/after dispose/);
  });

  it('upload with borrow keeps the caller array (no copy) and computes with it; take() then copies; a plain upload copies', async () => {
    const b = new OnnxRuntimeBackend();
    const exe = await b.compile(g);
    const mine = Float32Array.of(1, 2, 3);
    const lent = b.upload({ data: mine, shape: [3], dtype: 'f32' }, { borrow: true }) as OrtDeviceTensor;
    const copied = b.upload({ data: mine, shape: [3], dtype: 'f32' }) as OrtDeviceTensor;
    expect(lent.tensor.data).toBe(mine);
    expect(copied.tensor.data).not.toBe(mine);
    const y = await (await exe.run({ x: { data: Float32Array.of(0.5, 0.5, 0.5), shape: [3], dtype: 'f32' }, w: lent })).y!.download();
    expect(Array.from(y)).toEqual(Array.from((await (await exe.run({ x: { data: Float32Array.of(0.5, 0.5, 0.5), shape: [3], dtype: 'f32' }, w: copied })).y!.download())));
    const taken = await lent.take();
    expect(taken).not.toBe(mine);
    expect(Array.from(taken)).toEqual([1, 2, 3]);
    // A float64 array given for an f32 tensor is converted, so there is nothing to borrow: a copy.
    const f64 = Float64Array.of(1, 2);
    const conv = b.upload({ data: f64, shape: [2], dtype: 'f32' }, { borrow: true }) as OrtDeviceTensor;
    expect(conv.tensor.data).toBeInstanceOf(Float32Array);
    expect(Array.from(await conv.take())).toEqual([1, 2]);
    copied.dispose(); exe.dispose();
    await b.dispose();
  });

  it('bad inputs give errors that say what is expected', async () => {
    const exe = await backend.compile(g);
    await expect(exe.run({ x: { data: Float32Array.of(1, 2, 3), shape: [3], dtype: 'f32' } })).rejects.toThrow(/missing input "w" \(f32\[3\]\)/);
    await expect(exe.run({ x: { data: Float32Array.of(1, 2), shape: [2], dtype: 'f32' }, w: { data: Float32Array.of(1, 2, 3), shape: [3], dtype: 'f32' } })).rejects.toThrow(/expects f32\[3\]/);
    exe.dispose();
  });

  it('session options intraOpSpinning and a threaded pool give the same results as the default session', async () => {
    const { graph, feeds } = mlpForwardGrad('f32');
    const other = new OnnxRuntimeBackend({ intraOpNumThreads: 2, intraOpSpinning: false });
    try {
      const [a, b] = await Promise.all([backend.compile(graph).then((e) => e.run(feeds)), other.compile(graph).then((e) => e.run(feeds))]);
      for (const k of Object.keys(a)) {
        const [x, y] = [await a[k]!.download(), await b[k]!.download()];
        Array.from(x).forEach((v, i) => expect(Math.abs(y[i]! - v)).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(v)));
      }
    } finally { await other.dispose(); }
  });

  it('the fused SGD step keeps weights on the device and lowers the matmuls to Gemm (no weight-sized Transpose)', async () => {
    const model = new Mlp({ sizes: [8, 6, 3] });
    const step = sgdStepGraph(model, { batch: 5 });
    const { lowerGraph } = await import('./lower/model.js');
    const ops = lowerGraph(step).model.nodes.map((n) => n.opType);
    expect(ops.filter((o) => o === 'Transpose')).toEqual([]);
    expect(ops.filter((o) => o === 'Gemm').length).toBeGreaterThanOrEqual(5);
    // Numerics of the fused lowering against the reference.
    const rng = new Rng(9), init = initParams(model, rng);
    const feeds: Record<string, number[] | Float64Array | Int32Array> = { x: rng.normals(40), y: Int32Array.of(0, 2, 1, 1, 0), lr: [0.1] };
    for (const p of model.params) feeds[p.name] = init[p.name]!;
    const ref = interpret(step, feeds);
    const exe = await backend.compile(step);
    const res = await exe.run(Object.fromEntries(step.inputs.map((id) => {
      const n = step.nodes[id]!, name = (n.attrs as { name: string }).name;
      return [name, { data: n.dtype === 'i32' ? Int32Array.from(feeds[name]!) : Float32Array.from(feeds[name]!), shape: n.shape, dtype: n.dtype }];
    })));
    for (const p of model.params) {
      const got = await res[stepNames.newParam(p.name)]!.download(), want = ref[stepNames.newParam(p.name)]!;
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-5);
    }
    exe.dispose();
  });
});

describe('execution providers', () => {
  for (const ep of ['webgpu', 'cuda', 'tensorrt'] as const) {
    it(`${ep}: availability() is a reason a user can act on, never a crash`, async () => {
      const a = await providerAvailability(ep);
      if (a.available) {
        console.log(`${ep} is available here: ${a.detail}`);
        return;
      }
      expect(a.reason.length).toBeGreaterThan(40);
      if (ep === 'webgpu') expect(a.reason).toMatch(/Vulkan/);
      else expect(a.reason).toMatch(/CUDA 12 and cuDNN 9|CUDA 12, cuDNN 9/);
      if (ep !== 'webgpu') expect(a.reason).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12/);
      const b = new OnnxRuntimeBackend({ executionProviders: [ep] });
      expect(await b.availability()).toEqual({ available: false, reason: expect.stringContaining(`[${ep}]`) });
      await expect(b.compile(trace({ x: spec([2]) }, ({ x }) => ({ y: x.exp() })))).rejects.toThrow(/no execution provider could run this graph/);
    });
  }

  it('a provider list falls back in order, reports the provider that ran and warns (no silent fallback)', async () => {
    const gpu = await providerAvailability('webgpu');
    const b = createOnnxRuntimeBackend({ executionProviders: ['cuda', 'webgpu', 'cpu'] });
    const exe = await b.compile(trace({ x: spec([2]) }, ({ x }) => ({ y: x.exp() })));
    if (gpu.available) expect(exe.device).toBe('webgpu');
    else {
      expect(exe.device).toBe('cpu');
      expect(exe.warnings.join('\n')).toMatch(/ran on 'cpu' because \[cuda\] unavailable.*\[webgpu\] unavailable/s);
    }
    expect(b.dtypes).not.toContain('f64'); // webgpu in the list: f64 computed as f32 whatever loads
    exe.dispose();
    await b.dispose();
  });

  it('registers onnxruntime-cpu as the default and the GPU providers as opt-in', async () => {
    const entries = registeredBackends().filter((e) => e.name.startsWith('onnxruntime-'));
    expect(entries.map((e) => e.name).sort()).toEqual(['onnxruntime-cpu', 'onnxruntime-cuda', 'onnxruntime-tensorrt', 'onnxruntime-webgpu']);
    for (const e of entries) expect(e.priority >= 0).toBe(e.name === 'onnxruntime-cpu');
    expect((await resolveBackend()).name).toBe('onnxruntime-cpu');
  });

  it('parses node placement from verbose session logs (all on one provider, or split)', () => {
    const all = parsePlacement('x [V:onnxruntime:, session_state.cc:1380 VerifyEachNodeIsAssignedToAnEp]  All nodes placed on [WebGpuExecutionProvider]. Number of nodes: 12\n');
    expect(all?.counts).toEqual({ WebGpuExecutionProvider: 12 });
    expect(fallbackNodes(all!, 'WebGpuExecutionProvider')).toEqual([]);
    const log = [
      '2026 [V:onnxruntime:, session_state.cc:1377 VerifyEachNodeIsAssignedToAnEp] Node placements',
      '2026 [V:onnxruntime:, session_state.cc:1384 VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [CPUExecutionProvider]. Number of nodes: 2',
      '2026 [V:onnxruntime:, session_state.cc:1386 VerifyEachNodeIsAssignedToAnEp]   TopK (%TopK)',
      '2026 [V:onnxruntime:, session_state.cc:1386 VerifyEachNodeIsAssignedToAnEp]   Cast (%Cast_3)',
      '2026 [V:onnxruntime:, session_state.cc:1384 VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [WebGpuExecutionProvider]. Number of nodes: 9',
      '2026 [V:onnxruntime:, session_state.cc:1386 VerifyEachNodeIsAssignedToAnEp]   Gemm (%Gemm)',
      '2026 [I:onnxruntime:, other.cc:1 X] something else',
    ].join('\n');
    const p = parsePlacement(log)!;
    expect(p.counts).toEqual({ CPUExecutionProvider: 2, WebGpuExecutionProvider: 9 });
    expect(fallbackNodes(p, 'WebGpuExecutionProvider')).toEqual(['CPUExecutionProvider: TopK (%TopK)', 'CPUExecutionProvider: Cast (%Cast_3)']);
    expect(parsePlacement('no placement here')).toBeUndefined();
  });
});

it('graph outputs reading a graph input or a constant get their own value names', async () => {
  const b = new GraphBuilder();
  const x = b.input('x', [2], 'f32');
  const g = b.build({ x, same: x, k: b.constant([4, 5], [2], 'f32') });
  const exe = await backend.compile(g);
  const r = await exe.run({ x: { data: Float32Array.of(1, 2), shape: [2], dtype: 'f32' } });
  expect(Array.from(await r.x!.download())).toEqual([1, 2]);
  expect(Array.from(await r.same!.download())).toEqual([1, 2]);
  expect(Array.from(await r.k!.download())).toEqual([4, 5]);
  exe.dispose();
});
