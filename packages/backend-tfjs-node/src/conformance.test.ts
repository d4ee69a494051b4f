import { describeConformance } from '@clt/core/testing';
import { it } from 'vitest';
import { createTfjsNodeBackend, tfjsNodeAvailability } from './index.js';

/**
 * The core conformance suite on native TensorFlow (CPU), f32, at the suite's default tolerance
 * (TensorFlow's Eigen kernels are at least as exact as tfjs-cpu's). Runs for real where the
 * binding is installed; skipped, with the reason, where it is not.
 */
const a = await tfjsNodeAvailability();
if (a.available) {
  describeConformance('tfjs-node f32', () => createTfjsNodeBackend(), { dtype: 'f32' });
} else {
  const why = `tfjs-node conformance SKIPPED: native binding unavailable: ${a.reason}`;
  console.warn(why);
  it.skip(why, () => {});
}
