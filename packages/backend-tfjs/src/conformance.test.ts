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
 * polynomial transcendental kernels of wasm (XNNPACK) and WGSL. Measured: every case passes at
 * that default on cpu, wasm and webgpu (Mesa llvmpipe), erf/pow/exp included, so no per-op
 * loosening is declared; add it to PER_CASE (with the measured error) if a GPU needs it.
 */
const PER_CASE: Record<'cpu' | 'wasm' | 'webgpu', Record<string, { rtol?: number; atol?: number }>> = { cpu: {}, wasm: {}, webgpu: {} };

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
