/**
 * @clt/backend-onnxruntime: clt graphs on ONNX Runtime. Import `@clt/backend-onnxruntime/register`
 * to make `onnxruntime-cpu` (the default backend) and the opt-in GPU providers resolvable by name.
 */
export { OnnxRuntimeBackend, OrtExecutable, ORT_PROVIDER_NAME, type OnnxRuntimeBackendOptions } from './backend.js';
export { EXECUTION_PROVIDERS, providerAvailability, type ExecutionProvider } from './availability.js';
export { OrtDeviceTensor } from './device-tensor.js';
export { defaultIntraOpThreads, resolveThreading, type ResolvedThreading } from './threading.js';
export { exportOnnx, toOnnx, type ExportOnnxOptions } from './export.js';
export { lowerGraph, OPSET, IR_VERSION, type LowerOptions, type LoweredGraph } from './lower/model.js';
export { LOWERINGS, LOWERED_OPS, type Lowering, type LowerContext } from './lower/lower-table.js';
export { encodeModel, type OnnxModel } from './lower/onnx-proto.js';
export { parsePlacement, probePlacement, type NodePlacement } from './placement.js';
export { benchSgdStep, type SgdBenchOptions, type SgdBenchResult } from './bench/sgd-step.js';
import { OnnxRuntimeBackend, type OnnxRuntimeBackendOptions } from './backend.js';

/**
 * A backend over an ordered list of execution providers with fallback, e.g.
 * `createOnnxRuntimeBackend({ executionProviders: ['webgpu', 'cpu'] })`: each graph runs on the
 * first provider that loads; `Executable.device` says which, and `warnings` say why others did not.
 */
export function createOnnxRuntimeBackend(options: OnnxRuntimeBackendOptions = {}): OnnxRuntimeBackend {
  return new OnnxRuntimeBackend(options);
}
