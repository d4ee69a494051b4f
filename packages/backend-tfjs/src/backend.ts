import {
  BackendError, checkHostData, CONTRACT_VERSION, inputSpecs, isDeviceTensor, requestedOutputs,
  type Availability, type Backend, type DeviceTensor, type DType, type Executable, type Graph, type HostTensor, type OpName, type RunOptions,
} from '@clt/core';
import type * as tf from '@tensorflow/tfjs-core';
import { hostToTf, TfjsDeviceTensor } from './device-tensor.js';
import { TF_LOWERED_OPS, TFJS_PLATFORMS, type TfjsPlatform } from './lower/lower-table.js';
import { TfPlan } from './lower/plan.js';
import { activate, initPlatform, type PlatformOptions, type PlatformReady } from './platforms.js';

export interface TfjsBackendOptions extends PlatformOptions {
  /** The tfjs backend to run on. Default `cpu`. */
  readonly platform?: TfjsPlatform;
  /** Name in the clt registry; default `tfjs-<platform>`. */
  readonly name?: string;
  /** `Executable.device`; default the platform name (tfjs-node-gpu says `cuda`). */
  readonly device?: string;
}

/**
 * The clt backend on TensorFlow.js. `compile` lowers a graph once to a plan of tfjs calls
 * (one rule per primitive, TF_LOWERINGS); `run` executes it inside `tf.tidy`, so the tfjs tensor
 * count after a run is the count before plus the outputs returned (which the caller disposes).
 *
 * dtypes: tfjs computes float32, int32 and bool only. Float64 graphs run in float32 (each
 * executable warns); device tensors keep the IR dtype and download f64 as a widened Float64Array.
 * See docs/backend-tfjs.md.
 */
export class TfjsBackend implements Backend {
  readonly contractVersion = CONTRACT_VERSION;
  readonly name: string;
  readonly platform: TfjsPlatform;
  readonly dtypes: readonly DType[] = ['f32', 'i32', 'bool'];
  readonly supportedOps: ReadonlySet<OpName> = TF_LOWERED_OPS;
  private ready: PlatformReady | undefined;
  private readonly executables = new Set<TfjsExecutable>();

  constructor(readonly options: TfjsBackendOptions = {}) {
    const p = options.platform ?? 'cpu';
    if (!(TFJS_PLATFORMS as readonly string[]).includes(p)) throw new BackendError('tfjs', `unknown tfjs platform '${p}' (known: ${TFJS_PLATFORMS.join(', ')})`);
    this.platform = p;
    this.name = options.name ?? `tfjs-${p}`;
  }

  async availability(): Promise<Availability> {
    const s = await initPlatform(this.platform, this.options);
    if (!s.available) return s;
    this.ready = s;
    return { available: true, detail: s.detail };
  }

  /** Initialize the tfjs backend (once per process) or throw the availability reason. */
  private async ensureReady(): Promise<PlatformReady> {
    if (this.ready) return this.ready;
    const a = await this.availability();
    if (!a.available) throw new BackendError(this.name, `unavailable: ${a.reason}`);
    return this.ready!;
  }

  /** Switch tfjs to this backend's platform; throws if it was never initialized. */
  activate(): void {
    if (!this.ready) throw new BackendError(this.name, 'not initialized: await backend.availability() (or compile a graph) before upload()');
    activate(this.platform);
  }

  upload(t: HostTensor): DeviceTensor {
    this.activate();
    checkHostData(this.name, 'upload', t);
    return new TfjsDeviceTensor(this.name, hostToTf(this.name, t, true), [...t.shape], t.dtype);
  }

  async compile(graph: Graph): Promise<Executable> {
    const ready = await this.ensureReady();
    activate(this.platform);
    const warnings = [...ready.warnings];
    if (graph.nodes.some((n) => n.dtype === 'f64')) {
      warnings.push('float64 tensors are computed in float32 (tfjs has no float64): expect ~1e-7 relative error per op, not ~1e-16');
    }
    const exe = new TfjsExecutable(this, graph, new TfPlan(graph, { platform: this.platform }), warnings);
    this.executables.add(exe);
    return exe;
  }

  /** Called by an executable's dispose. */
  forget(exe: TfjsExecutable): void { this.executables.delete(exe); }

  /** Frees the executables' constants. Device tensors belong to the caller and stay valid. */
  async dispose(): Promise<void> {
    for (const e of [...this.executables]) e.dispose();
  }
}

/** A compiled graph on one tfjs backend. */
export class TfjsExecutable implements Executable {
  readonly device: string;
  private disposed = false;
  private readonly specs: ReturnType<typeof inputSpecs>;
  private readonly outputIds: ReadonlySet<number>;

  constructor(private readonly backend: TfjsBackend, readonly graph: Graph, readonly plan: TfPlan, readonly warnings: readonly string[]) {
    this.device = backend.options.device ?? backend.platform;
    this.specs = inputSpecs(graph);
    this.outputIds = new Set(graph.outputs.map((o) => o.id));
  }

  async run(inputs: Record<string, HostTensor | DeviceTensor>, options?: RunOptions): Promise<Record<string, DeviceTensor>> {
    const name = this.backend.name;
    if (this.disposed) throw new BackendError(name, 'run() after dispose(); compile the graph again');
    const wantNames = requestedOutputs(name, this.graph, options);
    const want = this.graph.outputs.filter((o) => wantNames.includes(o.name));
    if (want.length === 0) return {};
    this.backend.activate();
    const bound = new Map<number, tf.Tensor>();
    const temporary: tf.Tensor[] = [];
    try {
      for (const [inName, s] of Object.entries(this.specs)) {
        const t = inputs[inName];
        if (!t) throw new BackendError(name, `missing input "${inName}" (${s.dtype}[${s.shape.join(',')}])`);
        if (t.dtype !== s.dtype || t.shape.length !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i])) {
          throw new BackendError(name, `input "${inName}" is ${t.dtype}[${t.shape.join(',')}], the graph expects ${s.dtype}[${s.shape.join(',')}]`);
        }
        const id = this.plan.inputSlots.get(inName)!;
        if (isDeviceTensor(t)) {
          if (!(t instanceof TfjsDeviceTensor) || t.backend !== name) throw new BackendError(name, `input "${inName}" lives on backend "${t.backend}"; download it and pass a host tensor`);
          bound.set(id, t.tensor);
        } else {
          // An input returned as an output is copied, so the output never aliases the caller's array.
          checkHostData(name, `input "${inName}"`, t);
          const x = hostToTf(name, t, this.outputIds.has(id));
          temporary.push(x);
          bound.set(id, x);
        }
      }
      const res = this.plan.execute(bound, want);
      const out: Record<string, DeviceTensor> = {};
      want.forEach((o, i) => {
        const node = this.graph.nodes[o.id]!;
        out[o.name] = new TfjsDeviceTensor(name, res[i]!, node.shape, node.dtype);
      });
      return out;
    } finally {
      for (const t of temporary) t.dispose();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.plan.dispose();
    this.backend.forget(this);
  }
}

/** A tfjs backend by platform: `createTfjsBackend('wasm')` is the `tfjs-wasm` backend. */
export function createTfjsBackend(platform: TfjsPlatform = 'cpu', options: Omit<TfjsBackendOptions, 'platform'> = {}): TfjsBackend {
  return new TfjsBackend({ ...options, platform });
}
