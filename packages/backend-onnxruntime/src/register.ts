import { registerBackend } from '@clt/core';
import { OnnxRuntimeBackend } from './backend.js';

/**
 * Registers the ONNX Runtime backends with the core registry. `onnxruntime-cpu` has the highest
 * priority of the bundled backends (10), so it is what `resolveBackend()` returns by default; the
 * GPU providers have negative priority: opt-in by name, never chosen silently. The factories are
 * lazy: nothing native loads until a backend is resolved.
 */
registerBackend('onnxruntime-cpu', () => new OnnxRuntimeBackend({ executionProviders: ['cpu'] }), {
  priority: 10,
  description: 'ONNX Runtime, CPU provider (f32, f64)',
});
registerBackend('onnxruntime-webgpu', () => new OnnxRuntimeBackend({ executionProviders: ['webgpu'] }), {
  priority: -1,
  description: 'ONNX Runtime, WebGPU provider (f32; needs a GPU with Vulkan on Linux)',
});
registerBackend('onnxruntime-cuda', () => new OnnxRuntimeBackend({ executionProviders: ['cuda'] }), {
  priority: -1,
  description: 'ONNX Runtime, CUDA provider (needs the CUDA provider library, CUDA 12, cuDNN 9)',
});
registerBackend('onnxruntime-tensorrt', () => new OnnxRuntimeBackend({ executionProviders: ['tensorrt'] }), {
  priority: -2,
  description: 'ONNX Runtime, TensorRT provider (needs the CUDA provider download and TensorRT 10)',
});

export {};
