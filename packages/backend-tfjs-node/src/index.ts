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
  load: () => {
    // TensorFlow prints INFO lines (oneDNN, CPU features) to stderr when it loads; 2 keeps warnings
    // and errors. Read by libtensorflow at load time, so it must be set before the import; a value
    // the user set wins.
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
    return import('@tensorflow/tfjs-node');
  },
};

/**
 * The offline path, for a binding that is missing or cannot find libtensorflow: the stock
 * advice needs the host tfjs-node downloads libtensorflow from, which air-gapped machines cannot reach.
 */
export const OFFLINE_SETUP = 'Without access to that download: in a clt checkout, `pnpm setup:tfjs-node` builds the addon against libtensorflow from ' +
  "the TensorFlow CPU wheel that pip provides (its package index, a mirror or a local wheel folder); see docs/backend-tfjs.md.";

/** Load @tensorflow/tfjs-node once; null when loaded, else what failed and what to do. */
export function loadTfjsNode(): Promise<string | null> {
  return (loading ??= loadNativeTensorflow(TFJS_NODE).then(withOfflineSetup));
}

/** A load failure the offline build fixes (addon or libtensorflow missing) gets OFFLINE_SETUP appended. */
export function withOfflineSetup(why: string | null): string | null {
  return why && /native addon is missing|shared library it links could not be loaded/.test(why) ? `${why} ${OFFLINE_SETUP}` : why;
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
