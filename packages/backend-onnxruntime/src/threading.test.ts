import { spec, trace } from '@clt/core';
import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { OnnxRuntimeBackend } from './backend.js';
import { lowerGraph } from './lower/model.js';
import { probePlacement } from './placement.js';
import { defaultIntraOpThreads, resolveThreading } from './threading.js';

describe('thread-pool settings', () => {
  const saved = { t: process.env.CLT_ORT_THREADS, s: process.env.CLT_ORT_SPIN };
  afterEach(() => {
    for (const [k, v] of [['CLT_ORT_THREADS', saved.t], ['CLT_ORT_SPIN', saved.s]] as const) {
      if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
  });

  it('default: half the logical CPUs, clamped to 1..4, and no spinning', () => {
    // The documented rule, written out per core count.
    expect([1, 2, 3, 4, 6, 8, 16, 64].map((c) => defaultIntraOpThreads(c))).toEqual([1, 1, 1, 2, 3, 4, 4, 4]);
    const r = resolveThreading({}, {});
    expect(r).toEqual({ intraOpNumThreads: defaultIntraOpThreads(availableParallelism()), interOpNumThreads: 1, spinning: false, source: { threads: 'default', spinning: 'default' } });
  });

  it('CLT_ORT_THREADS and CLT_ORT_SPIN are honoured, and explicit options win over them', () => {
    expect(resolveThreading({}, { CLT_ORT_THREADS: '3', CLT_ORT_SPIN: '1' })).toMatchObject({ intraOpNumThreads: 3, spinning: true, source: { threads: 'env', spinning: 'env' } });
    expect(resolveThreading({}, { CLT_ORT_SPIN: 'off' }).spinning).toBe(false);
    expect(resolveThreading({ intraOpNumThreads: 2, intraOpSpinning: false }, { CLT_ORT_THREADS: '3', CLT_ORT_SPIN: '1' })).toMatchObject({ intraOpNumThreads: 2, spinning: false, source: { threads: 'option', spinning: 'option' } });
    // An empty variable counts as unset (a shell's `CLT_ORT_THREADS= clt ...`).
    expect(resolveThreading({}, { CLT_ORT_THREADS: '' }).source.threads).toBe('default');
  });

  it('invalid values are refused with what to set instead', () => {
    for (const bad of ['abc', '0', '2.5', '-1', '1e3', '5000']) {
      expect(() => resolveThreading({}, { CLT_ORT_THREADS: bad }), bad).toThrow(/CLT_ORT_THREADS='.*'.*(not a thread count|whole number of threads from 1 to 1024)/);
    }
    expect(() => resolveThreading({}, { CLT_ORT_SPIN: 'maybe' })).toThrow(/CLT_ORT_SPIN='maybe' is not understood; set it to 1 .* or 0/);
    for (const bad of [0, -2, 1.5, Number.NaN]) expect(() => resolveThreading({ intraOpNumThreads: bad }, {}), String(bad)).toThrow(/intraOpNumThreads is .*; give a whole number of threads from 1 to 1024/);
    // ...and a bad environment fails where the backend is made, not at its first compile.
    process.env.CLT_ORT_THREADS = 'many';
    expect(() => new OnnxRuntimeBackend()).toThrow(/CLT_ORT_THREADS='many' is not a thread count/);
  });

  it('a backend made without options (as the registry makes onnxruntime-cpu) reads the environment', () => {
    process.env.CLT_ORT_THREADS = '3';
    process.env.CLT_ORT_SPIN = '1';
    const o = new OnnxRuntimeBackend().sessionOptions('cpu');
    expect(o).toMatchObject({ intraOpNumThreads: 3, interOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: '1' }, inter_op: { allow_spinning: '1' } } } });
    delete process.env.CLT_ORT_SPIN;
    expect(new OnnxRuntimeBackend().sessionOptions('cpu').extra).toEqual({ session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } });
  });

  it('the settings reach ONNX Runtime: its verbose session log shows the pool size and both spinning entries off', async () => {
    const backend = new OnnxRuntimeBackend({ intraOpNumThreads: 3 });
    const { executionProviders: _, ...options } = backend.sessionOptions('cpu');
    const g = trace({ x: spec([4], 'f32') }, ({ x }) => ({ y: x.relu() }));
    const { log } = await probePlacement(lowerGraph(g).bytes, 'cpu', options as Record<string, unknown>);
    const line = log.split('\n').find((l) => l.includes('Session Options {'));
    expect(line, 'ONNX Runtime printed no "Session Options" line at verbose level').toBeDefined();
    expect(line).toMatch(/intra_op_param:OrtThreadPoolParams \{ thread_pool_size: 3 /);
    expect(line).toMatch(/inter_op_param:OrtThreadPoolParams \{ thread_pool_size: 1 /);
    // The config entries ORT reads when it builds the per-session pools (the param structs above
    // are printed before that and still show its default allow_spinning: 1).
    expect(line).toMatch(/config_options: \{.*session\.inter_op\.allow_spinning: 0.*session\.intra_op\.allow_spinning: 0.*\}/);
  }, 60_000);
});
