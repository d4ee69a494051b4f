import { isDeviceTensor, takeHost, type Backend, type CompileOptions, type DeviceTensor, type Executable, type HostTensor, type UploadOptions } from '../backend/contract.js';
import type { TypedArray } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { concat } from '../ir/tensor.js';
import type { Model } from '../models/model.js';
import { firstNonFiniteIndex } from '../util/finite.js';

/** Parameter values by name: host arrays (uploaded per call) or device tensors (used in place). */
export type ParamValues = Readonly<Record<string, Float64Array | Float32Array | DeviceTensor>>;
/** A host array in row-major order, or a device tensor of the right shape. */
export type ArrayValue = Float64Array | Float32Array | DeviceTensor;
/** The float element type a probe's graphs compute in: f32 or f64. */
export type FloatDType = 'f32' | 'f64';

/**
 * What every probe shares: the backend, the float dtype its graphs use, and a cache of compiled
 * executables keyed by graph kind and shape, so each graph is traced and compiled once per shape
 * for the lifetime of the probe object.
 */
export class ProbeRuntime {
  readonly dtype: FloatDType;
  private readonly cache = new Map<string, Promise<Executable>>();

  constructor(readonly backend: Backend, dtype?: FloatDType) {
    this.dtype = dtype ?? (backend.dtypes.includes('f64') ? 'f64' : 'f32');
  }

  /** The compiled graph for `key`, built by `build` on first use. */
  executable(key: string, build: () => Graph, options?: CompileOptions): Promise<Executable> {
    let e = this.cache.get(key);
    if (!e) {
      e = this.backend.compile(build(), options);
      this.cache.set(key, e);
      // A failed compile is not cached, so a fixed input can retry.
      e.catch(() => this.cache.delete(key));
    }
    return e;
  }

  /** How many graphs this probe has compiled (for tests of the compile-once promise). */
  get compiled(): number {
    return this.cache.size;
  }

  /**
   * Run a cached graph and download the wanted outputs as float64. Output tensors are disposed.
   * Throws `ProbeOverflowError` when an output is not finite: every input was checked finite, so
   * a NaN/∞ result means the arithmetic overflowed, and returning it would be a silent wrong answer.
   */
  async run(key: string, build: () => Graph, inputs: Record<string, HostTensor | DeviceTensor>, outputs?: readonly string[]): Promise<Record<string, Float64Array>> {
    const exe = await this.executable(key, build);
    const res = await exe.run(inputs, outputs ? { outputs } : undefined);
    const out: Record<string, Float64Array> = {};
    for (const [name, t] of Object.entries(res)) {
      out[name] = toF64(await takeHost(t));
    }
    for (const [name, v] of Object.entries(out)) {
      const bad = firstNonFiniteIndex(v);
      if (bad >= 0) throw new ProbeOverflowError(key.split(':')[0]!, name, v[bad]!, largestInput(inputs), this.dtype);
    }
    return out;
  }

  /** A host array or device tensor as a graph input of `shape` in this probe's dtype. */
  input(name: string, value: ArrayValue, shape: readonly number[]): HostTensor | DeviceTensor {
    const n = shape.reduce((a, b) => a * b, 1);
    if (isDevice(value)) {
      if (value.shape.reduce((a, b) => a * b, 1) !== n) throw new Error(`${name}: device tensor has shape [${value.shape}], expected [${shape}]`);
      return value;
    }
    if (value.length !== n) throw new Error(`${name}: ${value.length} values, expected ${n} for shape [${shape.join(', ')}]`);
    const data = this.dtype === 'f64' ? (value instanceof Float64Array ? value : Float64Array.from(value)) : value instanceof Float32Array ? value : Float32Array.from(value);
    const bad = firstNonFiniteIndex(data);
    if (bad >= 0) {
      const given = value[bad]!;
      throw new ProbeInputError(Number.isFinite(given)
        ? `${name}: value ${given} at index ${bad} does not fit in ${this.dtype} (largest ≈ ${this.dtype === 'f32' ? '3.4e38' : '1.8e308'}); standardize the features or use dtype 'f64'`
        : `${name}: value ${given} at index ${bad} is not finite; probes need finite inputs (check the data and the parameters for NaN/∞)`);
    }
    return { data, shape, dtype: this.dtype };
  }

  /**
   * {@link ProbeRuntime.input} kept on the device for repeated runs: a host value is checked,
   * uploaded and pushed onto `owned` (the caller disposes those); a device tensor passes through.
   */
  device(name: string, value: ArrayValue, shape: readonly number[], owned: DeviceTensor[], options?: UploadOptions): DeviceTensor {
    return this.keep(this.input(name, value, shape), owned, options);
  }

