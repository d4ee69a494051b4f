import {
  allocate, BackendError, checkHostData, CONTRACT_VERSION, graphKey, inputSpecs, isDeviceTensor, requestedOutputs, selectOutputs, trace, where,
  type Availability, type Backend, type CompileOptions, type DeviceTensor, type DType, type Executable, type Graph, type HostTensor, type OpName, type RunOptions, type UploadOptions,
} from '@clt/core';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { EXECUTION_PROVIDERS, loadOrt, providerAvailability, type ExecutionProvider, type Ort } from './availability.js';
import { hostToOrt, OrtDeviceTensor, type OrtData } from './device-tensor.js';
import { LOWERED_OPS } from './lower/lower-table.js';
import { lowerGraph, type LowerOptions } from './lower/model.js';
import { fallbackNodes, probePlacement, type NodePlacement } from './placement.js';
import { resolveThreading, type ResolvedThreading } from './threading.js';

export interface OnnxRuntimeBackendOptions {
  /**
   * Providers to try, in order; the first that is available and accepts the graph runs it, and a
   * warning on the executable says which were skipped and why. Default `['cpu']`.
   */
  readonly executionProviders?: readonly ExecutionProvider[];
  /** Backend name; default `onnxruntime-<first provider>`. */
  readonly name?: string;
  /**
   * Threads of the intra-op pool (CPU kernels), the calling thread included. Default: the
   * `CLT_ORT_THREADS` environment variable if set, else half the logical CPUs, 1 to 4.
   */
  readonly intraOpNumThreads?: number;
  /**
   * Whether idle pool threads spin (ORT's `session.intra_op.allow_spinning`, and the same for the
   * inter-op pool). Default: the `CLT_ORT_SPIN` environment variable (1 or 0) if set, else false.
   * Spinning trades CPU for wake-up latency: idle threads burn a core between parallel loops and
   * between steps, which on a machine other processes share takes cycles from the thread doing the
   * work (measured in docs/backend-onnxruntime.md, "Threads and spinning").
   */
  readonly intraOpSpinning?: boolean;
  /** Default `'all'`: layout and fusion passes (MatMul+Add, Transpose+MatMul...) matter for graphs from autodiff. */
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'layout' | 'all';
  /**
   * Read node placement from a verbose session log at compile (one child process per graph) and
   * warn about nodes that left the chosen provider. Default: true for providers other than cpu.
   */
  readonly reportPlacement?: boolean;
  /** GPU ordinal for cuda/tensorrt. */
  readonly deviceId?: number;
  /**
   * Lowering rewrites, all on by default: Gemm fusion and the two ReLU-derivative rewrites
   * (see docs/backend-onnxruntime.md). Turn `reluSelectAsMul` off to keep IR `where` semantics
   * for non-finite cotangents at inactive ReLU units (0 instead of NaN).
   */
  readonly lowering?: Pick<LowerOptions, 'fuseGemm' | 'reluMaskFromOutput' | 'reluSelectAsMul'>;
}

/** Name ONNX Runtime uses for a provider in its logs. */
export const ORT_PROVIDER_NAME: Record<ExecutionProvider, string> = {
  cpu: 'CPUExecutionProvider', webgpu: 'WebGpuExecutionProvider', cuda: 'CUDAExecutionProvider', tensorrt: 'TensorrtExecutionProvider',
};

interface Compiled {
  readonly session: InferenceSession;
  readonly provider: ExecutionProvider;
  readonly outputNames: Readonly<Record<string, string>>;
  readonly placement?: NodePlacement;
}

interface CacheEntry {
  readonly graph: Graph;
  /** Compiled with `{ transient: true }`: its sessions keep no CPU memory arena. */
  readonly transient: boolean;
  /** Session of the full graph, then one per distinct requested output subset. */
  readonly sessions: Map<string, Promise<Compiled>>;
  readonly warnings: string[];
  refs: number;
}

