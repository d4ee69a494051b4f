import type { Backend, DeviceTensor, HostTensor } from '../backend/contract.js';
import { CONTRACT_VERSION } from '../backend/contract.js';
import { spec, trace } from '../ir/builder.js';
import { toTyped, type DType } from '../ir/dtype.js';
import type { CaseResult } from './check.js';

/**
 * Checks of the backend contract beyond numerics, each a named result like a case:
 * - `contract/metadata`: contract version, name, dtypes and ops declared;
 * - `contract/upload-download`: a host tensor survives upload → download unchanged (f32 values), also
 *   uploaded with `borrow`, whose download() and take() never return the caller's array;
 * - `contract/device-inputs`: an output device tensor fed back into `run` (weights stay on device);
 * - `contract/requested-outputs`: `run(…, { outputs })` returns the requested outputs;
 * - `contract/dispose`: downloading a disposed tensor fails; where the backend has `take()`, it
 *   returns the uploaded values and leaves the tensor disposed, and an array taken from a run's
 *   output keeps its values through the next run (it is the caller's from then on);
 * - `contract/input-validation`: `run` rejects a missing input and an input of the wrong shape
 *   (`[3,2]` for `[2,3]`, host or device) or dtype (i32 for a float input), with an error that names
 *   the input, instead of computing something from misread memory; and i32 host data holding 1.5 or
 *   NaN (never silently truncated to a class index);
 * - `contract/download-dtypes`: `download()` returns the array type of the tensor's dtype
 *   (f32 → Float32Array, f64 → Float64Array, i32 → Int32Array, bool → Uint8Array), for uploaded
 *   tensors and run outputs: the trainer writes checkpoints from what downloads return.
 */
export const CONTRACT_CHECKS = [
  'contract/metadata', 'contract/upload-download', 'contract/device-inputs', 'contract/requested-outputs', 'contract/dispose',
  'contract/input-validation', 'contract/download-dtypes',
] as const;
/** The name of one backend contract check that {@link checkContract} runs: one of {@link CONTRACT_CHECKS}. */
export type ContractCheck = (typeof CONTRACT_CHECKS)[number];

const pass = (name: string): CaseResult => ({ name, ok: true, maxAbsErr: 0, maxRelErr: 0 });
const fail = (name: string, message: string): CaseResult => ({ name, ok: false, maxAbsErr: Infinity, maxRelErr: Infinity, message });
const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((v, i) => v === b[i]);

