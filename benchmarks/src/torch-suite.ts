import { GradientEnergyProbe, initParams, LeNet, Mlp, ResNet, Rng, sgdStepGraph, stepNames, StructureMatrixProbe, symmetricEigen, type Backend, type DeviceTensor } from '@clt/core';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { gemmFloorCase, modelStepCase, sgdStepCase } from './throughput/workloads.js';

/**
 * `clt-bench --suite torch`: clt beside PyTorch (CPU) on the workloads of issue 22, in one run.
 * A PyTorch worker (benchmarks/torch/side_by_side.py) is started once and driven over stdin/stdout,
 * so every workload's rounds interleave — a round of clt calls, then a round of PyTorch calls, the
 * order alternating — and drift or a busy neighbour hits both alike. Reported per side: median
 * wall ms with its range, and median CPU ms per call (process CPU time: ONNX Runtime's threads
 * included on clt's side); the ratio columns are clt / PyTorch.
 */

export const TORCH_SCRIPT = fileURLToPath(new URL('../torch/side_by_side.py', import.meta.url));

export interface SideStats {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly cpuMedianMs: number;
  readonly samples: number;
}

export interface SideBySideRow {
  readonly case: string;
  readonly label: string;
  readonly target: string;
  readonly clt: SideStats;
  readonly torch: SideStats;
  /** clt / PyTorch, medians of wall time and of CPU time. */
  readonly ratio: number;
  readonly cpuRatio: number;
  readonly note?: string;
}

export interface TorchSuiteResult {
  readonly skipped?: string;
  readonly torch?: string;
  readonly threads: number;
  readonly rows: SideBySideRow[];
}

export interface TorchSuiteOptions {
  readonly threads?: number;
  readonly quick?: boolean;
  /** Python interpreter (default: CLT_PYTHON, else python3). */
  readonly python?: string;
  /** Only cases whose name matches. */
  readonly only?: RegExp;
  readonly log?: (line: string) => void;
}

/** The PyTorch worker: one JSON request per line, one JSON answer per line. */
class TorchWorker {
  private readonly lines: AsyncIterator<string>;
  private constructor(private readonly proc: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  }

  /** Start the worker, or say why PyTorch is not usable here. */
  static async start(python: string, threads: number): Promise<{ worker: TorchWorker; version: string } | { skipped: string }> {
    let proc: ChildProcessWithoutNullStreams;
    try {
      proc = spawn(python, [TORCH_SCRIPT, String(threads)], { env: { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) } });
    } catch (e) {
      return { skipped: `cannot start ${python}: ${(e as Error).message}` };
    }
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
    const failed = new Promise<{ skipped: string }>((resolve) => {
      proc.on('error', (e) => resolve({ skipped: `cannot start ${python} (${e.message}); install Python 3 with PyTorch (CPU build) or set CLT_PYTHON` }));
      proc.on('exit', (code) => resolve({ skipped: `${python} exited (code ${code}) before it was ready${stderr ? `: ${stderr.trim().split('\n').at(-1)}` : ''}` }));
    });
    const worker = new TorchWorker(proc);
    // Output closing before the first line means the process is exiting: wait for its exit code.
    const first = await Promise.race([worker.read().catch(() => failed), failed]);
    if ('skipped' in first) return first as { skipped: string };
    if (typeof first.error === 'string') { proc.kill(); return { skipped: `${first.error} (install it with the Python package installer: torch, CPU build)` }; }
    return { worker, version: String(first.torch) };
  }

  private async read(): Promise<Record<string, unknown>> {
    const next = await this.lines.next();
    if (next.done) throw new Error('the PyTorch worker stopped unexpectedly');
    return JSON.parse(next.value) as Record<string, unknown>;
  }

  async request(msg: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.proc.stdin.write(JSON.stringify(msg) + '\n');
    const res = await this.read();
    if (typeof res.error === 'string') throw new Error(`PyTorch worker: ${res.error}`);
    return res;
  }

  close(): void {
    this.proc.stdin.end(JSON.stringify({ quit: true }) + '\n');
  }
}

