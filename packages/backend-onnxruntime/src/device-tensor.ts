import { BackendError, size, type DeviceTensor, type DType, type HostTensor, type TypedArray } from '@clt/core';
import type { Tensor as OrtTensor } from 'onnxruntime-node';
import type { Ort } from './availability.js';

export type OrtData = Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * A tensor owned by ONNX Runtime: host memory on the CPU provider, a GPU buffer on WebGPU when the
 * session's outputs stay on the GPU (`preferredOutputLocation: 'gpu-buffer'`). Passing it back to
 * `run` hands the same ORT value to the next session without a copy through JavaScript.
 */
export class OrtDeviceTensor implements DeviceTensor {
  private disposed = false;
  constructor(
    readonly backend: string,
    private value: OrtTensor,
    readonly shape: readonly number[],
    readonly dtype: DType,
    /** Copies a GPU-buffer value to the host (see `OnnxRuntimeBackend.downloadGpu`). */
    private readonly fromGpu?: (t: OrtTensor, shape: readonly number[], dtype: DType) => Promise<OrtData>,
    /** The host array is the caller's (an upload with `borrow`): take() copies it. */
    private readonly borrowed = false,
  ) {}

  /** The ORT value, for feeding a session. Throws after dispose(). */
  get tensor(): OrtTensor {
    if (this.disposed) throw new BackendError(this.backend, `tensor ${this.dtype}[${this.shape.join(',')}] used after dispose()`);
    return this.value;
  }

  /**
   * Move an uploaded host value into a GPU buffer once, on its first use by a WebGPU session, so
   * later runs read it in place (upload() itself is synchronous and cannot reach the GPU).
   */
  async moveToGpu(move: (t: OrtTensor) => Promise<OrtTensor>): Promise<OrtTensor> {
    const t = this.tensor;
    if (t.location === 'cpu') this.value = await move(t);
    return this.value;
  }

  /** Where ORT keeps the data: `cpu` or `gpu-buffer`. */
  get location(): string { return this.value.location; }

  async download(): Promise<TypedArray> {
    const t = this.tensor;
    // onnxruntime-node 1.30 aborts the process on getData() of a WebGPU buffer, so GPU values
    // are copied out by the backend through a session whose output lives on the host.
    const data = (t.location === 'cpu' ? t.data : this.fromGpu ? await this.fromGpu(t, this.shape, this.dtype) : await t.getData()) as OrtData;
    return toIrArray(this.dtype, data);
  }

  /**
   * download() + dispose() without the copy where it can: a host value's array is already this
   * tensor's own (onnxruntime-node copies every output into a fresh buffer; uploads are copied in),
   * so when it is the IR dtype's array over a whole buffer it is handed over as it is.
   */
  async take(): Promise<TypedArray> {
    const t = this.tensor;
    const data = t.location === 'cpu' ? (t.data as OrtData) : undefined;
    const own = data !== undefined && !this.borrowed && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data instanceof IR_ARRAY[this.dtype];
    try {
      return own ? data : await this.download();
    } finally {
      this.dispose();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // GPU buffers are freed explicitly; host data is garbage collected with the JS object.
    if (this.value.location !== 'cpu') this.value.dispose();
  }
}

const IR_ARRAY = { f32: Float32Array, f64: Float64Array, i32: Int32Array, bool: Uint8Array } as const;

/** A copy of ORT data as the host array of an IR dtype (f64 computed as f32 comes back widened). */
export function toIrArray(d: DType, data: OrtData): TypedArray {
  switch (d) {
    case 'f32': return data instanceof Float32Array ? data.slice() : Float32Array.from(data);
    case 'f64': return data instanceof Float64Array ? data.slice() : Float64Array.from(data);
    case 'i32': return data instanceof Int32Array ? data.slice() : Int32Array.from(data);
    case 'bool': return data instanceof Uint8Array ? data.slice() : Uint8Array.from(data, (v) => (v ? 1 : 0));
  }
}

/** ORT element type name of an IR dtype as computed (f64 as float32 where the target lacks doubles). */
export function ortType(d: DType, f64AsF32: boolean): 'float32' | 'float64' | 'int32' | 'bool' {
  return d === 'f32' || (d === 'f64' && f64AsF32) ? 'float32' : d === 'f64' ? 'float64' : d === 'i32' ? 'int32' : 'bool';
}

/**
 * An ORT tensor over host data, converted to the computed element type when needed. `copy`
 * decouples it from the caller's array (uploads); feeds of a single run may share it.
 */
export function hostToOrt(ort: Ort, backend: string, t: HostTensor, f64AsF32: boolean, copy: boolean): OrtTensor {
  if (t.data.length !== size(t.shape)) throw new BackendError(backend, `${t.data.length} values for shape [${t.shape.join(',')}] (expected ${size(t.shape)})`);
  const type = ortType(t.dtype, f64AsF32);
  const Ctor = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array }[type];
  let data = t.data as OrtData;
  if (!(data instanceof Ctor)) data = type === 'bool' ? Uint8Array.from(data, (v) => (v ? 1 : 0)) : (Ctor.from(data) as OrtData);
  else if (copy) data = data.slice();
  return new ort.Tensor(type, data, [...t.shape]);
}
