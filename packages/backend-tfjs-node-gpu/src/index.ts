/**
 * @clt/backend-tfjs-node-gpu: clt graphs on native TensorFlow with CUDA through
 * @tensorflow/tfjs-node-gpu (libtensorflow 2.9.1: CUDA 11.2, cuDNN 8.1, NVIDIA driver >= 450),
 * over the shared lowering of @clt/backend-tfjs. The binding is imported lazily; importing this
 * package never loads native code and never throws. `./register` adds the opt-in `tfjs-node-gpu`.
 */
import type { Availability } from '@clt/core';
import { CUDA_REQUIREMENTS, cudaLibraries, loadNativeTensorflow, TfjsBackend, type NativeSpec, type TfjsBackendOptions } from '@clt/backend-tfjs';

/** The native binding this package loads; the import is written here so it resolves from this package. */
export const TFJS_NODE_GPU: NativeSpec = {
  variant: 'gpu',
  packageName: '@tensorflow/tfjs-node-gpu',
  load: () => import('@tensorflow/tfjs-node-gpu'),
};

/** Load @tensorflow/tfjs-node-gpu once; null when loaded, else what failed and what to do. */
export function loadTfjsNodeGpu(): Promise<string | null> {
  return (loading ??= loadNativeTensorflow(TFJS_NODE_GPU));
}
let loading: Promise<string | null> | undefined;

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
