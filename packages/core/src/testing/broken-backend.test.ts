import { describe, expect, it } from 'vitest';
import type { DeviceTensor, Executable, HostTensor } from '../backend/contract.js';
import { isDeviceTensor, takeHost } from '../backend/contract.js';
import type { DType, TypedArray } from '../ir/dtype.js';
import { inputSpecs, size, type Graph, type Node } from '../ir/graph.js';
import { ALL_OPS, isBinary } from '../ir/ops.js';
import { evalNode } from '../reference/kernels.js';
import { ReferenceBackend } from '../reference/backend.js';
import { conformanceCases, runConformance, summarizeConformance } from './index.js';

/**
 * A toy backend that wraps the reference but rewrites the graph it is given, the way a buggy
 * lowering would. The suite must catch each bug, by name.
 */
class RewritingBackend extends ReferenceBackend {
  constructor(private readonly rewrite: (g: Graph) => Graph) { super(); }
  override async compile(graph: Graph): Promise<Executable> {
    const exe = await super.compile(this.rewrite(graph));
    return { ...exe, graph, run: exe.run.bind(exe), dispose: exe.dispose.bind(exe) };
  }
}
const mapNodes = (g: Graph, f: (n: Node) => Node): Graph => ({ ...g, nodes: g.nodes.map(f) });

/** A lowering table with a wrong entry: exp dispatched to the sigmoid kernel. */
const badExp = (g: Graph) => mapNodes(g, (n) => (n.op === 'exp' ? ({ ...n, op: 'sigmoid' } as Node) : n));

/**
 * The classic naive broadcast: operand b of a binary op is read cyclically, b[i mod |b|]. Right
 * for scalars and for rank extension ([4] against [2,3,4]), wrong for size-1 axes ([3,1] with [1,4]).
 */
class CyclicBroadcastBackend extends ReferenceBackend {
  override async compile(graph: Graph): Promise<Executable> {
    const base = await super.compile(graph);
    return {
      ...base,
      run: async (inputs) => {
        const vals: TypedArray[] = [];
        for (const n of graph.nodes) {
          if (n.op === 'input') vals[n.id] = Float64Array.from((inputs[(n.attrs as { name: string }).name] as HostTensor).data);
          else if (n.op === 'const') vals[n.id] = (n.attrs as { value: Float64Array }).value;
          else if (isBinary(n.op) && n.inputs.some((i) => size(graph.nodes[i]!.shape) !== size(n.shape))) {
            const [a, b] = n.inputs.map((i) => vals[i]!), f = evalNode;
            const out = new Float64Array(size(n.shape));
            const one = (x: number, y: number) => f({ ...n, shape: [] }, [Float64Array.of(x), Float64Array.of(y)], [[], []])[0]!;
            for (let i = 0; i < out.length; i++) out[i] = one(a![i % a!.length]!, b![i % b!.length]!);
            vals[n.id] = out;
          } else vals[n.id] = evalNode(n, n.inputs.map((i) => vals[i]!), n.inputs.map((i) => graph.nodes[i]!.shape));
        }
        const out: Record<string, DeviceTensor> = {};
        for (const o of graph.outputs) out[o.name] = this.upload({ data: vals[o.id]!, shape: graph.nodes[o.id]!.shape, dtype: graph.nodes[o.id]!.dtype });
        return out;
      },
    };
  }
}

/** A backend that rejects broadcasting outright: the failure is a thrown error, reported per case. */
class NoBroadcastBackend extends ReferenceBackend {
  override async compile(graph: Graph): Promise<Executable> {
    for (const n of graph.nodes)
      if ((n.op === 'add' || n.op === 'mul') && n.inputs.some((i) => graph.nodes[i]!.shape.join(',') !== n.shape.join(',')))
        throw new Error(`${n.op}: broadcasting not implemented`);
    return super.compile(graph);
  }
}