/** Run one contract check on `backend` (in `dtype` graphs); never throws. */
export async function checkContract(backend: Backend, check: ContractCheck, dtype: 'f32' | 'f64' = 'f32'): Promise<CaseResult> {
  const held: DeviceTensor[] = [];
  try {
    switch (check) {
      case 'contract/metadata': {
        if (backend.contractVersion !== CONTRACT_VERSION) return fail(check, `contractVersion ${String(backend.contractVersion)}, core implements ${CONTRACT_VERSION}`);
        if (!backend.name) return fail(check, 'empty name');
        if (!backend.dtypes.some((d) => d === 'f32' || d === 'f64')) return fail(check, `dtypes [${backend.dtypes.join(', ')}] lists no float type`);
        if (backend.supportedOps.size === 0) return fail(check, 'supportedOps is empty');
        return pass(check);
      }
      case 'contract/upload-download': {
        const values = [1.5, -2.25, 0, 3, 1e-3, -7];
        const t = backend.upload({ data: toTyped(dtype, values), shape: [2, 3], dtype });
        held.push(t);
        const back = await t.download();
        if (t.shape.join(',') !== '2,3') return fail(check, `uploaded tensor has shape [${t.shape.join(',')}], expected [2,3]`);
        if (!same(back, toTyped(dtype, values))) return fail(check, `download gave [${Array.from(back).join(', ')}], uploaded [${values.join(', ')}]`);
        // A borrowed upload holds the same values; what download() and take() return is never the caller's array.
        const mine = toTyped(dtype, values);
        const b = backend.upload({ data: mine, shape: [2, 3], dtype }, { borrow: true });
        held.push(b);
        const got = await b.download();
        if (!same(got, mine)) return fail(check, `download of a borrowed upload gave [${Array.from(got).join(', ')}], uploaded [${values.join(', ')}]`);
        if (got === mine) return fail(check, "download() of a borrowed upload returned the caller's own array");
        if (b.take) {
          const taken = await b.take();
          if (taken === mine) return fail(check, "take() of a borrowed upload returned the caller's own array");
          if (!same(taken, mine)) return fail(check, `take() of a borrowed upload gave [${Array.from(taken).join(', ')}]`);
        }
        return pass(check);
      }
      case 'contract/device-inputs': {
        // One SGD-like step applied twice, the weights never leaving the device: w ← w − 0.5·(w − t).
        const g = trace({ w: spec([3], dtype), t: spec([3], dtype) }, ({ w, t }) => ({ w: w!.sub(w!.sub(t!).mul(0.5)) }));
        const exe = await backend.compile(g);
        try {
          const tgt = { data: toTyped(dtype, [2, 4, -8]), shape: [3], dtype };
          const w0 = backend.upload({ data: toTyped(dtype, [0, 0, 0]), shape: [3], dtype });
          held.push(w0);
          const w1 = (await exe.run({ w: w0, t: tgt })).w!;
          held.push(w1);
          const w2 = (await exe.run({ w: w1, t: tgt })).w!;
          held.push(w2);
          const got = await w2.download();
          if (!same(got, [1.5, 3, -6])) return fail(check, `two steps from 0 toward [2,4,-8] gave [${Array.from(got).join(', ')}], expected [1.5, 3, -6]`);
          return pass(check);
        } finally { exe.dispose(); }
      }
      case 'contract/requested-outputs': {
        const g = trace({ x: spec([2], dtype) }, ({ x }) => ({ a: x!.mul(2), b: x!.add(1) }));
        const exe = await backend.compile(g);
        try {
          const out = await exe.run({ x: { data: toTyped(dtype, [1, 2]), shape: [2], dtype } }, { outputs: ['b'] });
          held.push(...Object.values(out));
          if (!out.b) return fail(check, `requested output "b" missing (got: ${Object.keys(out).join(', ') || 'none'})`);
          const b = await out.b.download();
          if (!same(b, [2, 3])) return fail(check, `output "b" = [${Array.from(b).join(', ')}], expected [2, 3]`);
          return pass(check);
        } finally { exe.dispose(); }
      }
      case 'contract/dispose': {
        const t = backend.upload({ data: toTyped(dtype, [1, 2]), shape: [2], dtype });
        t.dispose();
        let threw = false;
        try { await t.download(); } catch { threw = true; }
        if (!threw) return fail(check, 'download() after dispose() succeeded; the contract says it throws');
        const u = backend.upload({ data: toTyped(dtype, [4, -5, 6]), shape: [3], dtype });
        held.push(u);
        if (u.take) {
          const got = await u.take();
          if (!same(got, toTyped(dtype, [4, -5, 6]))) return fail(check, `take() gave [${Array.from(got).join(', ')}], uploaded [4, -5, 6]`);
          let after = false;
          try { await u.download(); } catch { after = true; }
          if (!after) return fail(check, 'download() after take() succeeded; take() disposes the tensor');
        }
        // A run output taken is the caller's from then on: a later run must not write into it.
        const g = trace({ x: spec([3], dtype) }, ({ x }) => ({ y: x!.mul(2) }));
        const exe = await backend.compile(g);
        try {
          const run = async (v: number[]) => (await exe.run({ x: { data: toTyped(dtype, v), shape: [3], dtype } })).y!;
          const first = await run([1, 2, 3]);
          held.push(first);
          if (!first.take) return pass(check);
          const taken = await first.take();
          const second = await run([10, 20, 30]);
          held.push(second);
          if (!same(taken, toTyped(dtype, [2, 4, 6]))) return fail(check, `take() of a run output gave [${Array.from(taken).join(', ')}], expected [2, 4, 6] — did a later run write into it?`);
          if (!same(await second.download(), toTyped(dtype, [20, 40, 60]))) return fail(check, 'the run after a take() gave wrong values');
          return pass(check);
        } finally { exe.dispose(); }
      }
      case 'contract/input-validation': {
        // An input name unlikely to appear in a message by chance, so "names the input" means something.
        const g = trace({ weights_in: spec([2, 3], dtype), bias_in: spec([3], dtype) }, ({ weights_in: w, bias_in: b }) => ({ y: w!.add(b!) }));
        const exe = await backend.compile(g);
        const badExes = new Map<number, Awaited<ReturnType<Backend['compile']>>>();
        const disposeAfter: Awaited<ReturnType<Backend['compile']>>[] = [];
        try {
          const ok = { weights_in: { data: toTyped(dtype, [1, 2, 3, 4, 5, 6]), shape: [2, 3], dtype }, bias_in: { data: toTyped(dtype, [1, 1, 1]), shape: [3], dtype } };
          const wrongShapeDevice = backend.upload({ data: toTyped(dtype, [1, 2, 3, 4, 5, 6]), shape: [3, 2], dtype });
          held.push(wrongShapeDevice);
          const bad: [string, string, Record<string, HostTensor | DeviceTensor>][] = [
            ['missing input', 'weights_in', { bias_in: ok.bias_in }],
            ['wrong shape [3,2] for [2,3]', 'weights_in', { ...ok, weights_in: { ...ok.weights_in, shape: [3, 2] } }],
            ['wrong rank [6] for [2,3]', 'weights_in', { ...ok, weights_in: { ...ok.weights_in, shape: [6] } }],
            ['wrong shape [3,2] for [2,3] (device tensor)', 'weights_in', { ...ok, weights_in: wrongShapeDevice }],
            [`i32 for ${dtype}`, 'bias_in', { ...ok, bias_in: { data: toTyped('i32', [1, 1, 1]), shape: [3], dtype: 'i32' } }],
          ];
          // Host data its dtype cannot hold: 1.5 and NaN declared i32 (a typed-array conversion would
          // silently make them 1 and 0: a bad label turned into a plausible class).
          if (backend.dtypes.includes('i32')) {
            const exeI = await backend.compile(trace({ labels_in: spec([2], 'i32') }, ({ labels_in: l }) => ({ y: l!.add(1) })));
            disposeAfter.push(exeI);
            for (const v of [1.5, NaN]) {
              bad.push([`${v} declared i32`, 'labels_in', { labels_in: { data: Float64Array.of(0, v), shape: [2], dtype: 'i32' } }]);
              badExes.set(bad.length - 1, exeI);
            }
          }
          const problems: string[] = [];
          for (const [k, [what, input, inputs]] of bad.entries()) {
            let err: unknown, outs: Record<string, DeviceTensor> | undefined;
            try { outs = await (badExes.get(k) ?? exe).run(inputs); } catch (e) { err = e; }
            if (outs) held.push(...Object.values(outs));
            const msg = err === undefined ? '' : String((err as Error)?.message ?? err);
            if (err === undefined) problems.push(`${what}: run() accepted it`);
            else if (!msg.includes(input)) problems.push(`${what}: the error does not name the input "${input}" (${JSON.stringify(msg.slice(0, 160))})`);
          }
          // And the valid call still works afterwards.
          const out = await exe.run(ok);
          held.push(...Object.values(out));
          if (!same(await out.y!.download(), toTyped(dtype, [2, 3, 4, 5, 6, 7]))) problems.push('a valid run after the rejected ones gave wrong values');
          return problems.length ? fail(check, problems.join('; ')) : pass(check);
        } finally { exe.dispose(); for (const e of disposeAfter) e.dispose(); }
      }
      case 'contract/download-dtypes': {
        const want: Record<DType, Function> = { f32: Float32Array, f64: Float64Array, i32: Int32Array, bool: Uint8Array };
        const types: DType[] = [dtype, ...(['i32', 'bool'] as const).filter((d) => backend.dtypes.includes(d))];
        const problems: string[] = [];
        const expectType = (what: string, d: DType, a: unknown) => {
          if (!(a instanceof want[d])) problems.push(`${what} (${d}) downloaded as ${(a as object)?.constructor?.name ?? typeof a}, expected ${want[d].name}`);
        };
        for (const d of types) {
          const t = backend.upload({ data: toTyped(d, [1, 0, 1]), shape: [3], dtype: d });
          held.push(t);
          expectType('uploaded tensor', d, await t.download());
        }
        // Run outputs of each dtype, computed (not passed through) so the backend's own result arrays are checked.
        const g = trace({ x: spec([3], dtype) }, ({ x }) => ({ f: x!.mul(2), i: x!.cast('i32'), b: x!.greater(x!.mul(0)) }));
        const exe = await backend.compile(g);
        try {
          const out = await exe.run({ x: { data: toTyped(dtype, [1.5, -2, 0]), shape: [3], dtype } });
          held.push(...Object.values(out));
          for (const [k, d] of [['f', dtype], ['i', 'i32'], ['b', 'bool']] as const) if (types.includes(d)) expectType(`output "${k}"`, d, await out[k]!.download());
        } finally { exe.dispose(); }
        return problems.length ? fail(check, problems.join('; ')) : pass(check);
      }
    }
    return fail(check, `unknown contract check "${String(check)}" (known: ${CONTRACT_CHECKS.join(', ')})`);
  } catch (err) {
    return fail(check, `threw: ${(err as Error)?.message ?? String(err)}`);
  } finally {
    for (const t of held) try { t.dispose(); } catch { /* already disposed */ }
  }
}
