/**
 * @clt/backend-tfjs-node: clt graphs on native TensorFlow (CPU) through @tensorflow/tfjs-node,
 * over the shared lowering of @clt/backend-tfjs. The binding is imported lazily, on the first
 * `availability()`/`compile()`; importing this package never loads native code and never throws.
 * Import `@clt/backend-tfjs-node/register` to make `tfjs-node` resolvable by name.
 */
import type { Availability } from '@clt/core';
import { loadNativeTensorflow, TfjsBackend, type NativeSpec, type TfjsBackendOptions } from '@clt/backend-tfjs';

/** The native binding this package loads; the import is written here so it resolves from this package. */
export const TFJS_NODE: NativeSpec = {
  variant: 'cpu',
  packageName: '@tensorflow/tfjs-node',
  load: () => import('@tensorflow/tfjs-node'),
};

/** Load @tensorflow/tfjs-node once; null when loaded, else what failed and what to do. */
export function loadTfjsNode(): Promise<string | null> {
  return (loading ??= loadNativeTensorflow(TFJS_NODE));
}
let loading: Promise<string | null> | undefined;

/** The `tfjs-node` backend: the tfjs `tensorflow` platform, loading tfjs-node on demand. */
export function createTfjsNodeBackend(options: Omit<TfjsBackendOptions, 'platform' | 'loadNative'> = {}): TfjsBackend {
  return new TfjsBackend({ name: 'tfjs-node', device: 'cpu', ...options, platform: 'tensorflow', loadNative: loadTfjsNode });
}

/** Whether tfjs-node can run here, with the reason and the fix when not. */
export function tfjsNodeAvailability(): Promise<Availability> {
  return createTfjsNodeBackend().availability();
}
