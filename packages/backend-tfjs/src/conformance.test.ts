import { describeConformance } from '@clt/core/testing';
import { it } from 'vitest';
import { TfjsBackend } from './backend.js';
import { initPlatform } from './platforms.js';

/**
 * The core conformance suite on tfjs cpu and wasm (always) and webgpu (where an adapter exists:
 * Mesa's software renderer on CPU-only Linux, a real GPU elsewhere). tfjs computes float32 only,
 * so the suite runs in f32.
 *
 * Tolerance: the suite's f32 default, |got − want| ≤ 1e−5 + 1e−4·|want|: float32 roundoff
 * (6e−8 per op) accumulated over the suite's small graphs and reductions, plus the few-ulp
 * polynomial transcendental kernels of tfjs (cpu uses Math.* in float64 and rounds once). No
 * per-op loosening was needed on cpu or wasm; `PER_CASE` holds the ones measured necessary.
 */
const PER_CASE: Record<string, Record<string, { rtol?: number; atol?: number }>> = {
  cpu: {},
  wasm: {},
  webgpu: {},
};

describeConformance('tfjs-cpu f32', () => new TfjsBackend({ platform: 'cpu' }), { dtype: 'f32', perCase: PER_CASE.cpu });
describeConformance('tfjs-wasm f32', () => new TfjsBackend({ platform: 'wasm' }), { dtype: 'f32', perCase: PER_CASE.wasm });

const webgpu = await initPlatform('webgpu');
if (webgpu.available) {
  describeConformance(`tfjs-webgpu f32 (${webgpu.detail})`, () => new TfjsBackend({ platform: 'webgpu' }), { dtype: 'f32', perCase: PER_CASE.webgpu });
} else {
  const why = `tfjs-webgpu conformance SKIPPED: unavailable here: ${webgpu.reason}`;
  console.warn(why);
  it.skip(why, () => {});
}
