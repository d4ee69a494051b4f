import { BackendError } from '@clt/core';
import { availableParallelism } from 'node:os';

/** The thread-pool settings every session of a backend gets, after options, environment and defaults. */
export interface ResolvedThreading {
  /** Threads of the intra-op pool (the CPU kernels' parallel loops), including the calling thread. */
  readonly intraOpNumThreads: number;
  /**
   * Always 1: sessions run in `executionMode: 'sequential'`, so an inter-op pool would only hold
   * idle threads.
   */
  readonly interOpNumThreads: 1;
  /** Whether idle pool threads busy-wait for the next parallel loop instead of sleeping. */
  readonly spinning: boolean;
  /** Where each value came from, for diagnostics and benchmark records. */
  readonly source: { readonly threads: 'option' | 'env' | 'default'; readonly spinning: 'option' | 'env' | 'default' };
}

/**
 * Default intra-op threads: half the logical CPUs (about the physical cores, which is what ONNX
 * Runtime itself would pick, and the rest left to Node's own threads and to neighbours), at least
 * 1 and at most 4. On a shared 2-core machine a second thread never made the SGD step faster, idle
 * or loaded, at batch 32, 128 or 512, and doubled its CPU time; more than 4 buys little for MLP
 * layers of a few hundred units (docs/backend-onnxruntime.md, "Threads and spinning").
 */
export const defaultIntraOpThreads = (cores = availableParallelism()): number => Math.max(1, Math.min(Math.floor(cores / 2), 4));

const ENV_THREADS = 'CLT_ORT_THREADS', ENV_SPIN = 'CLT_ORT_SPIN';

function checkThreads(v: number, where: string): number {
  if (!Number.isInteger(v) || v < 1 || v > 1024) {
    throw new BackendError('onnxruntime', `${where} is ${String(v)}; give a whole number of threads from 1 to 1024 (e.g. 1 on a shared machine, or the number of cores)`);
  }
  return v;
}

function parseEnvThreads(raw: string): number {
  const s = raw.trim();
  if (!/^\d+$/.test(s)) throw new BackendError('onnxruntime', `${ENV_THREADS}='${raw}' is not a thread count; set it to a whole number from 1 to 1024, or unset it for the default (${defaultIntraOpThreads()} here)`);
  return checkThreads(Number(s), `${ENV_THREADS}='${raw}'`);
}

function parseEnvSpin(raw: string): boolean {
  const s = raw.trim().toLowerCase();
  if (['1', 'true', 'on', 'yes'].includes(s)) return true;
  if (['0', 'false', 'off', 'no'].includes(s)) return false;
  throw new BackendError('onnxruntime', `${ENV_SPIN}='${raw}' is not understood; set it to 1 (idle pool threads spin) or 0 (they sleep, the default), or unset it`);
}

/**
 * Thread-pool settings: an explicit backend option wins, then the environment (`CLT_ORT_THREADS`,
 * `CLT_ORT_SPIN`, which reach backends the registry creates), then the defaults — half the cores,
 * 1 to 4 threads, and no spinning. ONNX Runtime's own default pool (one thread per physical core, spinning) made a
 * 2-core machine that other processes share run the SGD step several times slower; spinning only
 * pays when the cores are idle and steps come back to back.
 */
export function resolveThreading(options: { intraOpNumThreads?: number; intraOpSpinning?: boolean }, env: NodeJS.ProcessEnv = process.env): ResolvedThreading {
  let threads: number, tSrc: ResolvedThreading['source']['threads'];
  if (options.intraOpNumThreads !== undefined) { threads = checkThreads(options.intraOpNumThreads, 'intraOpNumThreads'); tSrc = 'option'; }
  else if (env[ENV_THREADS] !== undefined && env[ENV_THREADS] !== '') { threads = parseEnvThreads(env[ENV_THREADS]!); tSrc = 'env'; }
  else { threads = defaultIntraOpThreads(); tSrc = 'default'; }
  let spinning: boolean, sSrc: ResolvedThreading['source']['spinning'];
  if (options.intraOpSpinning !== undefined) {
    if (typeof options.intraOpSpinning !== 'boolean') throw new BackendError('onnxruntime', `intraOpSpinning is ${String(options.intraOpSpinning)}; give true or false`);
    spinning = options.intraOpSpinning; sSrc = 'option';
  } else if (env[ENV_SPIN] !== undefined && env[ENV_SPIN] !== '') { spinning = parseEnvSpin(env[ENV_SPIN]!); sSrc = 'env'; }
  else { spinning = false; sSrc = 'default'; }
  return { intraOpNumThreads: threads, interOpNumThreads: 1, spinning, source: { threads: tSrc, spinning: sSrc } };
}
