/**
 * @clt/backend-tfjs-node-gpu: clt graphs on native TensorFlow with CUDA through
 * @tensorflow/tfjs-node-gpu (libtensorflow 2.9.1: CUDA 11.2, cuDNN 8.1, NVIDIA driver >= 450),
 * over the shared lowering of @clt/backend-tfjs. The binding is imported lazily; importing this
 * package never loads native code and never throws. `./register` adds the opt-in `tfjs-node-gpu`.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Availability } from '@clt/core';
import { CUDA_REQUIREMENTS, cudaLibraries, explainLoadFailure, loadedNativeVariant, loadNativeTensorflow, TfjsBackend, type NativeSpec, type TfjsBackendOptions } from '@clt/backend-tfjs';

/** The native binding this package loads; the import is written here so it resolves from this package. */
export const TFJS_NODE_GPU: NativeSpec = {
  variant: 'gpu',
  packageName: '@tensorflow/tfjs-node-gpu',
  load: () => {
    // Hides TensorFlow's INFO lines; read when libtensorflow loads, so set before the import. A user's value wins.
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
    return import('@tensorflow/tfjs-node-gpu');
  },
};

/** Load @tensorflow/tfjs-node-gpu once; null when loaded, else what failed and what to do. */
export function loadTfjsNodeGpu(): Promise<string | null> {
  return (loading ??= loadNativeTensorflow(TFJS_NODE_GPU).then((why) => {
    // With tfjs-node loaded (e.g. `clt backends` lists both), "already loaded" hides what a user
    // must fix for the GPU one; when its addon is missing as well, say that first.
    if (why && loadedNativeVariant() === 'cpu') {
      const own = gpuAddonProblem();
      if (own) return `${own} (Besides, ${why.charAt(0).toLowerCase()}${why.slice(1)})`;
    }
    return why;
  }));
}
let loading: Promise<string | null> | undefined;

/** Without loading it: why @tensorflow/tfjs-node-gpu cannot load here (not installed, addon missing), or null. */
export function gpuAddonProblem(): string | null {
  const req = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = dirname(req.resolve(`${TFJS_NODE_GPU.packageName}/package.json`));
  } catch {
    return explainLoadFailure(TFJS_NODE_GPU, Object.assign(new Error(`Cannot find package '${TFJS_NODE_GPU.packageName}'`), { code: 'ERR_MODULE_NOT_FOUND' }));
  }
  const pkg = req(join(dir, 'package.json')) as { binary?: { napi_versions?: number[] } };
  const napi = Math.max(...(pkg.binary?.napi_versions ?? [8]).filter((v) => v <= Number(process.versions.napi)));
  const rel = `lib/napi-v${napi}/tfjs_binding.node`;
  if (existsSync(join(dir, rel))) return null;
  return explainLoadFailure(TFJS_NODE_GPU, new Error(`The Node.js native addon module (tfjs_binding.node) can not be found at path: ${rel}`));
}

/**
 * libtensorflow's GPU build falls back to the CPU when it cannot open the CUDA libraries, with
 * only a log line; a "GPU" backend silently on the CPU would mislead every benchmark, so it is
 * reported unavailable instead.
 */
export function requireGpuDevice(instance: unknown): string | null {
  const usingGpu = (instance as { isUsingGpuDevice?: boolean } | undefined)?.isUsingGpuDevice;
  if (usingGpu !== false) return null;
  const libs = cudaLibraries().map((l) => `${l.name} ${l.found ? 'found' : 'missing'}`).join(', ');
  return `@tensorflow/tfjs-node-gpu loaded, but TensorFlow found no usable CUDA GPU and would run on the CPU. It needs ${CUDA_REQUIREMENTS}; ` +
    `seen here: ${libs}. Install CUDA 11.2 and cuDNN 8.1 (other CUDA 11.x releases work when their libcudart.so.11.0 is found), check \`nvidia-smi\`, ` +
    'or use tfjs-node for TensorFlow on the CPU.';
}

/** The `tfjs-node-gpu` backend: the tfjs `tensorflow` platform on TensorFlow's CUDA build. */
export function createTfjsNodeGpuBackend(options: Omit<TfjsBackendOptions, 'platform' | 'loadNative'> = {}): TfjsBackend {
  return new TfjsBackend({ name: 'tfjs-node-gpu', device: 'cuda', verify: requireGpuDevice, ...options, platform: 'tensorflow', loadNative: loadTfjsNodeGpu });
}

/** Whether tfjs-node-gpu can run here, with the reason and the fix when not. */
export function tfjsNodeGpuAvailability(): Promise<Availability> {
  return createTfjsNodeGpuBackend().availability();
}