/**
 * The clt backend on ONNX Runtime (onnxruntime-node). Each graph is lowered to an ONNX model
 * (opset 18) and compiled to one `InferenceSession`, cached by the graph's structural key, so
 * compiling the same graph again reuses the session. Device tensors wrap ORT values and are
 * passed back into sessions as they are.
 *
 * dtypes: f32 everywhere; f64 on the CPU provider (ORT's CPU kernels cover every op the lowering
 * emits in double); on WebGPU f64 is computed as f32. See docs/backend-onnxruntime.md.
 */
export class OnnxRuntimeBackend implements Backend {
  readonly contractVersion = CONTRACT_VERSION;
  readonly name: string;
  readonly dtypes: readonly DType[];
  readonly supportedOps: ReadonlySet<OpName> = LOWERED_OPS;
  readonly providers: readonly ExecutionProvider[];
  /** Thread-pool settings every session gets (options, then CLT_ORT_THREADS / CLT_ORT_SPIN, then defaults). */
  readonly threading: ResolvedThreading;
  private readonly f64AsF32: boolean;
  private readonly cache = new Map<string, CacheEntry>();

  constructor(readonly options: OnnxRuntimeBackendOptions = {}) {
    const eps = options.executionProviders ?? ['cpu'];
    if (eps.length === 0) throw new BackendError('onnxruntime', 'executionProviders is empty; list at least one of cpu, webgpu, cuda, tensorrt');
    for (const ep of eps) if (!(EXECUTION_PROVIDERS as readonly string[]).includes(ep)) throw new BackendError('onnxruntime', `unknown execution provider '${ep}' (known: ${EXECUTION_PROVIDERS.join(', ')})`);
    this.providers = [...eps];
    // Resolved here, not at the first compile, so a bad CLT_ORT_THREADS fails where the backend is made.
    this.threading = resolveThreading(options);
    this.name = options.name ?? `onnxruntime-${eps[0]}`;
    // WebGPU has no double kernels: any list that may land there computes f64 as f32 everywhere,
    // so results never depend on which provider happened to load.
    this.f64AsF32 = eps.includes('webgpu');
    this.dtypes = this.f64AsF32 ? ['f32', 'i32', 'bool'] : ['f32', 'f64', 'i32', 'bool'];
  }

  /** Providers of this backend's list that can run here, and why the others cannot. */
  async resolveProviders(): Promise<{ usable: ExecutionProvider[]; skipped: { provider: ExecutionProvider; reason: string }[] }> {
    const usable: ExecutionProvider[] = [], skipped: { provider: ExecutionProvider; reason: string }[] = [];
    for (const ep of this.providers) {
      const a = await providerAvailability(ep);
      if (a.available) usable.push(ep); else skipped.push({ provider: ep, reason: a.reason });
    }
    return { usable, skipped };
  }

  async availability(): Promise<Availability> {
    const { usable, skipped } = await this.resolveProviders();
    if (!usable.length) return { available: false, reason: skipped.map((s) => `[${s.provider}] ${s.reason}`).join(' ') };
    const fell = skipped.length ? `; skipped ${skipped.map((s) => `${s.provider} (${s.reason})`).join(', ')}` : '';
    return { available: true, detail: `ONNX Runtime, provider ${usable[0]}${fell}` };
  }

  upload(t: HostTensor, options: UploadOptions = {}): DeviceTensor {
    checkHostData(this.name, 'upload', t);
    // Borrowed: an ORT tensor over the caller's array itself (converted only where the computed
    // type differs), marked so that take() copies instead of handing the caller's array back.
    const borrow = options.borrow === true;
    const value = hostToOrt(loadOrt(), this.name, t, this.f64AsF32, !borrow);
    return new OrtDeviceTensor(this.name, value, [...t.shape], t.dtype, undefined, borrow && value.data === t.data);
  }