describe('the conformance suite can fail', () => {
  it('catches an exp kernel that computes something else, in forward, VJP and composite cases', async () => {
    const results = await runConformance(new RewritingBackend(badExp));
    const failed = results.filter((r) => !r.ok).map((r) => r.name);
    // The summary names each failure; it is checked, not printed: its "FAIL" lines are expected
    // here and would read like real failures in the test log.
    const summary = summarizeConformance(results);
    expect(summary).toMatch(new RegExp(`^\\d+ passed, ${failed.length} failed, `));
    expect(summary).toContain('FAIL forward/exp:');
    expect(failed).toContain('forward/exp');
    expect(failed).toContain('forward/exp/nan-inf');
    expect(failed).toContain('vjp/exp');
    expect(failed).toContain('composite/mlp-loss-grad');
    expect(failed).toContain('composite/softmax-xent-grad');
    expect(failed).not.toContain('forward/log');
  });

  it('catches a cyclic (numpy-less) broadcast in the size-1 cases only', async () => {
    const results = await runConformance(new CyclicBroadcastBackend(), { dtype: 'f64' });
    const failed = results.filter((r) => !r.ok).map((r) => r.name);
    expect(summarizeConformance(results).split('\n')[0]).toMatch(new RegExp(`^\\d+ passed, ${failed.length} failed, `)); // checked, not printed (see above)
    expect(failed).toEqual(expect.arrayContaining(['forward/add/broadcast-size1', 'forward/mul/broadcast-size1', 'forward/pow/broadcast-size1', 'vjp/add/broadcast']));
    expect(failed).not.toContain('forward/add/broadcast-scalar');
    expect(failed).not.toContain('forward/add/rank-extension');
    expect(failed).not.toContain('forward/exp');
  });

  it('catches a backend without broadcasting', async () => {
    const results = await runConformance(new NoBroadcastBackend());
    const failed = results.filter((r) => !r.ok).map((r) => r.name);
    expect(failed).toEqual(expect.arrayContaining(['forward/add/broadcast-scalar', 'forward/add/broadcast-size1', 'forward/add/rank-extension', 'forward/mul/rank-extension']));
    expect(failed).not.toContain('forward/add');
    expect(results.find((r) => r.name === 'forward/add/broadcast-scalar')!.message).toMatch(/broadcasting not implemented/);
  });

  it('catches contract violations: a dispose that does not dispose, outputs that are dropped', async () => {
    class Sloppy extends ReferenceBackend {
      override upload(t: HostTensor): DeviceTensor {
        return Object.assign(super.upload(t), { dispose: () => {} }); // forgets to release anything
      }
      override async compile(graph: Graph): Promise<Executable> {
        const exe = await super.compile(graph);
        return { ...exe, run: async (inputs, options) => (options?.outputs ? {} : exe.run(inputs)) };
      }
    }
    const results = await runConformance(new Sloppy(), { skip: { forward: 'contract only', vjp: 'contract only', composite: 'contract only' } });
    const failed = results.filter((r) => !r.ok).map((r) => r.name);
    expect(failed).toEqual(['contract/requested-outputs', 'contract/dispose']);
    expect(results.filter((r) => r.skipped === 'contract only')).toHaveLength(conformanceCases('f32').length);
  });

  it('catches a take() that does not dispose, and one that returns other values', async () => {
    const withTake = (take: (t: DeviceTensor) => () => Promise<TypedArray>) => class extends ReferenceBackend {
      override upload(t: HostTensor): DeviceTensor {
        const d = super.upload(t);
        return Object.assign(d, { take: take(d) });
      }
    };
    const skip = { skip: { forward: 'contract only', vjp: 'contract only', composite: 'contract only' } };
    const keeps = await runConformance(new (withTake((d) => () => d.download()))(), skip); // forgets to dispose
    expect(keeps.find((r) => r.name === 'contract/dispose')?.message).toMatch(/download\(\) after take\(\) succeeded/);
    const wrong = await runConformance(new (withTake((d) => async () => { const v = await d.download(); d.dispose(); return v.map((x) => x + 1); }))(), skip);
    expect(wrong.find((r) => r.name === 'contract/dispose')?.message).toMatch(/take\(\) gave \[5, -4, 7\]/);
    const good = await runConformance(new (withTake((d) => async () => { const v = await d.download(); d.dispose(); return v; }))(), skip);
    expect(good.find((r) => r.name === 'contract/dispose')?.ok).toBe(true);
    // takeHost without take() (the reference backend): the values, then the tensor is disposed.
    const t = new ReferenceBackend().upload({ data: Float32Array.of(1, 2), shape: [2], dtype: 'f32' });
    expect(Array.from(await takeHost(t))).toEqual([1, 2]);
    await expect(t.download()).rejects.toThrow(/after dispose/);
  });

  it("catches a take() of run outputs whose array a later run overwrites (a reused output buffer)", async () => {
    // Run outputs get a take() that hands out one buffer per output name, rewritten by every run.
    const withOutputTake = (reuse: boolean) => class extends ReferenceBackend {
      override async compile(graph: Graph): Promise<Executable> {
        const exe = await super.compile(graph), buffers = new Map<string, TypedArray>();
        return {
          ...exe,
          run: async (inputs, options) => {
            const out = await exe.run(inputs, options);
            for (const [name, t] of Object.entries(out)) {
              const values = await t.download();
              const take = async () => {
                t.dispose();
                if (!reuse) return values;
                const buf = buffers.get(name) ?? values.slice();
                buffers.set(name, buf);
                buf.set(values);
                return buf;
              };
              out[name] = Object.assign(t, { take });
              if (reuse && buffers.has(name)) buffers.get(name)!.set(values); // the next run writes into the handed-out array
            }
            return out;
          },
        };
      }
    };
    const skip = { skip: { forward: 'contract only', vjp: 'contract only', composite: 'contract only' } };
    const reused = await runConformance(new (withOutputTake(true))(), skip);
    expect(reused.find((r) => r.name === 'contract/dispose')?.message).toMatch(/take\(\) of a run output gave \[20, 40, 60\].*later run write into it/);
    const fresh = await runConformance(new (withOutputTake(false))(), skip);
    expect(fresh.find((r) => r.name === 'contract/dispose')?.ok).toBe(true);
  });

  it('catches a backend that accepts inputs of the wrong shape or dtype (the old, lax reference)', async () => {
    // Reads whatever it is given as if it had the graph's shape and dtype, as a lowering that
    // hands raw buffers to its kernels would.
    class Lax extends ReferenceBackend {
      override async compile(graph: Graph): Promise<Executable> {
        const exe = await super.compile(graph), specs = inputSpecs(graph);
        const coerce = (t: HostTensor | DeviceTensor, s: { shape: readonly number[]; dtype: DType }) =>
          isDeviceTensor(t) ? Object.assign(Object.create(Object.getPrototypeOf(t)), t, { shape: s.shape, dtype: s.dtype }) : { ...t, shape: s.shape, dtype: s.dtype };
        return {
          ...exe,
          run: (inputs, options) => exe.run(Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, specs[k] ? coerce(t, specs[k]!) : t])), options),
        };
      }
    }
    const results = await runConformance(new Lax(), { skip: { forward: 'contract only', vjp: 'contract only', composite: 'contract only' } });
    const failed = results.filter((r) => !r.ok);
    expect(failed.map((r) => r.name)).toEqual(['contract/input-validation']);
    expect(failed[0]!.message).toMatch(/wrong shape \[3,2\] for \[2,3\]: run\(\) accepted it/);
    expect(failed[0]!.message).toMatch(/i32 for f32: run\(\) accepted it/);
    // A missing input is still refused by the wrapped reference, with its name.
    expect(failed[0]!.message).not.toMatch(/missing input/);
  });

  it('catches a backend that truncates non-integer i32 host data (1.5 → 1, NaN → 0) instead of refusing it', async () => {
    // What `Int32Array.from(data)` in a lowering does: a bad label becomes a plausible class.
    class Truncating extends ReferenceBackend {
      override async compile(graph: Graph): Promise<Executable> {
        const exe = await super.compile(graph);
        const fix = (t: HostTensor | DeviceTensor) => (!isDeviceTensor(t) && t.dtype === 'i32' ? { ...t, data: Int32Array.from(t.data) } : t);
        return { ...exe, run: (inputs, options) => exe.run(Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, fix(t)])), options) };
      }
    }
    const results = await runConformance(new Truncating(), { skip: { forward: 'contract only', vjp: 'contract only', composite: 'contract only' } });
    const failed = results.filter((r) => !r.ok);
    expect(failed.map((r) => r.name)).toEqual(['contract/input-validation']);
    expect(failed[0]!.message).toMatch(/1\.5 declared i32: run\(\) accepted it/);
    expect(failed[0]!.message).toMatch(/NaN declared i32: run\(\) accepted it/);
  });

  it('catches downloads in the wrong array type (f32 as Float64Array, i32 as Float64Array)', async () => {
    class Widening extends ReferenceBackend {
      override upload(t: HostTensor): DeviceTensor { return widen(super.upload(t)); }
      override async compile(graph: Graph): Promise<Executable> {
        const exe = await super.compile(graph);
        return { ...exe, run: async (inputs, options) => Object.fromEntries(Object.entries(await exe.run(inputs, options)).map(([k, t]) => [k, widen(t)])) };
      }
    }
    // Still a reference tensor (so it can be fed back to run), with a widening download.
    const widen = (t: DeviceTensor): DeviceTensor => {
      const w: DeviceTensor = Object.assign(Object.create(Object.getPrototypeOf(t)), t);
      const dispose = w.dispose.bind(w);
      return Object.assign(w, {
        download: async () => (t.dtype === 'bool' ? t.download() : Float64Array.from(await t.download())),
        dispose: () => { dispose(); t.dispose(); },
      });
    };
    const results = await runConformance(new Widening(), { skip: { forward: 'contract only', vjp: 'contract only', composite: 'contract only' } });
    const failed = results.filter((r) => !r.ok);
    expect(failed.map((r) => r.name)).toEqual(['contract/download-dtypes']);
    expect(failed[0]!.message).toMatch(/uploaded tensor \(f32\) downloaded as Float64Array, expected Float32Array/);
    expect(failed[0]!.message).toMatch(/output "i" \(i32\) downloaded as Float64Array, expected Int32Array/);
    expect(failed[0]!.message).not.toMatch(/bool/);
    // In f64 the same backend is right for floats and still wrong for i32.
    const f64 = (await runConformance(new Widening(), { dtype: 'f64', skip: { forward: 'contract only', vjp: 'contract only', composite: 'contract only' } })).filter((r) => !r.ok);
    expect(f64.map((r) => r.message).join()).not.toMatch(/\(f64\)/);
    expect(f64.map((r) => r.message).join()).toMatch(/\(i32\) downloaded as Float64Array/);
  });

  it('skips are reported with their reason, tolerances apply per op, and unknown keys are refused', async () => {
    const b = new RewritingBackend(badExp);
    const results = await runConformance(b, { skip: { exp: 'exp lowering under repair', 'vjp/erf': 'erf derivative uses exp' }, perCase: { 'composite/mlp-forward': { rtol: 1, atol: 1 } } });
    const byName = new Map(results.map((r) => [r.name, r]));
    expect(byName.get('forward/exp')).toMatchObject({ ok: true, skipped: 'exp lowering under repair' });
    expect(byName.get('forward/exp/nan-inf')!.skipped).toBe('exp lowering under repair');
    expect(byName.get('vjp/erf')!.skipped).toBe('erf derivative uses exp');
    // Loosened to rtol 1 the MLP forward passes; the other composites through exp still fail.
    expect(results.filter((r) => !r.ok).map((r) => r.name)).toEqual(['composite/mlp-loss-grad', 'composite/mlp-hvp', 'composite/softmax-xent-grad', 'composite/softmax-xent-large-logits', 'composite/convnet-hvp']);
    await expect(runConformance(b, { skip: { 'forwrd/exp': 'typo' } })).rejects.toThrow(/skip\["forwrd\/exp"\] match no case/);
    await expect(runConformance(b, { perCase: { erf: { rtol: -1 } } })).rejects.toThrow(/erf.rtol must be a non-negative number/);
  });

  it('has unique case names and covers every op', () => {
    const cases = conformanceCases('f32');
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    const forward = new Set(cases.filter((c) => c.kind === 'forward').map((c) => c.op));
    expect(ALL_OPS.filter((op) => !forward.has(op))).toEqual([]);
    const differentiable = ALL_OPS.filter((op) => !['greater', 'greaterEqual', 'equal', 'oneHot', 'sortDesc', 'input', 'const'].includes(op));
    const withVjp = new Set(cases.filter((c) => c.kind === 'vjp').map((c) => c.op));
    expect(differentiable.filter((op) => !withVjp.has(op))).toEqual([]);
    expect(conformanceCases('f64').map((c) => c.name)).toEqual(cases.map((c) => c.name));
  });
});
