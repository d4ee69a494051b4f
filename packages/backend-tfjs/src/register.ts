/**
 * Side-effect entry: `import '@clt/backend-tfjs/register'` makes `tfjs-wasm`, `tfjs-cpu` and the
 * opt-in `tfjs-webgpu` resolvable by name through `resolveBackend`. Nothing is loaded until a
 * backend is resolved.
 */
import { registerBackend } from '@clt/core';
import { TfjsBackend } from './backend.js';

registerBackend('tfjs-wasm', () => new TfjsBackend({ platform: 'wasm' }), {
  priority: 2,
  description: 'TensorFlow.js, wasm backend (SIMD; f32, i32, bool)',
});
registerBackend('tfjs-cpu', () => new TfjsBackend({ platform: 'cpu' }), {
  priority: 1,
  description: 'TensorFlow.js, cpu backend (plain JavaScript; f32, i32, bool)',
});
registerBackend('tfjs-webgpu', () => new TfjsBackend({ platform: 'webgpu' }), {
  priority: -1,
  description: 'TensorFlow.js, WebGPU backend via dawn.node in Node (f32; opt-in: needs a GPU adapter or Mesa)',
});

export {};
