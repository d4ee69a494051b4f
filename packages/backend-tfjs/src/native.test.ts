import { afterEach, describe, expect, it } from 'vitest';
import { CUDA_REQUIREMENTS, explainLoadFailure, loadedNativeVariant, loadNativeTensorflow, type NativeSpec } from './native.js';

const cpuSpec: NativeSpec = { variant: 'cpu', packageName: '@tensorflow/tfjs-node', load: async () => {} };
const gpuSpec: NativeSpec = { variant: 'gpu', packageName: '@tensorflow/tfjs-node-gpu', load: async () => {} };
const err = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});
const LOADED = Symbol.for('@clt/backend-tfjs.native-variant');
afterEach(() => { delete (globalThis as Record<symbol, unknown>)[LOADED]; });

describe('explainLoadFailure: what failed and what to do, without machine paths', () => {
  it('native addon missing (install script denied): names the addon, the cause and the rebuild command', () => {
    const m = explainLoadFailure(cpuSpec, err("The Node.js native addon module (tfjs_binding.node) can not be found at path: /somewhere/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node. \nPlease run command 'npm rebuild'"));
    expect(m).toMatch(/native addon is missing \(lib\/napi-v8\/tfjs_binding\.node inside the package\)/);
    expect(m).toMatch(/install script/);
    expect(m).toMatch(/ignoredBuiltDependencies/);
    expect(m).toContain('`pnpm rebuild @tensorflow/tfjs-node`');
    expect(m).not.toContain('/somewhere');
    expect(m).not.toMatch(/CUDA/);
  });

  it('for the GPU package the same failure also states the CUDA/cuDNN requirements', () => {
    const m = explainLoadFailure(gpuSpec, err('The Node.js native addon module (tfjs_binding.node) can not be found at path: x/lib/napi-v8/tfjs_binding.node'));
    expect(m).toContain(CUDA_REQUIREMENTS);
    expect(m).toMatch(/CUDA 11\.2 and cuDNN 8\.1/);
    expect(m).toContain('`pnpm rebuild @tensorflow/tfjs-node-gpu`');
  });

  it('package not installed: says to install it', () => {
    const m = explainLoadFailure(cpuSpec, err("Cannot find package '@tensorflow/tfjs-node' imported from x", 'ERR_MODULE_NOT_FOUND'));
    expect(m).toMatch(/is not installed/);
    expect(m).toContain('pnpm add @tensorflow/tfjs-node@4.22.0');
  });

  it('a shared library that cannot be opened (CUDA missing): lists which CUDA libraries are found', () => {
    const m = explainLoadFailure(gpuSpec, err('libcudart.so.11.0: cannot open shared object file: No such file or directory'));
    expect(m).toMatch(/shared library it links could not be loaded \(libcudart\.so\.11\.0: cannot open shared object file/);
    expect(m).toMatch(/libcudnn\.so\.8 (found|missing)/);
  });

  it('anything else: the first line of the error, and the rebuild advice', () => {
    const m = explainLoadFailure(cpuSpec, err('boom\nstack'));
    expect(m).toMatch(/^@tensorflow\/tfjs-node failed to load: boom\./);
  });
});

describe('loadNativeTensorflow', () => {
  it('never throws; reports the explained failure', async () => {
    const r = await loadNativeTensorflow({ ...cpuSpec, load: async () => { throw err('The Node.js native addon module (tfjs_binding.node) can not be found at path: a/lib/napi-v8/tfjs_binding.node'); } });
    expect(r).toMatch(/native addon is missing/);
    expect(loadedNativeVariant()).toBeUndefined();
  });

  const both = ['linux/x64', 'win32/x64'].includes(`${process.platform}/${process.arch}`);
  it.skipIf(!both)(`tfjs-node and tfjs-node-gpu exclude each other in one process${both ? '' : ' (skipped: tfjs-node-gpu has no build for this platform)'}`, async () => {
    expect(await loadNativeTensorflow(cpuSpec)).toBeNull();
    expect(loadedNativeVariant()).toBe('cpu');
    expect(await loadNativeTensorflow(gpuSpec)).toMatch(/@tensorflow\/tfjs-node is already loaded in this process/);
    expect(await loadNativeTensorflow(cpuSpec)).toBeNull();
  });
});