  async compile(graph: Graph, options: CompileOptions = {}): Promise<Executable> {
    const ort = loadOrt();
    const transient = options.transient === true;
    const key = transient ? `${graphKey(graph)}\u0000transient` : graphKey(graph);
    let entry = this.cache.get(key);
    if (!entry) {
      entry = { graph, transient, sessions: new Map(), warnings: [], refs: 0 };
      this.cache.set(key, entry);
      try {
        await this.session(ort, entry, null);
      } catch (err) {
        this.cache.delete(key);
        throw err;
      }
    }
    entry.refs++;
    return new OrtExecutable(this, ort, entry, await this.session(ort, entry, null));
  }

  /** The session running `outputs` of the entry's graph (null: all), created on first use. */
  session(ort: Ort, entry: CacheEntry, outputs: readonly string[] | null): Promise<Compiled> {
    const all = entry.graph.outputs.map((o) => o.name);
    const want = outputs && outputs.length < all.length ? all.filter((n) => outputs.includes(n)) : null;
    const k = want ? want.join('\u0000') : '';
    let s = entry.sessions.get(k);
    if (!s) {
      s = this.createSession(ort, want ? selectOutputs(entry.graph, want) : entry.graph, entry.warnings, !want, entry.transient);
      entry.sessions.set(k, s);
      s.catch(() => entry.sessions.delete(k));
    }
    return s;
  }

  private async createSession(ort: Ort, graph: Graph, warnings: string[], primary: boolean, transient = false): Promise<Compiled> {
    const { usable, skipped } = await this.resolveProviders();
    const failures = skipped.map((s) => `[${s.provider}] unavailable: ${s.reason}`);
    const lowered = lowerGraph(graph, { ...this.options.lowering, f64AsF32: this.f64AsF32 });
    for (const ep of usable) {
      const options = this.sessionOptions(ep, { transient });
      try {
        const session = await ort.InferenceSession.create(lowered.bytes, options);
        if (primary && failures.length) warnings.push(`execution provider fallback: ran on '${ep}' because ${failures.join('; ')}`);
        let placement: NodePlacement | undefined;
        if (primary && ep !== 'cpu' && (this.options.reportPlacement ?? true)) {
          const { executionProviders: _, ...rest } = options;
          placement = (await probePlacement(lowered.bytes, ep, rest)).placement;
          if (!placement) warnings.push(`node placement on '${ep}' could not be read from the verbose session log`);
          else {
            const off = fallbackNodes(placement, ORT_PROVIDER_NAME[ep]);
            if (off.length) warnings.push(`${off.length} node(s) did not land on ${ORT_PROVIDER_NAME[ep]} (copies around them): ${off.join('; ')}`);
          }
        }
        return { session, provider: ep, outputNames: lowered.outputNames, ...(placement ? { placement } : {}) };
      } catch (err) {
        failures.push(`[${ep}] session creation failed: ${(err as Error).message}`);
      }
    }
    throw new BackendError(this.name, `no execution provider could run this graph:\n  ${failures.join('\n  ')}`);
  }

