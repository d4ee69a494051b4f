import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint, Mlp, train } from '../index.js';
import { blobs } from '../train/train-fixtures.js';
import { ReferenceBackend } from './backend.js';
import { interpret } from './interpret.js';
import { spec, trace } from '../ir/builder.js';
import { unsupportedOps } from '../backend/contract.js';
import { ALL_OPS } from '../ir/ops.js';

/** The contract on the reference backend: device tensors, run options, errors that say what to do. */
describe('ReferenceBackend contract', () => {
  const g = trace({ w: spec([2, 2], 'f64'), x: spec([2], 'f64') }, ({ w, x }) => ({ y: w!.matmul(x!.reshape([2, 1])).reshape([2]), n: x!.mul(x!).sum() }));

  it('is available, lists every op and computes in float64', async () => {
    const b = new ReferenceBackend();
    expect(await b.availability()).toMatchObject({ available: true });
    expect(unsupportedOps(g, b.supportedOps)).toEqual([]);
    expect([...b.supportedOps].sort()).toEqual([...ALL_OPS].sort());
    // 0.1 + 0.2 in float64 is not 0.3; a float32 pipeline would round it differently.
    const add = trace({ a: spec([1], 'f64'), c: spec([1], 'f64') }, ({ a, c }) => ({ y: a!.add(c!) }));
    const r = await (await b.compile(add)).run({ a: { data: Float64Array.of(0.1), shape: [1], dtype: 'f64' }, c: { data: Float64Array.of(0.2), shape: [1], dtype: 'f64' } });
    expect((await r.y!.download())[0]).toBe(0.1 + 0.2);
  });

  it('keeps device tensors between runs and returns only requested outputs', async () => {
    const b = new ReferenceBackend();
    const exe = await b.compile(g);
    const w = b.upload({ data: Float64Array.of(1, 2, 3, 4), shape: [2, 2], dtype: 'f64' });
    const out = await exe.run({ w, x: { data: Float64Array.of(1, -1), shape: [2], dtype: 'f64' } }, { outputs: ['y'] });
    expect(Object.keys(out)).toEqual(['y']);
    expect(Array.from(await out.y!.download())).toEqual([1 - 2, 3 - 4]);
    expect(out.y!.shape).toEqual([2]);
    const again = await exe.run({ w, x: out.y! });
    expect(Array.from(await again.y!.download())).toEqual(Array.from(interpret(g, { w: [1, 2, 3, 4], x: [-1, -1] }).y!));
    expect(Array.from(await again.n!.download())).toEqual([2]);
  });

  it('download returns a copy; dispose makes later use an error', async () => {
    const b = new ReferenceBackend();
    const t = b.upload({ data: Float64Array.of(1, 2, 3, 4), shape: [2, 2], dtype: 'f64' });
    const d = await t.download();
    d[0] = 99;
    expect((await t.download())[0]).toBe(1);
    t.dispose();
    await expect(t.download()).rejects.toThrow(/after dispose/);
  });

  it('errors name the input and what is wrong', async () => {
    const b = new ReferenceBackend();
    const exe = await b.compile(g);
    await expect(exe.run({ x: { data: Float64Array.of(1, 2), shape: [2], dtype: 'f64' } })).rejects.toThrow(/missing input "w" \(f64\[2,2\]\)/);
    expect(() => b.upload({ data: Float64Array.of(1, 2, 3), shape: [2, 2], dtype: 'f64' })).toThrow(/3 values for shape \[2,2\]/);
    const foreign = { shape: [2], dtype: 'f64' as const, backend: 'other', download: async () => new Float64Array(2), dispose: () => {} };
    await expect(exe.run({ w: { data: new Float64Array(4), shape: [2, 2], dtype: 'f64' }, x: foreign })).rejects.toThrow(/lives on backend "other"; download it first/);
  });
});