  /**
   * A checked input on the device: uploaded (and pushed onto `owned`) when it is a host tensor.
   * `borrow` only for arrays nobody changes while the tensor lives (never a user's parameters).
   */
  keep(t: HostTensor | DeviceTensor, owned: DeviceTensor[], options?: UploadOptions): DeviceTensor {
    if (isDeviceTensor(t)) return t;
    const dev = this.backend.upload(t, options);
    owned.push(dev);
    return dev;
  }

  /** Inputs for every model parameter, checked against the model's shapes. */
  paramInputs(model: Model, params: ParamValues): Record<string, HostTensor | DeviceTensor> {
    const out: Record<string, HostTensor | DeviceTensor> = {};
    for (const p of model.params) {
      const v = params[p.name];
      if (!v) throw new Error(`missing parameter "${p.name}" (have: ${Object.keys(params).join(', ') || 'none'}); pass every entry of model.params`);
      out[p.name] = this.input(`parameter ${p.name}`, v, p.shape);
    }
    return out;
  }

  /** Release every compiled executable. */
  async dispose(): Promise<void> {
    for (const e of this.cache.values()) (await e.catch(() => undefined))?.dispose();
    this.cache.clear();
  }
}

/** A probe input that is not finite or does not fit in the probe's dtype. */
export class ProbeInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeInputError';
  }
}

/** A probe whose arithmetic overflowed on finite inputs (e.g. features of magnitude 1e200). */
export class ProbeOverflowError extends Error {
  constructor(readonly probe: string, readonly output: string, readonly value: number, readonly inputMagnitude: number, dtype: FloatDType) {
    super(`probe '${probe}' overflowed: output ${output} is ${value} although every input is finite; inputs reach magnitude ${inputMagnitude.toExponential(1)}, `
      + `and products of such values exceed the ${dtype} range — standardize the features (and keep the parameters at a normal scale)`);
    this.name = 'ProbeOverflowError';
  }
}

/** Largest |value| over the host inputs (device tensors are not downloaded for a message). */
function largestInput(inputs: Record<string, HostTensor | DeviceTensor>): number {
  let m = 0;
  for (const t of Object.values(inputs)) {
    if (!('data' in t) || !ArrayBuffer.isView(t.data)) continue;
    const a = t.data as ArrayLike<number>;
    for (let i = 0; i < a.length; i++) { const v = Math.abs(a[i]!); if (v > m) m = v; }
  }
  return m;
}

/** A device tensor (as opposed to a host typed array). */
export function isDevice(v: ArrayValue): v is DeviceTensor {
  return !ArrayBuffer.isView(v);
}

export function toF64(a: TypedArray): Float64Array {
  return a instanceof Float64Array ? a : Float64Array.from(a);
}

/** Number of rows n of a data array with `width` columns; throws when it does not divide. */
export function rowsOf(x: ArrayValue, width: number, what = 'x'): number {
  const len = isDevice(x) ? x.shape.reduce((a, b) => a * b, 1) : x.length;
  const n = len / width;
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what}: ${len} values is not a whole number of rows of width ${width}`);
  return n;
}

/** Parameter tensors flattened and concatenated in `model.params` order: [P]. */
export function flattenParams(ts: readonly Tensor[]): Tensor {
  const flat = ts.map((t) => t.reshape([t.size]));
  return flat.length === 1 ? flat[0]! : concat(flat, 0);
}

/** Graph inputs for the model's parameters, in `model.params` order. */
export function paramTensors(model: Model, input: (name: string, shape: readonly number[]) => Tensor): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const p of model.params) out[p.name] = input(p.name, p.shape);
  return out;
}

/** Slices of a flat [P] vector shaped like the parameters. */
export function splitFlat(model: Model, v: Tensor): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  let o = 0;
  for (const p of model.params) {
    const s = p.shape.reduce((a, b) => a * b, 1);
    out[p.name] = v.slice([o], [o + s]).reshape(p.shape);
    o += s;
  }
  return out;
}

/** Pad a host array of n rows (width w) to `rows` rows with zeros (chunked graphs have one shape). */
export function padRows(x: Float64Array | Float32Array, w: number, from: number, rows: number): Float64Array {
  const out = new Float64Array(rows * w);
  out.set(x.subarray(from * w, Math.min(x.length, (from + rows) * w)));
  return out;
}
