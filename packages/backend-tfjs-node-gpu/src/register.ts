/**
 * Side-effect entry: registers the opt-in `tfjs-node-gpu` (native TensorFlow with CUDA) with the
 * core registry. Negative priority: it claims the GPU's memory when it loads, so it is used only
 * when asked for by name. The binding is imported when the backend is first resolved.
 */
import { registerBackend } from '@clt/core';
import { createTfjsNodeGpuBackend } from './index.js';

registerBackend('tfjs-node-gpu', () => createTfjsNodeGpuBackend(), {
  priority: -1,
  description: 'TensorFlow.js on native TensorFlow with CUDA via @tensorflow/tfjs-node-gpu (f32, i32, bool; CUDA 11.2, cuDNN 8.1)',
});

export {};
