/**
 * WebGPU for tfjs in Node: dawn.node (the `webgpu` package) provides `navigator.gpu`, and the
 * tfjs `webgpu` backend is registered on a device we create ourselves, so that the adapter request
 * can fall back to OpenGL ES in compatibility mode (Mesa's software renderer on GPU-less Linux
 * machines). In a browser or a runtime that already has `navigator.gpu`, that one is used.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Minimal shapes of the WebGPU objects we touch (the DOM lib's GPU types vary by TS version). */
interface GpuAdapterLike {
  readonly limits: Record<string, number>;
  readonly info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  requestDevice(d?: object): Promise<unknown>;
}
interface GpuLike { requestAdapter(o?: object): Promise<GpuAdapterLike | null> }

/** How {@link setupWebGpu} looks for a WebGPU adapter in Node. */
export interface WebGpuOptions {
  /**
   * dawn.node `create()` flags to try, in order, each with its adapter options. Default: Dawn's
   * default backend (Vulkan on Linux, Metal, D3D12), then `backend=opengles` with
   * `featureLevel: 'compatibility'` (runs on Mesa without a GPU).
   */
  readonly attempts?: readonly { readonly flags: readonly string[]; readonly adapter: object }[];
}

/** The WebGPU adapter {@link setupWebGpu} registered the tfjs `webgpu` backend on. */
export interface WebGpuSetup {
  /** One line on the adapter, for `availability().detail`. */
  readonly detail: string;
  /** True on software renderers (llvmpipe, SwiftShader): correct, slow. */
  readonly software: boolean;
}

const DEFAULT_ATTEMPTS = [
  { flags: [] as string[], adapter: { powerPreference: 'high-performance' } },
  { flags: ['backend=opengles'], adapter: { powerPreference: 'high-performance', featureLevel: 'compatibility' } },
];

/** What a user needs for WebGPU in Node on Linux, in words they can act on. */
export const WEBGPU_HOW_TO =
  'tfjs-webgpu in Node needs the optional package `webgpu` (dawn.node) and a GPU adapter: a Vulkan driver on machines with a GPU, ' +
  'or, without one, Mesa\'s software OpenGL ES (Debian/Ubuntu: `apt-get install libegl1 libgles2 libegl-mesa0 libgl1-mesa-dri`; ' +
  'EGL_PLATFORM=surfaceless is set for you). Otherwise use tfjs-wasm or tfjs-cpu.';

/** The tfjs limits request: tfjs-webgpu's shaders use workgroups up to the adapter's maxima. */
function requiredLimits(l: Record<string, number>): Record<string, number> {
  const keys = ['maxComputeWorkgroupStorageSize', 'maxComputeWorkgroupsPerDimension', 'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupSizeX', 'maxComputeInvocationsPerWorkgroup'];
  return Object.fromEntries(keys.filter((k) => typeof l[k] === 'number').map((k) => [k, l[k]!]));
}

async function nodeGpus(attempts: WebGpuOptions['attempts']): Promise<{ gpu: GpuLike; adapter: GpuAdapterLike; flags: readonly string[] } | string> {
  let mod: { create(flags: string[]): GpuLike; globals: object };
  try {
    mod = (await import('webgpu')) as unknown as typeof mod;
  } catch (err) {
    return `the optional package \`webgpu\` (dawn.node) could not be loaded (${(err as Error).message.split('\n')[0]}).`;
  }
  // tfjs-webgpu reads GPUBufferUsage, GPUMapMode, ... as globals; do not overwrite existing ones.
  for (const [k, v] of Object.entries(mod.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  // Mesa's EGL needs no display server with the surfaceless platform; read when EGL initializes.
  if (process.platform === 'linux') process.env.EGL_PLATFORM ??= 'surfaceless';
  const tried: string[] = [];
  for (const a of attempts ?? DEFAULT_ATTEMPTS) {
    const gpu = mod.create([...a.flags]);
    const adapter = await gpu.requestAdapter(a.adapter).catch(() => null);
    if (adapter) return { gpu, adapter, flags: a.flags };
    tried.push(`create([${a.flags.join(', ')}]) + requestAdapter(${JSON.stringify(a.adapter)})`);
  }
  return `dawn.node found no WebGPU adapter (tried ${tried.join('; ')}).`;
}

let setup: Promise<WebGpuSetup | string> | undefined;

/**
 * Make the tfjs `webgpu` backend usable in this process: returns the adapter description, or a
 * reason string when it cannot be. Runs once per process (tfjs's engine is global).
 */
export function setupWebGpu(options: WebGpuOptions = {}): Promise<WebGpuSetup | string> {
  setup ??= doSetup(options).catch((err) => `WebGPU setup failed: ${(err as Error).message}`);
  return setup;
}

async function doSetup(options: WebGpuOptions): Promise<WebGpuSetup | string> {
  const wg = await import('@tensorflow/tfjs-backend-webgpu');
  if (tf.findBackend('webgpu')) return { detail: 'tfjs webgpu backend initialized by the application', software: false };
  const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator;
  let gpu: GpuLike, adapter: GpuAdapterLike | null, how: string;
  if (nav?.gpu) {
    gpu = nav.gpu;
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return `navigator.gpu returned no adapter. ${WEBGPU_HOW_TO}`;
    how = 'navigator.gpu';
  } else {
    const r = await nodeGpus(options.attempts);
    if (typeof r === 'string') return `${r} ${WEBGPU_HOW_TO}`;
    ({ gpu, adapter } = r);
    how = `dawn.node${r.flags.length ? ` (${r.flags.join(' ')}, compatibility mode)` : ''}`;
    // tfjs-webgpu and its utilities look for navigator.gpu; Node 20 has no navigator at all.
    const g = globalThis as { navigator?: object };
    g.navigator ??= {};
    if (!('gpu' in g.navigator!)) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  }
  const device = await adapter.requestDevice({ requiredLimits: requiredLimits(adapter.limits) });
  const info = adapter.info ?? {};
  // Importing tfjs-backend-webgpu registered its own factory when navigator.gpu already existed;
  // ours replaces it so the device above (with its fallbacks) is the one tfjs uses.
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new wg.WebGPUBackend(device as ConstructorParameters<typeof wg.WebGPUBackend>[0], info as never), 0);
  const name = [info.vendor, info.device, info.description].filter(Boolean).join(' / ') || 'unnamed adapter';
  const software = /llvmpipe|swiftshader|softpipe|lavapipe/i.test(name) || info.isFallbackAdapter === true;
  return { detail: `WebGPU via ${how}, adapter ${name}${software ? ' (software rendering: correct but slow)' : ''}`, software };
}