interface CltSide { run: () => Promise<unknown>; dispose: () => Promise<void> | void }
interface Case {
  readonly name: string;
  readonly label: string;
  readonly target: string;
  /** Calls per round on each side, and rounds. */
  readonly reps: number;
  readonly rounds: number;
  readonly torchArgs: Record<string, unknown>;
  readonly note?: string;
  setup(backend: Backend): Promise<CltSide>;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const stats = (wall: number[], cpu: number[]): SideStats => ({ medianMs: median(wall), minMs: Math.min(...wall), maxMs: Math.max(...wall), cpuMedianMs: median(cpu), samples: wall.length });

/** The workloads of issue 22 (MLP 784-256-256-10, relu, float32 graphs; eigenvalues in float64). */
export function torchCases(options: { quick?: boolean } = {}): Case[] {
  const q = !!options.quick;
  const sizes = [784, 256, 256, 10];
  const nNtk = q ? 32 : 256, nEig = q ? 256 : 2560;
  const mlp = () => new Mlp({ sizes, activation: 'relu' });
  const digits = async (n: number) => {
    const { loadMnist, stratifiedSample } = await import('@clt/cli/datasets');
    return Float32Array.from(stratifiedSample(loadMnist(), n, 0).x);
  };
  const f32Params = (model: Mlp) => {
    const init = initParams(model, new Rng(1));
    return Object.fromEntries(model.params.map((p) => [p.name, Float32Array.from(init[p.name]!)]));
  };
  const cases: Case[] = (q ? [32] : [32, 128, 512]).map((batch) => ({
    name: `sgd-step/n${batch}`, label: `SGD step, MLP 784-256-256-10, batch ${batch}`, target: '≤ 0.9',
    reps: batch >= 512 ? 5 : 10, rounds: q ? 3 : 20, torchArgs: { sizes, batch },
    async setup(backend: Backend) {
      const s = await sgdStepCase(sizes, batch).setup(backend);
      return { run: s.run, dispose: s.dispose };
    },
  }));
  // Diagnostic rows: the step's matrix products alone (ONNX Runtime's MLAS against PyTorch's BLAS),
  // same shapes, each product summed to a scalar. A step cannot be faster than its own floor, so
  // these say how far below PyTorch's step the SGD rows can go on this machine.
  if (!q) cases.push(...[32, 128, 512].map((batch): Case => ({
    name: `gemm-floor/n${batch}`, label: `GEMM floor of that step (its matrix products alone), batch ${batch}`, target: 'diagnostic',
    reps: batch >= 512 ? 5 : 10, rounds: 10, torchArgs: { sizes, batch },
    async setup(backend: Backend) {
      const s = await gemmFloorCase(sizes, batch).setup(backend);
      return { run: s.run, dispose: s.dispose };
    },
  })));
  // The same small-batch step as the trainer runs it with `fuseSteps: 8` (clt train --fuse-steps 8):
  // 8 steps on 8 batches in one backend run, the 8 losses read after it; PyTorch runs the same 8
  // steps in its loop, reading each loss. Per call: 8 steps on both sides.
  // The fused rows at 128 and 512 show what is left once the output copies are amortised: the
  // matrix products, against the GEMM floor rows above.
  cases.push(...(q ? [32] : [32, 128, 512]).map((batch): Case => ({
    name: `sgd-steps/n${batch}x8`, label: `SGD steps, MLP 784-256-256-10, batch ${batch}, 8 per call`, target: '≤ 0.9',
    reps: batch >= 512 ? 1 : 3, rounds: q ? 3 : batch >= 512 ? 10 : 20, torchArgs: { sizes, batch, steps: 8 }, note: 'clt: fused into one run, as fuseSteps: 8',
    async setup(backend: Backend) {
      const K = 8, model = mlp(), rng = new Rng(1), init = f32Params(model);
      const exe = await backend.compile(sgdStepGraph(model, { batch, momentum: 0.9, steps: K }));
      const state: Record<string, DeviceTensor> = {};
      for (const p of model.params) {
        state[stepNames.param(p.name)] = backend.upload({ data: init[p.name]!, shape: p.shape, dtype: 'f32' });
        state[stepNames.velocity(p.name)] = backend.upload({ data: new Float32Array(init[p.name]!.length), shape: p.shape, dtype: 'f32' });
      }
      const feeds: Record<string, DeviceTensor> = {};
      for (let k = 0; k < K; k++) {
        feeds[stepNames.at('x', k)] = backend.upload({ data: Float32Array.from(rng.normals(batch * 784)), shape: [batch, 784], dtype: 'f32' });
        feeds[stepNames.at('y', k)] = backend.upload({ data: Int32Array.from({ length: batch }, () => rng.int(10)), shape: [batch], dtype: 'i32' });
        feeds[stepNames.at('lr', k)] = backend.upload({ data: Float32Array.of(1e-3), shape: [], dtype: 'f32' });
      }
      const outputs = [...model.params.flatMap((p) => [stepNames.newParam(p.name), stepNames.newVelocity(p.name)]), ...Array.from({ length: K }, (_, k) => stepNames.at('loss', k))];
      return {
        run: async () => {
          const res = await exe.run({ ...state, ...feeds }, { outputs });
          for (let k = 0; k < K; k++) { await res[stepNames.at('loss', k)]!.download(); res[stepNames.at('loss', k)]!.dispose(); } // what the trainer reads
          for (const p of model.params) {
            state[stepNames.param(p.name)]!.dispose(); state[stepNames.velocity(p.name)]!.dispose();
            state[stepNames.param(p.name)] = res[stepNames.newParam(p.name)]!;
            state[stepNames.velocity(p.name)] = res[stepNames.newVelocity(p.name)]!;
          }
        },
        dispose: () => { for (const t of [...Object.values(state), ...Object.values(feeds)]) t.dispose(); exe.dispose(); },
      };
    },
  })));
  // Conv models (issue 19): LeNet-5 on MNIST shapes at batch 64, ResNet-18 with GroupNorm(1, C) on
  // CIFAR shapes at batch 32 (seconds per step on a 2-core CPU: full run only). Same layouts on both
  // sides (benchmarks/torch/side_by_side.py mirrors packages/core/src/models).
  const convCases: { name: string; label: string; model: () => LeNet | ResNet; batch: number; input: number[]; reps: number; quick: boolean }[] = [
    { name: 'lenet-step/n64', label: 'SGD step, LeNet-5 on 1×28×28, batch 64', model: () => new LeNet({ input: [1, 28, 28], classes: 10 }), batch: 64, input: [1, 28, 28], reps: 10, quick: true },
    { name: 'resnet18-step/n32', label: 'SGD step, ResNet-18-LN on 3×32×32, batch 32', model: () => new ResNet({ input: [3, 32, 32], classes: 10 }), batch: 32, input: [3, 32, 32], reps: 1, quick: false },
  ];
  for (const c of convCases) {
    if (q && !c.quick) continue;
    cases.push({
      name: c.name, label: c.label, target: '≤ 1.5', reps: c.reps, rounds: q ? 2 : c.reps > 1 ? 10 : 5,
      torchArgs: { batch: c.batch, input_shape: c.input, classes: 10 }, note: 'forward, backward, momentum update, read the loss',
      async setup(backend: Backend) {
        const s = await modelStepCase(c.model(), c.batch, c.name).setup(backend);
        return { run: s.run, dispose: s.dispose };
      },
    });
  }
  cases.push({
    name: 'gradient-energy/n128', label: 'gradient energy, batch 128', target: '≤ 1.0',
    reps: 10, rounds: q ? 3 : 20, torchArgs: { sizes, batch: 128 }, note: 'PyTorch: ghost norms',
    async setup(backend) {
      const model = mlp(), rng = new Rng(2), init = f32Params(model);
      const params: Record<string, DeviceTensor> = Object.fromEntries(model.params.map((p) => [p.name, backend.upload({ data: init[p.name]!, shape: p.shape, dtype: 'f32' })]));
      const x = backend.upload({ data: Float32Array.from(rng.normals(128 * 784)), shape: [128, 784], dtype: 'f32' });
      const labels = Int32Array.from({ length: 128 }, () => rng.int(10));
      const probe = new GradientEnergyProbe(model, backend, { dtype: 'f32' });
      return { run: () => probe.measure(params, x, labels), dispose: async () => { await probe.dispose(); for (const t of [...Object.values(params), x]) t.dispose(); } };
    },
  });
  cases.push({
    name: `ntk/n${nNtk}`, label: `empirical NTK ${nNtk * 10}², layer-wise`, target: '≤ 0.5',
    reps: 1, rounds: q ? 2 : 5, torchArgs: { sizes, n: nNtk }, note: 'both layer-wise: d backward passes, then Σ_l (A Aᵀ + 1) ⊙ (B Bᵀ); clt into a float32 buffer',
    async setup(backend) {
      const model = mlp(), params = f32Params(model), x = await digits(nNtk);
      const probe = new StructureMatrixProbe(model, backend, { dtype: 'f32' });
      return { run: () => probe.ntk(params, x, { dtype: 'f32' }), dispose: () => probe.dispose() };
    },
  });
  cases.push({
    name: `dense-eig/${nEig}`, label: `dense symmetric eigenvalues ${nEig}², f64`, target: '≤ 2',
    reps: 1, rounds: q ? 2 : 3, torchArgs: { size: nEig }, note: 'PyTorch: torch.linalg.eigvalsh (LAPACK)',
    async setup() {
      const rng = new Rng(4), a = new Float64Array(nEig * nEig);
      for (let i = 0; i < nEig; i++) for (let j = 0; j <= i; j++) { const v = rng.normal(); a[i * nEig + j] = v; a[j * nEig + i] = v; }
      return { run: async () => symmetricEigen({ size: nEig, data: a }), dispose: () => undefined };
    },
  });
  cases.push({
    name: `ntk-extremes/n${nNtk}`, label: `λ_min and λ_max of the NTK ${nNtk * 10}²`, target: '≤ 0.5',
    reps: 1, rounds: q ? 2 : 3, torchArgs: { sizes, n: nNtk }, note: 'clt: what extremes() picks by stated cost — here Lanczos + preconditioned LOBPCG with products by the NTK formed once layer-wise in float32 (dense eigen for small NTKs) — on MNIST digits; PyTorch: form the NTK, then eigvalsh',
    async setup(backend) {
      const model = mlp(), params = f32Params(model), x = await digits(nNtk);
      const probe = new StructureMatrixProbe(model, backend, { dtype: 'f32' });
      return { run: () => probe.extremes(params, x), dispose: () => probe.dispose() };
    },
  });
  return cases;
}

/** Run the side-by-side suite on `backend` (ONNX Runtime CPU), or report why it was skipped. */
export async function runTorchSuite(backend: Backend, options: TorchSuiteOptions = {}): Promise<TorchSuiteResult> {
  const threads = options.threads ?? 1, log = options.log ?? (() => undefined);
  const started = await TorchWorker.start(options.python ?? process.env.CLT_PYTHON ?? 'python3', threads);
  if ('skipped' in started) return { skipped: started.skipped, threads, rows: [] };
  const { worker, version } = started;
  const rows: SideBySideRow[] = [];
  try {
    for (const c of torchCases({ quick: !!options.quick })) {
      if (options.only && !options.only.test(c.name)) continue;
      log(`${c.name}: ${c.rounds} interleaved rounds of ${c.reps} call(s) per side`);
      const clt = await c.setup(backend);
      await worker.request({ setup: c.name, args: c.torchArgs });
      try {
        const cw: number[] = [], cc: number[] = [], tw: number[] = [], tc: number[] = [];
        const cltRound = async (keep: boolean) => {
          for (let i = 0; i < c.reps; i++) {
            const t0 = performance.now(), u0 = process.cpuUsage();
            await clt.run();
            const u = process.cpuUsage(u0);
            if (keep) { cw.push(performance.now() - t0); cc.push((u.user + u.system) / 1000); }
          }
        };
        const torchRound = async (keep: boolean) => {
          const r = await worker.request({ run: c.name, reps: c.reps }) as { wallMs: number[]; cpuMs: number[] };
          if (keep) { tw.push(...r.wallMs); tc.push(...r.cpuMs); }
        };
        await cltRound(false); await torchRound(false); // compile, caches, JIT
        for (let r = 0; r < c.rounds; r++) {
          if (r % 2) { await torchRound(true); await cltRound(true); } else { await cltRound(true); await torchRound(true); }
        }
        const a = stats(cw, cc), b = stats(tw, tc);
        const row: SideBySideRow = { case: c.name, label: c.label, target: c.target, clt: a, torch: b, ratio: a.medianMs / b.medianMs, cpuRatio: a.cpuMedianMs / b.cpuMedianMs, ...(c.note ? { note: c.note } : {}) };
        rows.push(row);
        log(`  clt ${a.medianMs.toFixed(2)} ms (cpu ${a.cpuMedianMs.toFixed(2)}), PyTorch ${b.medianMs.toFixed(2)} ms (cpu ${b.cpuMedianMs.toFixed(2)}): clt/torch ${row.ratio.toFixed(2)} wall, ${row.cpuRatio.toFixed(2)} cpu`);
      } finally {
        await clt.dispose();
      }
    }
  } finally {
    worker.close();
  }
  return { torch: version, threads, rows };
}

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** The suite's table (Markdown). */
export function torchMarkdown(r: TorchSuiteResult, machine: { cpu: string; cores: number; node: string; date: string }): string {
  const head = `Machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.date}; ${r.threads} thread(s) per side`;
  if (r.skipped) return `${head}\n\nSkipped: ${r.skipped}\n`;
  return [
    `${head}; PyTorch ${r.torch} (CPU). Medians over interleaved rounds (range in brackets); CPU = process CPU time per call.`, '',
    '| workload | clt ms | clt CPU ms | PyTorch ms | PyTorch CPU ms | clt/PyTorch wall | clt/PyTorch CPU | target |', '|---|---|---|---|---|---|---|---|',
    ...r.rows.map((x) => `| ${x.label}${x.note ? ` (${x.note})` : ''} | ${ms(x.clt.medianMs)} [${ms(x.clt.minMs)}–${ms(x.clt.maxMs)}] | ${ms(x.clt.cpuMedianMs)} | ${ms(x.torch.medianMs)} [${ms(x.torch.minMs)}–${ms(x.torch.maxMs)}] | ${ms(x.torch.cpuMedianMs)} | ${x.ratio.toFixed(2)} | ${x.cpuRatio.toFixed(2)} | ${x.target} |`),
    '',
  ].join('\n');
}
