import { BackendError, size, type DeviceTensor, type DType, type HostTensor, type TypedArray } from '@clt/core';
import * as tf from '@tensorflow/tfjs-core';
import { tfDtype } from './lower/lower-table.js';

/**
 * A tensor owned by a tfjs backend (a JS array on tfjs-cpu, wasm memory on tfjs-wasm, a GPU buffer
 * on tfjs-webgpu, a TensorFlow tensor on tfjs-node). Passing it back to `run` hands the same tfjs
 * tensor to the next step: weights and optimizer state never visit the host. Float64 tensors are
 * held in float32 (tfjs has no float64) and come back widened to a Float64Array.
 */
export class TfjsDeviceTensor implements DeviceTensor {
  private disposed = false;
  constructor(
    readonly backend: string,
    private readonly value: tf.Tensor,
    readonly shape: readonly number[],
    readonly dtype: DType,
  ) {}

  /** The tfjs tensor. Throws after dispose(). */
  get tensor(): tf.Tensor {
    if (this.disposed || this.value.isDisposed) throw new BackendError(this.backend, `tensor ${this.dtype}[${this.shape.join(',')}] used after dispose()`);
    return this.value;
  }

  get isDisposed(): boolean { return this.disposed; }

  async download(): Promise<TypedArray> {
    const data = (await this.tensor.data()) as Float32Array | Int32Array | Uint8Array;
    // tfjs-cpu hands out its own backing array: copy, so the caller may write to what it gets.
    if (this.dtype === 'f64') return Float64Array.from(data);
    return data.slice();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.value.dispose();
  }
}

/**
 * A tfjs tensor from host data, on the active tfjs backend. `copy` detaches it from the caller's
 * array (tfjs-cpu would otherwise keep a reference to it); per-run inputs skip the copy.
 */
export function hostToTf(backend: string, t: HostTensor, copy: boolean): tf.Tensor {
  if (t.data.length !== size(t.shape)) throw new BackendError(backend, `${t.data.length} values for shape [${t.shape.join(',')}] (${size(t.shape)} expected)`);
  const dt = tfDtype(t.dtype);
  let data: Float32Array | Int32Array | Uint8Array;
  if (dt === 'float32') data = t.data instanceof Float32Array ? (copy ? t.data.slice() : t.data) : Float32Array.from(t.data);
  else if (dt === 'int32') data = t.data instanceof Int32Array ? (copy ? t.data.slice() : t.data) : Int32Array.from(t.data);
  else data = t.data instanceof Uint8Array ? (copy ? t.data.slice() : t.data) : Uint8Array.from(t.data, (v) => (v ? 1 : 0));
  return tf.tensor(data, [...t.shape], dt);
}
