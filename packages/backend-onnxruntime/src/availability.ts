import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Availability } from '@clt/core';
import { GraphBuilder } from '@clt/core';
import { lowerGraph } from './lower/model.js';

/** The execution providers this package can target, in the order users usually prefer them. */
export const EXECUTION_PROVIDERS = ['cpu', 'webgpu', 'cuda', 'tensorrt'] as const;
/** An ONNX Runtime execution provider this package can target: `cpu`, `webgpu`, `cuda` or `tensorrt`. */
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

/** What to do to get a provider that is not available, in words a user can act on. */
const HOW_TO: Record<Exclude<ExecutionProvider, 'cpu'>, string> = {
  webgpu:
    'ONNX Runtime\'s WebGPU provider runs on Dawn, which needs a GPU driver with Vulkan on Linux (the Vulkan loader libvulkan.so.1 ' +
    'and an ICD for the GPU, e.g. the NVIDIA driver). Run on a machine with a GPU and its Vulkan driver, or use onnxruntime-cpu.',
  cuda:
    'The CUDA provider library is not bundled with onnxruntime-node; its install script downloads it, and that step was skipped ' +
    'or denied on this machine. It needs CUDA 12 and cuDNN 9 on the library path. Install it with ' +
    '`ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install` (or reinstall onnxruntime-node with its ' +
    'build script allowed), then check that libcudart.so.12 and libcudnn.so.9 resolve.',
  tensorrt:
    'The TensorRT provider library comes with the CUDA provider download of onnxruntime-node (skipped or denied on this machine) and ' +
    'needs CUDA 12, cuDNN 9 and TensorRT 10 libraries on the library path. Install the provider libraries with ' +
    '`ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install`, then TensorRT 10 (libnvinfer.so.10).',
};

/** Provider libraries that must sit next to the ONNX Runtime binding for a provider to load. */
const PROVIDER_LIBS: Partial<Record<ExecutionProvider, readonly string[]>> = {
  cuda: ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'],
  tensorrt: ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_tensorrt.so'],
};

/** Directory of the native binding of the installed onnxruntime-node (where provider libraries go). */
export function ortBinaryDir(): string {
  const req = createRequire(import.meta.url);
  const pkg = dirname(req.resolve('onnxruntime-node/package.json'));
  return join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
}

/**
 * The ort module, required on first use (synchronously: `upload` is synchronous) so that importing
 * this package never loads native code.
 */
export type Ort = typeof import('onnxruntime-node');
let ortModule: Ort | undefined;
export function loadOrt(): Ort {
  if (!ortModule) {
    disableOrtTelemetry();
    ortModule = createRequire(import.meta.url)('onnxruntime-node') as Ort;
  }
  return ortModule;
}

/**
 * onnxruntime-node 1.30 on Linux starts Microsoft's telemetry client (1DS) in every process unless
 * the environment variable `ORT_DISABLE_TELEMETRY` is set: it leaves an empty
 * `/tmp/mat-debug-<pid>.log` per process, keeps a device id and an event database (megabytes) under
 * `~/.cache/Microsoft/DeveloperTools/.onnxruntime/`, and tries to upload events over HTTPS. No
 * session or `ort.env` option stops it; the variable does, read when the native library creates its
 * environment. Set it before loading the library, unless the user chose a value.
 */
export function disableOrtTelemetry(): void {
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
}

const probes = new Map<ExecutionProvider, Promise<Availability>>();

/** A two-node model, enough to make a provider initialize its device. */
function probeModel(): Uint8Array {
  const b = new GraphBuilder();
  const x = b.input('x', [2], 'f32');
  return lowerGraph(b.build({ y: x.mul(x).add(x) })).bytes;
}

async function probe(ep: ExecutionProvider): Promise<Availability> {
  let ort: Ort;
  try {
    ort = loadOrt();
  } catch (err) {
    return { available: false, reason: `onnxruntime-node failed to load: ${(err as Error).message}. Reinstall it (npm ls onnxruntime-node).` };
  }
  if (ep === 'cpu') return { available: true, detail: `ONNX Runtime ${ort.env.versions.common} CPU provider` };
  const listed = ort.listSupportedBackends().find((b) => b.name === ep);
  if (!listed) return { available: false, reason: `this onnxruntime-node build (${process.platform}/${process.arch}) has no '${ep}' provider. ${HOW_TO[ep]}` };
  const libs = PROVIDER_LIBS[ep];
  if (libs) {
    const dir = ortBinaryDir();
    const missing = libs.filter((l) => !existsSync(join(dir, l)));
    if (missing.length) return { available: false, reason: `the ${ep.toUpperCase()} provider library is not installed (missing ${missing.join(', ')} next to the onnxruntime-node binding). ${HOW_TO[ep]}` };
  }
  // Library present (or bundled): only a real session proves the device initializes.
  try {
    const s = await ort.InferenceSession.create(probeModel(), { executionProviders: [ep], logSeverityLevel: 4 });
    await s.release();
    return { available: true, detail: `ONNX Runtime ${ort.env.versions.common} ${ep} provider` };
  } catch (err) {
    const msg = (err as Error).message.replace(/\s+/g, ' ').trim();
    // Drop ONNX Runtime's build-tree source location, keep the message.
    const clean = msg.replace(/^\/\S+:\d+ .*? was false\. /, '');
    const vulkan = ep === 'webgpu' && !hasVulkanLoader() ? ' No Vulkan loader (libvulkan.so.1) was found on this machine.' : '';
    return { available: false, reason: `the ${ep} provider failed to initialize: ${clean}${/[.!]$/.test(clean) ? '' : '.'}${vulkan} ${HOW_TO[ep]}` };
  }
}

/** Whether the Vulkan loader library can be found in the usual Linux locations. */
function hasVulkanLoader(): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];
  return dirs.some((d) => existsSync(join(d, 'libvulkan.so.1')));
}

/**
 * Whether an execution provider can run here, with a reason and how to get it when not.
 * Probed once per process (a tiny session is created), then cached.
 */
export function providerAvailability(ep: ExecutionProvider): Promise<Availability> {
  let p = probes.get(ep);
  if (!p) { p = probe(ep); probes.set(ep, p); }
  return p;
}
