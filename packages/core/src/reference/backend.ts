import type { DType, TypedArray } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import { inputSpecs, size } from '../ir/graph.js';
import { ALL_OPS, type OpName } from '../ir/ops.js';
import { BackendError, CONTRACT_VERSION, isDeviceTensor, type Availability, type Backend, type DeviceTensor, type Executable, type HostTensor } from '../backend/contract.js';
import { interpret } from './interpret.js';

class RefTensor implements DeviceTensor {
  readonly backend = 'reference';
  private disposed = false;
  constructor(private readonly data: TypedArray, readonly shape: readonly number[], readonly dtype: DType) {}
  get values(): TypedArray {
    if (this.disposed) throw new BackendError('reference', 'tensor used after dispose()');
    return this.data;
  }
  async download(): Promise<TypedArray> { return this.values.slice(); }
  dispose(): void { this.disposed = true; }
}

/**
 * The float64 reference backend: interprets graphs on the host in plain TypeScript. Slow and
 * obviously correct; every other backend is measured against it.
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
    if (t.data.length !== size(t.shape)) throw new BackendError(this.name, `upload: ${t.data.length} values for shape [${t.shape.join(',')}]`);
    return new RefTensor(t.data, t.shape, t.dtype);
  }

  async compile(graph: Graph): Promise<Executable> {
    const specs = inputSpecs(graph);
    return {
      graph,
      device: 'cpu',
      warnings: [],
      run: async (inputs, options) => {
        const host: Record<string, ArrayLike<number>> = {};
        for (const [name, s] of Object.entries(specs)) {
          const t = inputs[name];
          if (!t) throw new BackendError(this.name, `missing input "${name}" (${s.dtype}[${s.shape.join(',')}])`);
          if (isDeviceTensor(t) && !(t instanceof RefTensor)) throw new BackendError(this.name, `input "${name}" lives on backend "${t.backend}"; download it first`);
          host[name] = isDeviceTensor(t) ? (t as RefTensor).values : t.data;
        }
        const res = interpret(graph, host);
        const want = options?.outputs ?? graph.outputs.map((o) => o.name);
        const out: Record<string, DeviceTensor> = {};
        for (const o of graph.outputs) if (want.includes(o.name)) out[o.name] = new RefTensor(res[o.name]!, graph.nodes[o.id]!.shape, graph.nodes[o.id]!.dtype);
        return out;
      },
      dispose: () => {},
    };
  }

  async dispose(): Promise<void> {}
}
