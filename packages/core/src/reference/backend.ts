import { allocate, type DType, type TypedArray } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import { inputSpecs, size } from '../ir/graph.js';
import { ALL_OPS, type OpName } from '../ir/ops.js';
import { BackendError, checkHostData, CONTRACT_VERSION, isDeviceTensor, requestedOutputs, type Availability, type Backend, type DeviceTensor, type Executable, type HostTensor } from '../backend/contract.js';
import { interpret } from './interpret.js';

const fmt = (dtype: DType, shape: readonly number[]) => `${dtype}[${shape.join(',')}]`;

/**
 * The host array of a dtype holding `values`: Float32Array for f32 (rounded to float32 here),
 * Float64Array for f64, Int32Array for i32, Uint8Array for bool. A fresh array every call.
 */
function asDtype(dtype: DType, values: TypedArray): TypedArray {
  const out = allocate(dtype, values.length);
  if (dtype === 'bool') for (let i = 0; i < values.length; i++) out[i] = values[i] ? 1 : 0;
  else out.set(values);
  return out;
}

/**
 * A reference device tensor, held in the array type of its dtype: an f32 tensor holds float32
 * values, as on every other backend, so weights kept on the device, their download and a
 * checkpoint written from it are the same numbers (a resumed f32 run is bit-exact).
 */
class RefTensor implements DeviceTensor {
  readonly backend = 'reference';
  private disposed = false;
  constructor(private readonly data: TypedArray, readonly shape: readonly number[], readonly dtype: DType) {}
  get values(): TypedArray {
    if (this.disposed) throw new BackendError('reference', `tensor ${fmt(this.dtype, this.shape)} used after dispose()`);
    return this.data;
  }
  async download(): Promise<TypedArray> { return this.values.slice(); }
  dispose(): void { this.disposed = true; }
}

/**
 * The float64 reference backend: interprets graphs on the host in plain TypeScript. Slow and
 * obviously correct; every other backend is measured against it.
 *
 * As strict as the contract: `run` rejects a missing input and an input whose dtype or shape
 * differs from the graph's (ONNX Runtime and tfjs do too), so code tested here does not break on
 * a real backend. Computation is float64 inside a graph, f32 graphs included; f32 values are
 * rounded to float32 where they enter and leave it (upload, host inputs, run outputs), so an f32
 * tensor holds and downloads a Float32Array, like on any float32 backend.
 */
export class ReferenceBackend implements Backend {
  readonly contractVersion = CONTRACT_VERSION;
  readonly name = 'reference';
  readonly dtypes: readonly DType[] = ['f64', 'f32', 'i32', 'bool'];
  readonly supportedOps: ReadonlySet<OpName> = new Set(ALL_OPS);

  async availability(): Promise<Availability> {
    return { available: true, detail: 'float64 interpreter in TypeScript' };
  }

  upload(t: HostTensor): DeviceTensor {
    if (!this.dtypes.includes(t.dtype)) throw new BackendError(this.name, `upload: unknown dtype ${JSON.stringify(t.dtype)} (supported: ${this.dtypes.join(', ')})`);
    if (t.data.length !== size(t.shape)) throw new BackendError(this.name, `upload: ${t.data.length} values for shape [${t.shape.join(',')}]`);
    checkHostData(this.name, 'upload', t);
    // A copy, so later writes to the caller's array do not reach it.
    return new RefTensor(asDtype(t.dtype, t.data), [...t.shape], t.dtype);
  }

  async compile(graph: Graph): Promise<Executable> {
    const specs = inputSpecs(graph);
    return {
      graph,
      device: 'cpu',
      warnings: [],
      run: async (inputs, options) => {
        const want = requestedOutputs(this.name, graph, options);
        const host: Record<string, ArrayLike<number>> = {};
        for (const [name, s] of Object.entries(specs)) {
          const t = inputs[name];
          if (!t) throw new BackendError(this.name, `missing input "${name}" (${fmt(s.dtype, s.shape)})`);
          if (isDeviceTensor(t) && !(t instanceof RefTensor)) throw new BackendError(this.name, `input "${name}" lives on backend "${t.backend}"; download it first`);
          if (t.dtype !== s.dtype || t.shape.length !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i]))
            throw new BackendError(this.name, `input "${name}" is ${fmt(t.dtype, t.shape)}, the graph expects ${fmt(s.dtype, s.shape)}`);
          if (!(t instanceof RefTensor)) checkHostData(this.name, `input "${name}"`, t);
          const data = t instanceof RefTensor ? t.values : t.data;
          if (data.length !== size(s.shape)) throw new BackendError(this.name, `input "${name}" has ${data.length} values for shape [${s.shape.join(',')}] (expected ${size(s.shape)})`);
          // f32 host data given in another array type is rounded to float32, as a float32 backend reads it.
          host[name] = s.dtype === 'f32' && !(data instanceof Float32Array) ? Float32Array.from(data) : data;
        }
        const res = interpret(graph, host);
        const out: Record<string, DeviceTensor> = {};
        for (const o of graph.outputs) {
          if (!want.includes(o.name)) continue;
          const n = graph.nodes[o.id]!;
          // f32 results round to float32 here, where they leave the graph; inside it the reference computes in float64.
          out[o.name] = new RefTensor(n.dtype === 'f32' ? Float32Array.from(res[o.name]!) : res[o.name]!, n.shape, n.dtype);
        }
        return out;
      },
      dispose: () => {},
    };
  }

  async dispose(): Promise<void> {}
}