/** Issue 17, defect 6: the reference is as strict as the contract and downloads the array type of each dtype. */
describe('ReferenceBackend is as strict as the contract', () => {
  const g = trace({ w: spec([2, 3], 'f32'), b: spec([3], 'f32') }, ({ w, b }) => ({ y: w!.add(b!), i: w!.cast('i32'), p: w!.greater(b!), d: w!.cast('f64') }));
  const w = { data: Float32Array.of(1, 2, 3, 4, 5, 6), shape: [2, 3], dtype: 'f32' as const };
  const b = { data: Float32Array.of(0.5, 0.5, 0.5), shape: [3], dtype: 'f32' as const };

  it('rejects inputs of the wrong shape, rank, dtype or length, naming the input, expected and got', async () => {
    const be = new ReferenceBackend(), exe = await be.compile(g);
    await expect(exe.run({ w: { ...w, shape: [3, 2] }, b })).rejects.toThrow(/\[reference\] input "w" is f32\[3,2\], the graph expects f32\[2,3\]/);
    await expect(exe.run({ w: { ...w, shape: [6] }, b })).rejects.toThrow(/input "w" is f32\[6\], the graph expects f32\[2,3\]/);
    await expect(exe.run({ w, b: { data: Int32Array.of(1, 1, 1), shape: [3], dtype: 'i32' } })).rejects.toThrow(/input "b" is i32\[3\], the graph expects f32\[3\]/);
    await expect(exe.run({ w, b: { ...b, data: Float32Array.of(1, 2) } })).rejects.toThrow(/input "b" has 2 values for shape \[3\]/);
    await expect(exe.run({ w: be.upload({ ...w, shape: [3, 2] }), b })).rejects.toThrow(/input "w" is f32\[3,2\]/);
    await expect(exe.run({ w, b }, { outputs: ['nope'] })).rejects.toThrow(/unknown output "nope" \(outputs: y, i, p, d\)/);
    expect(() => be.upload({ data: new Float32Array(2), shape: [2], dtype: 'f16' as any })).toThrow(/unknown dtype "f16"/);
  });

  it('downloads Float32Array for f32, Float64Array for f64, Int32Array for i32, Uint8Array for bool', async () => {
    const be = new ReferenceBackend(), out = await (await be.compile(g)).run({ w, b });
    const types = Object.fromEntries(await Promise.all(Object.entries(out).map(async ([k, t]) => [k, (await t.download()).constructor.name])));
    expect(types).toEqual({ y: 'Float32Array', i: 'Int32Array', p: 'Uint8Array', d: 'Float64Array' });
    expect((await be.upload({ data: Float64Array.of(0.1), shape: [1], dtype: 'f32' }).download())).toEqual(Float32Array.of(0.1));
    expect((await be.upload({ data: Float32Array.of(1, 0), shape: [2], dtype: 'i32' }).download())).toBeInstanceOf(Int32Array);
  });

  it('computes f32 graphs in float64 and rounds where values leave the graph', async () => {
    // (x + ε) − x with ε = 2⁻²⁷ ≈ 7.5e-9 (exact in float32): 0 in float32 arithmetic, ε in float64.
    const eps = 2 ** -27;
    const h = trace({ x: spec([1], 'f32') }, ({ x }) => ({ y: x!.add(eps).sub(x!) }));
    const y = await (await (await new ReferenceBackend().compile(h)).run({ x: { data: Float32Array.of(1), shape: [1], dtype: 'f32' } })).y!.download();
    expect(y).toEqual(Float32Array.of(eps));
    // Host f32 data in a Float64Array is read as float32, as a float32 backend reads it.
    const z = await (await (await new ReferenceBackend().compile(h)).run({ x: { data: Float64Array.of(1 + 2 ** -40), shape: [1], dtype: 'f32' } })).y!.download();
    expect(z).toEqual(Float32Array.of(eps));
  });

  it('train() with runDir works on the reference in f32 (checkpoint of Float32Array weights) and resumes bit-exactly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clt-ref-train-'));
    try {
      const opts = (steps: number) => ({
        model: new Mlp({ sizes: [4, 5, 3], activation: 'tanh' as const }), backend: new ReferenceBackend(), train: blobs(24, 3, 4), batch: 6, steps,
        schedule: { kind: 'constant' as const, lr: 0.1 }, seed: 1, monitor: false as const, checkpointEvery: 2,
      });
      const full = await train({ ...opts(6), runDir: mkdtempSync(join(dir, 'full-')) });
      expect(full.status).toBe('completed');
      const ckpt = loadCheckpoint(join(dir, readdirSync(dir)[0]!, 'checkpoint'));
      for (const v of Object.values(ckpt.tensors)) expect(v).toBeInstanceOf(Float32Array);
      const run = join(dir, 'halted');
      expect((await train({ ...opts(6), runDir: run, haltAfter: 5 })).status).toBe('halted');
      const resumed = await train({ ...opts(6), runDir: run, resume: true });
      for (const [k, v] of Object.entries(full.params)) expect(Array.from(resumed.params[k]!)).toEqual(Array.from(v));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('reference kernels against closed forms', () => {
  const run1 = (fn: (x: any) => any, x: number[], dtype: 'f64' | 'i32' = 'f64') =>
    Array.from(interpret(trace({ x: spec([x.length], dtype) }, ({ x: t }) => ({ y: fn(t) })), { x }).y!);

  it('sigmoid is stable for large |x| and erf matches known values', () => {
    const s = run1((t) => t.sigmoid(), [-800, 0, 800, 2]);
    expect(s.slice(0, 3)).toEqual([0, 0.5, 1]);
    expect(s[3]).toBeCloseTo(1 / (1 + Math.exp(-2)), 15);
    // erf(0.5), erf(1), erf(2) from Abramowitz & Stegun table 7.1.
    const e = run1((t) => t.erf(), [0, 0.5, 1, 2, -1]);
    const want = [0, 0.5204998778130465, 0.8427007929497149, 0.9953222650189527, -0.8427007929497149];
    e.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-12));
  });

  it('integer ops stay integral; cast truncates toward zero', () => {
    expect(run1((t) => t.cast('i32'), [-1.7, -0.5, 0.5, 2.9])).toEqual([-1, 0, 0, 2]);
    expect(run1((t) => t.neg().abs().add(t), [-3, 4], 'i32')).toEqual([0, 8]);
  });

  it('sortDesc, cumsum and gather agree with plain array code', () => {
    const x = [3, -1, 4, 1, -5, 9, 2, 6];
    expect(run1((t) => t.sortDesc(), x)).toEqual([...x].sort((a, b) => b - a));
    let acc = 0;
    expect(run1((t) => t.cumsum(), x)).toEqual(x.map((v) => (acc += v)));
    acc = 0;
    expect(run1((t) => t.cumsum(0, true), x)).toEqual([...x].reverse().map((v) => (acc += v)).reverse());
    const idx = [7, 0, 7, 3];
    expect(run1((t) => t.gather(t.builder.constant(idx, [4], 'i32')), x)).toEqual(idx.map((i) => x[i]!));
  });

  it('gather rejects out-of-range indices with the index and axis size', () => {
    const g = trace({ x: spec([3], 'f64'), i: spec([1], 'i32') }, ({ x, i }) => ({ y: x!.gather(i!) }));
    expect(() => interpret(g, { x: [1, 2, 3], i: [3] })).toThrow(/index 3 out of range for axis of size 3/);
  });

  it('matmul agrees with the triple loop, with broadcast batch', () => {
    const a = [1, 2, 3, 4, 5, 6], b = [7, 8, 9, 10, 11, 12, -1, 0, 2, 1, 0, 3];
    const g = trace({ a: spec([2, 3], 'f64'), b: spec([2, 3, 2], 'f64') }, ({ a: x, b: y }) => ({ y: x!.matmul(y!) }));
    const got = Array.from(interpret(g, { a, b }).y!);
    const want: number[] = [];
    for (let bi = 0; bi < 2; bi++) for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += a[i * 3 + k]! * b[bi * 6 + k * 2 + j]!;
      want.push(s);
    }
    expect(got).toEqual(want);
  });
});
