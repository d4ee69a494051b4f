/**
 * Side-effect entry: registers `tfjs-node` (native TensorFlow on the CPU) with the core registry.
 * Its factory loads nothing; the binding is imported when the backend is first resolved.
 */
import { registerBackend } from '@clt/core';
import { createTfjsNodeBackend } from './index.js';

registerBackend('tfjs-node', () => createTfjsNodeBackend(), {
  priority: 3,
  description: 'TensorFlow.js on native TensorFlow (CPU) via @tensorflow/tfjs-node (f32, i32, bool; needs libtensorflow: its install script or `pnpm setup:tfjs-node`)',
});

export {};
