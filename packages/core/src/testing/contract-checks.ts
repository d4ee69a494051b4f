import type { Backend, DeviceTensor } from '../backend/contract.js';
import { CONTRACT_VERSION } from '../backend/contract.js';
import { spec, trace } from '../ir/builder.js';
import { toTyped } from '../ir/dtype.js';
import type { CaseResult } from './check.js';

/**
 * Checks of the backend contract beyond numerics, each a named result like a case:
 * - `contract/metadata`: contract version, name, dtypes and ops declared;
 * - `contract/upload-download`: a host tensor survives upload → download unchanged (f32 values);
 * - `contract/device-inputs`: an output device tensor fed back into `run` (weights stay on device);
 * - `contract/requested-outputs`: `run(…, { outputs })` returns the requested outputs;
 * - `contract/dispose`: downloading a disposed tensor fails.
 */
export const CONTRACT_CHECKS = ['contract/metadata', 'contract/upload-download', 'contract/device-inputs', 'contract/requested-outputs', 'contract/dispose'] as const;
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
        return threw ? pass(check) : fail(check, 'download() after dispose() succeeded; the contract says it throws');
      }
    }
    return fail(check, `unknown contract check "${String(check)}" (known: ${CONTRACT_CHECKS.join(', ')})`);
  } catch (err) {
    return fail(check, `threw: ${(err as Error)?.message ?? String(err)}`);
  } finally {
    for (const t of held) try { t.dispose(); } catch { /* already disposed */ }
  }
}