  /** The options each session on `ep` is created with (exposed so tests and diagnostics can read them). */
  sessionOptions(ep: ExecutionProvider = this.providers[0]!, compile: CompileOptions = {}): InferenceSession.SessionOptions {
    const o = this.options, t = this.threading;
    const spin = t.spinning ? '1' : '0';
    const provider = ep === 'cuda' || ep === 'tensorrt' ? [{ name: ep, ...(o.deviceId !== undefined ? { deviceId: o.deviceId } : {}) }] : [ep];
    return {
      // TensorRT hands the nodes it cannot take to CUDA rather than to the CPU.
      executionProviders: ep === 'tensorrt' ? [...provider, { name: 'cuda', ...(o.deviceId !== undefined ? { deviceId: o.deviceId } : {}) }] : provider,
      graphOptimizationLevel: o.graphOptimizationLevel ?? 'all',
      executionMode: 'sequential',
      logSeverityLevel: 3,
      intraOpNumThreads: t.intraOpNumThreads,
      interOpNumThreads: t.interOpNumThreads,
      // onnxruntime-node flattens `extra` into session config entries (session.intra_op.allow_spinning...).
      extra: { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } },
      // A transient graph's allocations go back after each run instead of staying in the session's arena.
      ...(compile.transient ? { enableCpuMemArena: false } : {}),
      // Outputs stay in GPU buffers; weights fed back next step never visit the host.
      ...(ep === 'webgpu' ? { preferredOutputLocation: 'gpu-buffer' as const } : {}),
    };
  }

  /** Called by an executable's dispose: the session goes when no executable uses it. */
  release(entry: CacheEntry): void {
    if (--entry.refs > 0) return;
    for (const [k, e] of this.cache) if (e === entry) this.cache.delete(k);
    for (const s of entry.sessions.values()) s.then((c) => c.session.release()).catch(() => {});
  }

  private readonly copySessions = new Map<string, Promise<InferenceSession>>();

  /**
   * Host copy of a value that lives in a WebGPU buffer: run it through a cached one-node graph
   * (Where(true, x, x), which ORT keeps as a real kernel) whose output location is the CPU. Tested
   * on the GPU machine: `Tensor.getData()` on a gpu-buffer tensor aborts onnxruntime-node 1.30,
   * while feeding the buffer to a session with host outputs works.
   */
  readonly downloadGpu = async (t: OrtTensor, shape: readonly number[], dtype: DType): Promise<OrtData> =>
    (await this.copy(t, shape, dtype, 'cpu')).data as OrtData;

  /** Host → GPU buffer through the same kind of one-node session, with a GPU output. */
  readonly uploadGpu = (t: OrtTensor, shape: readonly number[], dtype: DType): Promise<OrtTensor> => this.copy(t, shape, dtype, 'gpu-buffer');

  private async copy(t: OrtTensor, shape: readonly number[], dtype: DType, to: 'cpu' | 'gpu-buffer'): Promise<OrtTensor> {
    const ort = loadOrt();
    // WebGPU has no bool Where kernel: bool values travel as i32 (toIrArray maps them back).
    const viaInt = dtype === 'bool' && to === 'cpu';
    const key = `${dtype}[${shape.join(',')}]->${to}`;
    let s = this.copySessions.get(key);
    if (!s) {
      const copy = trace({ x: { shape, dtype } }, ({ x }, b) => ({ y: viaInt ? x.cast('i32') : where(b.constant(1, [], 'bool'), x, x) }));
      const lowered = lowerGraph(copy, { ...this.options.lowering, f64AsF32: this.f64AsF32 });
      s = ort.InferenceSession.create(lowered.bytes, { ...this.sessionOptions('webgpu'), preferredOutputLocation: to });
      this.copySessions.set(key, s);
      s.catch(() => this.copySessions.delete(key));
    }
    const session = await s;
    const res = await session.run({ [session.inputNames[0]!]: t });
    return res[session.outputNames[0]!]!;
  }

  async dispose(): Promise<void> {
    const copies = [...this.copySessions.values()];
    this.copySessions.clear();
    await Promise.all(copies.map((s) => s.then((x) => x.release()).catch(() => {})));
    const entries = [...this.cache.values()];
    this.cache.clear();
    await Promise.all(entries.flatMap((e) => [...e.sessions.values()].map((s) => s.then((c) => c.session.release()).catch(() => {}))));
  }

  /** Compiled sessions held (for tests and diagnostics). */
  get sessionCount(): number {
    let n = 0;
    for (const e of this.cache.values()) n += e.sessions.size;
    return n;
  }

  get computesF64AsF32(): boolean { return this.f64AsF32; }
}

