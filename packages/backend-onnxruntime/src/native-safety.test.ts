import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Things that once went wrong inside the native library, checked in a child process so that a
 * regression fails this test instead of killing the test runner: ONNX Runtime's CPU TopK raised
 * SIGFPE (exit 136) on a zero-size batch, reached by sparsemax and 1.5-entmax on an empty batch
 * (issue 17, defect 2); and each process left `/tmp/mat-debug-<pid>.log` and a telemetry database
 * under the home folder (issue 17, item 11). The child runs the built package (dist/), which the
 * test task builds first.
 */
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const SCRIPT = `
  const { trace, spec, grad, sparsemaxLoss, entmax15Loss } = await import('@clt/core');
  const { OnnxRuntimeBackend } = await import(${JSON.stringify(dist)});
  const b = new OnnxRuntimeBackend();
  const out = {};
  const run = async (g, feeds) => {
    const r = await (await b.compile(g)).run(feeds);
    return Object.fromEntries(await Promise.all(Object.entries(r).map(async ([k, t]) => [k, { shape: t.shape, values: Array.from(await t.download()) }])));
  };
  const z = { data: new Float32Array(0), shape: [0, 4], dtype: 'f32' }, y = { data: new Int32Array(0), shape: [0], dtype: 'i32' };
  out.sort = await run(trace({ z: spec([0, 4]) }, ({ z }) => ({ s: z.sortDesc(), t: z.sortDesc().sum(0) })), { z });
  for (const [name, loss] of [['sparsemax', sparsemaxLoss], ['entmax15', entmax15Loss]]) {
    const g = trace({ z: spec([0, 4]), y: spec([0], 'i32') }, ({ z, y }) => ({ loss: loss.ir.loss(z, y).sum(), p: loss.ir.predict(z) }));
    out[name] = await run(grad(g, { of: 'loss', wrt: ['z'] }), { z, y });
  }
  await b.dispose();
  console.log(JSON.stringify(out));
`;

describe('ONNX Runtime in a child process (issue 17)', () => {
  let home: string, res: SpawnSyncReturns<string>;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'clt-ort-home-'));
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
    delete env.ORT_DISABLE_TELEMETRY; // the backend must set it itself
    res = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT], { cwd: fileURLToPath(new URL('..', import.meta.url)), env, encoding: 'utf8', timeout: 60_000 });
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('sortDesc, sparsemax and 1.5-entmax on an empty batch: empty predictions, loss 0, empty gradient, no SIGFPE', () => {
    expect({ status: res.status, signal: res.signal, stderr: res.stderr.slice(-2000) }).toMatchObject({ status: 0, signal: null });
    const out = JSON.parse(res.stdout.trim().split('\n').pop()!);
    expect(out.sort).toEqual({ s: { shape: [0, 4], values: [] }, t: { shape: [4], values: [0, 0, 0, 0] } });
    for (const name of ['sparsemax', 'entmax15'])
      expect(out[name]).toEqual({ loss: { shape: [], values: [0] }, p: { shape: [0, 4], values: [] }, grad_z: { shape: [0, 4], values: [] } });
  });

  it('leaves no /tmp/mat-debug-<pid>.log and nothing under the home folder (telemetry off)', () => {
    expect(res.status).toBe(0);
    expect(existsSync(join('/tmp', `mat-debug-${res.pid}.log`))).toBe(false);
    expect(existsSync(join(tmpdir(), `mat-debug-${res.pid}.log`))).toBe(false);
    expect(readdirSync(home)).toEqual([]);
  });
});
