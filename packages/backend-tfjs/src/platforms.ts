import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Availability } from '@clt/core';
import * as tf from '@tensorflow/tfjs-core';
import type { TfjsPlatform } from './lower/lower-table.js';
import { setupWebGpu, type WebGpuOptions } from './webgpu-node.js';

/** How {@link initPlatform} sets a tfjs platform up: native loader, wasm threads, WebGPU adapter attempts, a final check. */
export interface PlatformOptions {
  /**
   * For `tensorflow`: loads the native binding (the packages @clt/backend-tfjs-node and
   * -node-gpu import @tensorflow/tfjs-node(-gpu) here); resolves to null or a reason it failed.
   */
  readonly loadNative?: () => Promise<string | null>;
  /** tfjs-wasm threads; honoured only where tfjs finds multithreaded wasm support (not in Node). */
  readonly wasmThreads?: number;
  /** For `webgpu`: how to find an adapter (see {@link setupWebGpu}). */
  readonly webgpu?: WebGpuOptions;
  /**
   * Checked once the tfjs backend works, with its instance (e.g. tfjs-node-gpu: is TensorFlow
   * using a GPU?); returns null or a reason the platform is unusable.
   */
  readonly verify?: (instance: unknown) => string | null;
}

export interface PlatformReady {
  readonly available: true;
  readonly detail: string;
  /** Things every executable on this platform should carry as warnings. */
  readonly warnings: readonly string[];
}
/**
 * What {@link initPlatform} found: ready (`available: true`, a one-line detail and warnings every
 * executable should carry) or unavailable with a reason a user can act on.
 */
export type PlatformStatus = PlatformReady | Extract<Availability, { available: false }>;

const req = createRequire(import.meta.url);
const ready = new Map<TfjsPlatform, Promise<PlatformStatus>>();
/**
 * `tensorflow` is shared by tfjs-node and tfjs-node-gpu: neither the failure nor the success of one
 * binding may be reported for the other (tfjs-node loaded must not make tfjs-node-gpu "available"
 * on the CPU), so results there are remembered per native loader.
 */
const nativeResults = new WeakMap<object, Promise<PlatformStatus>>();

/**
 * Initialize a tfjs backend once per process (tfjs's engine is global) and prove it computes: a
 * 2×2 matmul must come back right, which catches setups that load but cannot run shaders.
 */
export function initPlatform(platform: TfjsPlatform, options: PlatformOptions = {}): Promise<PlatformStatus> {
  if (platform === 'tensorflow' && options.loadNative) {
    let p = nativeResults.get(options.loadNative);
    if (!p) {
      p = doInit(platform, options).catch((err): PlatformStatus => ({ available: false, reason: `tfjs ${platform} failed to initialize: ${(err as Error).message}` }));
      nativeResults.set(options.loadNative, p);
    }
    return p;
  }
  let p = ready.get(platform);
  if (!p) {
    p = doInit(platform, options).catch((err): PlatformStatus => ({ available: false, reason: `tfjs ${platform} failed to initialize: ${(err as Error).message}` }));
    ready.set(platform, p);
  }
  return p;
}

async function doInit(platform: TfjsPlatform, options: PlatformOptions): Promise<PlatformStatus> {
  // tfjs-cpu's one-time "install tfjs-node" banner and debug checks are off in production mode.
  tf.env().set('PROD', true);
  let detail: string;
  const warnings: string[] = [];
  switch (platform) {
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      detail = 'tfjs cpu backend (plain JavaScript kernels)';
      break;
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      if (!tf.findBackend('wasm')) {
        // The binaries ship in the package; point tfjs at them so nothing is fetched.
        const dist = join(dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
        const files = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;
        const missing = files.filter((f) => !existsSync(join(dist, f)));
        if (missing.length) return { available: false, reason: `the tfjs-backend-wasm package lacks ${missing.join(', ')}; reinstall @tensorflow/tfjs-backend-wasm.` };
        wasm.setWasmPaths(Object.fromEntries(files.map((f) => [f, join(dist, f)])) as Parameters<typeof wasm.setWasmPaths>[0]);
        const mt = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
        if (options.wasmThreads && mt) wasm.setThreadsCount(options.wasmThreads);
      }
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const mt = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      detail = `tfjs wasm backend, SIMD ${simd ? 'on' : 'off'}, ${mt ? 'multithreaded' : 'single-threaded (no multithreaded wasm support in this runtime)'}`;
      break;
    }
    case 'webgpu': {
      const s = await setupWebGpu(options.webgpu);
      if (typeof s === 'string') return { available: false, reason: s };
      detail = s.detail;
      if (s.software) warnings.push(`tfjs-webgpu runs on a software adapter here (${s.detail}); results are right, speed is not representative of a GPU`);
      break;
    }
    case 'tensorflow': {
      // Each loader is asked even when `tensorflow` is registered already: the other binding may
      // have registered it, and a loader refuses to load next to the other one.
      if (options.loadNative || !tf.findBackendFactory('tensorflow')) {
        const why = options.loadNative ? await options.loadNative() : 'no native loader given: import @clt/backend-tfjs-node (CPU) or @clt/backend-tfjs-node-gpu (CUDA) to register tfjs-node';
        if (why) return { available: false, reason: why };
      }
      if (!tf.findBackendFactory('tensorflow')) return { available: false, reason: 'the native binding loaded but registered no `tensorflow` tfjs backend; check that @tensorflow/tfjs-node uses the same @tensorflow/tfjs-core version (4.22) as @clt/backend-tfjs.' };
      detail = 'tfjs tensorflow backend (native TensorFlow)';
      break;
    }
  }
  const previous = tf.getBackend();
  if (!(await tf.setBackend(platform))) return { available: false, reason: `tfjs could not initialize its '${platform}' backend (tfjs printed the cause above).` };
  const check = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2])));
  const got = Array.from(await check.data());
  check.dispose();
  if (previous && previous !== platform && tf.findBackend(previous)) await tf.setBackend(previous);
  const refused = options.verify?.(tf.findBackend(platform));
  if (refused) return { available: false, reason: refused };
  if (got.join(',') !== '19,22,43,50') return { available: false, reason: `tfjs ${platform} initialized but computed a 2×2 matmul wrong ([${got.join(', ')}] instead of [19, 22, 43, 50]); the driver or adapter is broken.` };
  return { available: true, detail, warnings };
}

/**
 * Make `platform` tfjs's active backend. After initialization this is synchronous (tfjs's
 * setBackend does no await for an initialized backend), so upload/run can call it freely.
 */
export function activate(platform: TfjsPlatform): void {
  if (tf.getBackend() === platform) return;
  if (!tf.findBackend(platform)) throw new Error(`tfjs backend '${platform}' is not initialized; await availability() (or compile a graph) first`);
  void tf.setBackend(platform);
  if (tf.getBackend() !== platform) throw new Error(`tfjs did not switch to '${platform}'`);
}
