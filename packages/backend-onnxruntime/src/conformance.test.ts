import { describe, it } from 'vitest';
import { EXECUTION_PROVIDERS, type ExecutionProvider } from './availability.js';
import { OnnxRuntimeBackend } from './backend.js';

/**
 * The core conformance suite on this backend. CPU provider in f32 and f64 here; on the GPU machine
 * `CLT_ORT_PROVIDERS=webgpu` (or cuda, tensorrt) runs it on that provider in f32.
 *
 * f32 tolerance (see docs/backend-onnxruntime.md): |got − want| ≤ 1e−5 + 1e−4·|want|, from float32
 * roundoff (6e−8) accumulated over reductions of up to ~10³ terms and ONNX Runtime's few-ulp
 * vectorized transcendental functions. f64: 1e−12 relative.
 *
 * The suite lives in packages/core/src/testing (written in parallel with this package); it is
 * loaded through a glob so this file type-checks and runs before it exists, and says so.
 */
declare global {
  interface ImportMeta { glob(pattern: string): Record<string, () => Promise<unknown>> }
}

interface ConformanceModule {
  describeConformance(title: string, makeBackend: () => unknown, options: { dtype: 'f32' | 'f64'; tolerance: { rtol: number; atol: number }; skip?: Record<string, string> }): void;
}

const found = import.meta.glob('../../core/src/testing/index.ts');
const loader = Object.values(found)[0];
const suite = loader ? ((await loader()) as ConformanceModule) : undefined;

const providers = (process.env.CLT_ORT_PROVIDERS ?? 'cpu').split(',').map((s) => s.trim()).filter(Boolean) as ExecutionProvider[];
for (const p of providers) if (!(EXECUTION_PROVIDERS as readonly string[]).includes(p)) throw new Error(`CLT_ORT_PROVIDERS: unknown provider '${p}' (known: ${EXECUTION_PROVIDERS.join(', ')})`);

if (!suite) {
  describe.skip('conformance suite: packages/core/src/testing/index.ts does not exist yet (lowering is tested against interpret in lower-table.test.ts)', () => {
    it('waits for @clt/core/testing', () => {});
  });
  console.warn('onnxruntime conformance: @clt/core/testing not present; suite skipped');
} else {
  for (const p of providers) {
    const f64 = p === 'cpu';
    suite.describeConformance(`onnxruntime-${p} f32`, () => new OnnxRuntimeBackend({ executionProviders: [p] }), { dtype: 'f32', tolerance: { rtol: 1e-4, atol: 1e-5 } });
    if (f64) suite.describeConformance(`onnxruntime-${p} f64`, () => new OnnxRuntimeBackend({ executionProviders: [p] }), { dtype: 'f64', tolerance: { rtol: 1e-12, atol: 1e-13 } });
  }
}
