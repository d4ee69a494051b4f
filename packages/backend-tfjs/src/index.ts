/**
 * @clt/backend-tfjs: clt graphs on TensorFlow.js (cpu, wasm, webgpu; the native `tensorflow`
 * backend through @clt/backend-tfjs-node and -node-gpu). Import `@clt/backend-tfjs/register` to
 * make `tfjs-wasm`, `tfjs-cpu` and `tfjs-webgpu` resolvable by name.
 */
export { TfjsBackend, TfjsExecutable, createTfjsBackend, type TfjsBackendOptions } from './backend.js';
export { TfjsDeviceTensor } from './device-tensor.js';
export { TF_LOWERINGS, TF_LOWERED_OPS, TFJS_PLATFORMS, tfDtype, type TfjsPlatform, type TfLowering, type TfLowerContext, type TfDType } from './lower/lower-table.js';
export { TfPlan } from './lower/plan.js';
export { initPlatform, type PlatformOptions, type PlatformStatus } from './platforms.js';
export { setupWebGpu, WEBGPU_HOW_TO, type WebGpuOptions, type WebGpuSetup } from './webgpu-node.js';
export { loadNativeTensorflow, explainLoadFailure, loadedNativeVariant, cudaLibraries, LIBTENSORFLOW_VERSION, CUDA_REQUIREMENTS, type NativeSpec, type NativeVariant } from './native.js';