/** A compiled graph: the cached session(s) of one graph on one provider. */
export class OrtExecutable implements Executable {
  readonly graph: Graph;
  readonly device: string;
  readonly warnings: readonly string[];
  /** Where ONNX Runtime placed each node (non-CPU providers with reportPlacement). */
  readonly placement?: NodePlacement;
  private disposed = false;
  private readonly specs: ReturnType<typeof inputSpecs>;

  constructor(private readonly backend: OnnxRuntimeBackend, private readonly ort: Ort, private readonly entry: CacheEntry, primary: Compiled) {
    this.graph = entry.graph;
    this.device = primary.provider;
    this.warnings = entry.warnings;
    if (primary.placement) this.placement = primary.placement;
    this.specs = inputSpecs(entry.graph);
  }

  /** The ORT session of the full graph (tests check that compiling twice reuses it). */
  get session(): Promise<InferenceSession> { return this.backend.session(this.ort, this.entry, null).then((c) => c.session); }

  async run(inputs: Record<string, HostTensor | DeviceTensor>, options?: RunOptions): Promise<Record<string, DeviceTensor>> {
    const name = this.backend.name;
    if (this.disposed) throw new BackendError(name, 'run() after dispose(); compile the graph again');
    const want = requestedOutputs(name, this.graph, options);
    if (want.length === 0) return {};
    const feeds: Record<string, import('onnxruntime-node').Tensor> = {};
    for (const [inName, s] of Object.entries(this.specs)) {
      const t = inputs[inName];
      if (!t) throw new BackendError(name, `missing input "${inName}" (${s.dtype}[${s.shape.join(',')}])`);
      if (t.dtype !== s.dtype || t.shape.length !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i])) {
        throw new BackendError(name, `input "${inName}" is ${t.dtype}[${t.shape.join(',')}], the graph expects ${s.dtype}[${s.shape.join(',')}]`);
      }
      if (isDeviceTensor(t)) {
        if (!(t instanceof OrtDeviceTensor)) throw new BackendError(name, `input "${inName}" lives on backend "${t.backend}"; download it and pass a host tensor`);
        // Uploaded weights reach a WebGPU session's GPU buffers once, not on every run (bool stays
        // on the host: it has no GPU copy kernel and is small).
        feeds[inName] = this.device === 'webgpu' && t.dtype !== 'bool' ? await t.moveToGpu((v) => this.backend.uploadGpu(v, t.shape, t.dtype)) : t.tensor;
      } else {
        checkHostData(name, `input "${inName}"`, t);
        feeds[inName] = hostToOrt(this.ort, name, t, this.backend.computesF64AsF32, false);
      }
    }
    // Nothing to compute: answer without the session. Some ORT CPU kernels divide by a zero
    // dimension (TopK on [0, d] raised SIGFPE and killed the process), so empty results never
    // depend on every kernel handling them.
    if (want.every((w) => this.outputNode(w).shape.includes(0))) {
      const out: Record<string, DeviceTensor> = {};
      for (const w of want) {
        const node = this.outputNode(w);
        out[w] = new OrtDeviceTensor(name, hostToOrt(this.ort, name, { data: allocate(node.dtype, 0), shape: node.shape, dtype: node.dtype }, this.backend.computesF64AsF32, false), node.shape, node.dtype);
      }
      return out;
    }
    const compiled = await this.backend.session(this.ort, this.entry, want);
    const res = await compiled.session.run(feeds, want.map((w) => compiled.outputNames[w]!));
    const out: Record<string, DeviceTensor> = {};
    for (const w of want) {
      const node = this.outputNode(w);
      out[w] = new OrtDeviceTensor(name, res[compiled.outputNames[w]!]!, node.shape, node.dtype, this.backend.downloadGpu);
    }
    return out;
  }

  private outputNode(name: string) {
    return this.graph.nodes[this.graph.outputs.find((o) => o.name === name)!.id]!;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.backend.release(this.entry);
  }
}
