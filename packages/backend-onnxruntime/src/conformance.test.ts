import { describeConformance } from '@clt/core/testing';
import { EXECUTION_PROVIDERS, type ExecutionProvider } from './availability.js';
import { OnnxRuntimeBackend } from './backend.js';

/**
 * The core conformance suite on this backend. CPU provider in f32 and f64 here; on the GPU machine
 * `CLT_ORT_PROVIDERS=webgpu` (or cuda, tensorrt) runs it on that provider in f32.
 *
 * f32 tolerance (see docs/backend-onnxruntime.md): |got − want| ≤ 1e−5 + 1e−4·|want|, from float32
 * roundoff (6e−8) accumulated over reductions of up to ~10³ terms and ONNX Runtime's few-ulp
 * vectorized transcendental functions. f64: 1e−12 relative.
 */
const providers = (process.env.CLT_ORT_PROVIDERS ?? 'cpu').split(',').map((s) => s.trim()).filter(Boolean) as ExecutionProvider[];
for (const p of providers) if (!(EXECUTION_PROVIDERS as readonly string[]).includes(p)) throw new Error(`CLT_ORT_PROVIDERS: unknown provider '${p}' (known: ${EXECUTION_PROVIDERS.join(', ')})`);

for (const p of providers) {
  describeConformance(`onnxruntime-${p} f32`, () => new OnnxRuntimeBackend({ executionProviders: [p] }), { dtype: 'f32', tolerance: { rtol: 1e-4, atol: 1e-5 } });
  if (p === 'cpu') describeConformance(`onnxruntime-${p} f64`, () => new OnnxRuntimeBackend({ executionProviders: [p] }), { dtype: 'f64', tolerance: { rtol: 1e-12, atol: 1e-13 } });
}
