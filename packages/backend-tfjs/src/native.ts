/**
 * Shared loading of the native TensorFlow binding (@tensorflow/tfjs-node or -node-gpu) for the
 * thin packages @clt/backend-tfjs-node and @clt/backend-tfjs-node-gpu. They pass their own
 * `import()` (so the optional dependency resolves from their node_modules) and get back null or a
 * sentence saying what failed and what to do. Nothing here imports a native module itself.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Which native TensorFlow binding: `cpu` (@tensorflow/tfjs-node) or `gpu` (@tensorflow/tfjs-node-gpu, CUDA). */
export type NativeVariant = 'cpu' | 'gpu';

/** A native binding as a thin package describes it to {@link loadNativeTensorflow}. */
export interface NativeSpec {
  readonly variant: NativeVariant;
  /** `@tensorflow/tfjs-node` or `@tensorflow/tfjs-node-gpu`. */
  readonly packageName: string;
  /** `() => import('@tensorflow/tfjs-node')`, written in the thin package. */
  readonly load: () => Promise<unknown>;
}

/** libtensorflow version that tfjs-node(-gpu) 4.22 links (its scripts/deps-constants.js). */
export const LIBTENSORFLOW_VERSION = '2.9.1';
/** What tfjs-node-gpu 4.22 (libtensorflow 2.9) needs from NVIDIA, per its README. */
export const CUDA_REQUIREMENTS = 'an NVIDIA driver >= 450, CUDA 11.2 and cuDNN 8.1 (libcudart.so.11.0 and libcudnn.so.8 on the library path)';

const LOADED = Symbol.for('@clt/backend-tfjs.native-variant');
type Registry = { [LOADED]?: NativeVariant };

/** Which native binding this process loaded, if any (tfjs-node and -node-gpu exclude each other). */
export function loadedNativeVariant(): NativeVariant | undefined {
  return (globalThis as Registry)[LOADED];
}

const SUPPORTED: Record<NativeVariant, readonly string[]> = {
  cpu: ['linux/x64', 'darwin/x64', 'win32/x64'],
  gpu: ['linux/x64', 'win32/x64'],
};

function howToBuild(spec: NativeSpec): string {
  return `To use it, allow its install script and rebuild on a machine with network access: remove '${spec.packageName}' from ` +
    `ignoredBuiltDependencies in pnpm-workspace.yaml (pnpm 11+: list it as true under allowBuilds), then run \`pnpm rebuild ${spec.packageName}\` ` +
    `(or \`npm rebuild ${spec.packageName} --build-addon-from-source\` to compile the addon against an installed libtensorflow ${LIBTENSORFLOW_VERSION}).`;
}

/** CUDA libraries libtensorflow 2.9 opens, and whether each is found in the usual places. */
export function cudaLibraries(): { name: string; found: boolean }[] {
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), '/usr/local/cuda/lib64', '/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib'];
  return ['libcudart.so.11.0', 'libcublas.so.11', 'libcudnn.so.8'].map((name) => ({ name, found: dirs.some((d) => existsSync(join(d, name))) }));
}

/**
 * Import the binding once per process. Resolves to null when the `tensorflow` tfjs backend is
 * registered, or to a reason a user can act on. Never throws.
 */
export async function loadNativeTensorflow(spec: NativeSpec): Promise<string | null> {
  const other = loadedNativeVariant();
  if (other && other !== spec.variant) {
    return `${other === 'gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node'} is already loaded in this process, and ${spec.packageName} cannot be loaded next to it ` +
      '(both register the tfjs `tensorflow` backend over their own libtensorflow). Use one per process.';
  }
  if (other === spec.variant) return null;
  const platform = `${process.platform}/${process.arch}`;
  if (!SUPPORTED[spec.variant].includes(platform)) {
    return `${spec.packageName} has no prebuilt libtensorflow for ${platform} (supported: ${SUPPORTED[spec.variant].join(', ')}). Use tfjs-wasm or tfjs-cpu here.`;
  }
  try {
    await spec.load();
  } catch (err) {
    return explainLoadFailure(spec, err as NodeJS.ErrnoException);
  }
  (globalThis as Registry)[LOADED] = spec.variant;
  return null;
}

/** Turn an import failure of tfjs-node(-gpu) into what failed and what to do. */
export function explainLoadFailure(spec: NativeSpec, err: NodeJS.ErrnoException): string {
  const msg = String(err?.message ?? err);
  const first = msg.split('\n')[0]!.trim();
  const needs = spec.variant === 'gpu' ? ` It needs Linux or Windows x86_64 with ${CUDA_REQUIREMENTS}.` : '';
  if ((err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND') && msg.includes(spec.packageName) && !msg.includes('tfjs_binding')) {
    return `${spec.packageName} is not installed (it is an optional dependency that was skipped). Install it with \`pnpm add ${spec.packageName}@4.22.0\`.${needs} ${howToBuild(spec)}`;
  }
  if (/tfjs_binding\.node/.test(msg) && /can ?not be found|cannot find/i.test(msg)) {
    const rel = /(lib[\\/]napi-v\d+[\\/]tfjs_binding\.node)/.exec(msg)?.[1] ?? 'lib/napi-v<N>/tfjs_binding.node';
    return `${spec.packageName} is installed but its native addon is missing (${rel} inside the package): the package's install script, which downloads ` +
      `libtensorflow ${LIBTENSORFLOW_VERSION}${spec.variant === 'gpu' ? ' (GPU build)' : ''} and the prebuilt addon, did not run — pnpm skips it when the package is listed in ` +
      `ignoredBuiltDependencies, as this workspace does so that installs never need that download — or its download failed.${needs} ${howToBuild(spec)}`;
  }
  if (/lib(tensorflow|cudart|cublas|cudnn|cuda)[^ ]*\.so/.test(msg) || /cannot open shared object file|image not found|Library not loaded/i.test(msg)) {
    const cuda = spec.variant === 'gpu' ? ` CUDA libraries seen here: ${cudaLibraries().map((l) => `${l.name} ${l.found ? 'found' : 'missing'}`).join(', ')}.` : '';
    return `${spec.packageName}'s native addon is present but a shared library it links could not be loaded (${first}).${needs}${cuda} Reinstall with its build script allowed: ${howToBuild(spec)}`;
  }
  return `${spec.packageName} failed to load: ${first}.${needs} ${howToBuild(spec)}`;
}
