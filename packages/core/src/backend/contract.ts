import type { DType, TypedArray } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import type { OpName } from '../ir/ops.js';

/** Bumped when the contract changes incompatibly; a backend declares the version it implements. */
export const CONTRACT_VERSION = 1 as const;

/** Whether a backend can run here, and if not, a sentence the user can act on. */
export type Availability =
  | { readonly available: true; readonly detail?: string }
  | { readonly available: false; readonly reason: string };

/** Data on the host: row-major typed array with a shape and dtype. */
export interface HostTensor {
  readonly data: TypedArray;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/**
 * A tensor that lives where the backend computes (CPU memory, a GPU buffer). Pass it back into
 * `run` to keep weights and optimizer state on the device; `download` only what you need.
 */
export interface DeviceTensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Name of the backend that owns it. */
  readonly backend: string;
  /**
   * The values on the host, in a new array the caller owns: it may write to it or transfer its
   * buffer to another thread (the trainer hands checkpoint snapshots to its writer thread).
   */
  download(): Promise<TypedArray>;
  /** Free device memory. Using the tensor afterwards throws. */
  dispose(): void;
  /**
   * Optional: `download()` and `dispose()` in one call, for values read once (NTK blocks, losses).
   * A backend whose host array already belongs to the tensor hands that array over instead of
   * copying it (ONNX Runtime CPU: the copy it saves is ≈ 7% of an NTK). Callers use
   * {@link takeHost}, which falls back to download + dispose.
   */
  take?(): Promise<TypedArray>;
}

/** The values of a tensor read once: `take()` where the backend has it, else `download()` then `dispose()`. */
export async function takeHost(t: DeviceTensor): Promise<TypedArray> {
  if (t.take) return t.take();
  try {
    return await t.download();
  } finally {
    t.dispose();
  }
}

/** Options of `Executable.run`: which outputs to return (default all); a backend may skip materializing the others. */
export interface RunOptions {
  /** Outputs to return; others are not materialized where the backend can avoid it. Default: all. */
  readonly outputs?: readonly string[];
}

/** A compiled graph. Compile once per shape, run many times. */
export interface Executable {
  readonly graph: Graph;
  /** Inputs by name, host or device tensors (device tensors must belong to this backend). */
  run(inputs: Record<string, HostTensor | DeviceTensor>, options?: RunOptions): Promise<Record<string, DeviceTensor>>;
  /** Things the user should know: ops that fell back to another device, precision lowered, ... */
  readonly warnings: readonly string[];
  /** Where the graph runs, e.g. `cpu` or `webgpu`, as the backend knows it. */
  readonly device: string;
  dispose(): void;
}

/** Hints for {@link Backend.compile}. A backend may ignore any of them; results never depend on them. */
export interface CompileOptions {
  /**
   * The graph is run a few times on large buffers (one group of the NTK's row blocks, say), not in
   * a loop: keep no memory pool for it between runs. ONNX Runtime turns the session's CPU memory
   * arena off, so what a run allocated goes back after the run instead of staying with the session
   * (at n = 512 the NTK's 11 row-block sessions held about 150 MB that way).
   */
  readonly transient?: boolean;
}

/** Hints for {@link Backend.upload}. A backend may ignore them; results never depend on them. */
export interface UploadOptions {
  /**
   * The caller leaves `t.data` unchanged for as long as the device tensor lives, so a backend
   * whose device memory is host memory may keep the array as it is instead of copying it (ONNX
   * Runtime CPU does: the NTK that `extremes` forms, 26 MB at 2560², is not copied a second time).
   * `download()` and `take()` still return arrays of their own, never the caller's. Default false.
   */
  readonly borrow?: boolean;
}

/** What every backend implements. Core never imports a backend; backends import core. */
export interface Backend {
  readonly contractVersion: typeof CONTRACT_VERSION;
  /** Unique name, e.g. `reference`, `onnxruntime-cpu`, `tfjs-wasm`. */
  readonly name: string;
  /** Element types it can compute in. Floats not listed are computed in the widest float listed. */
  readonly dtypes: readonly DType[];
  /** Ops it lowers; a graph with other ops is rejected at compile with the list of missing ops. */
  readonly supportedOps: ReadonlySet<OpName>;
  availability(): Promise<Availability>;
  /** Compile `graph` once; `options` are hints a backend may ignore. */
  compile(graph: Graph, options?: CompileOptions): Promise<Executable>;
  /** Copy `t` to the backend (see {@link UploadOptions.borrow} for sharing it instead). */
  upload(t: HostTensor, options?: UploadOptions): DeviceTensor;
  /** Release everything the backend holds (sessions, buffers). */
  dispose(): Promise<void>;
}

/** A backend was asked to do something it cannot; the message says what to do instead. */
export class BackendError extends Error {
  constructor(readonly backend: string, message: string) {
    super(`[${backend}] ${message}`);
    this.name = 'BackendError';
  }
}

/** True when `t` is a backend-held {@link DeviceTensor} (it has a `download` method), false for a {@link HostTensor}. */
export function isDeviceTensor(t: HostTensor | DeviceTensor): t is DeviceTensor {
  return typeof (t as DeviceTensor).download === 'function';
}

/** Ops of `graph` that a backend does not list. */
export function unsupportedOps(graph: Graph, supported: ReadonlySet<OpName>): OpName[] {
  const missing = new Set<OpName>();
  for (const n of graph.nodes) if (!supported.has(n.op)) missing.add(n.op);
  return [...missing];
}

/**
 * The output names a `run` should return: all by default, else the requested ones, each checked
 * against the graph (a BackendError names the unknown one and lists the outputs).
 */
export function requestedOutputs(backend: string, graph: Graph, options?: RunOptions): string[] {
  const all = graph.outputs.map((o) => o.name);
  const want = options?.outputs ?? all;
  for (const w of want) if (!all.includes(w)) throw new BackendError(backend, `unknown output "${w}" (outputs: ${all.join(', ')})`);
  return [...want];
}

/**
 * Refuse host data that its dtype cannot hold: an i32 tensor given as a float array with
 * non-integers, NaN or values beyond int32 (a typed-array conversion would silently truncate
 * 1.5 → 1 and NaN → 0, turning a bad label into a plausible class), or a bool tensor with values
 * other than 0/1. Float dtypes take any numbers. Backends call it on every host input and upload.
 */
export function checkHostData(backend: string, what: string, t: HostTensor): void {
  const { data, dtype } = t;
  if (dtype === 'i32' && !(data instanceof Int32Array)) {
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647)
        throw new BackendError(backend, `${what} is declared i32 but holds ${v} at index ${i}; pass integers (an Int32Array), e.g. class labels 0..K−1`);
    }
  } else if (dtype === 'bool' && !(data instanceof Uint8Array)) {
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v !== 0 && v !== 1) throw new BackendError(backend, `${what} is declared bool but holds ${v} at index ${i}; pass 0/1 (a Uint8Array)`);
    }
  }
}
