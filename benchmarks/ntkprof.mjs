import { Mlp, initParams, Rng, StructureMatrixProbe } from '@clt/core';
import { OnnxRuntimeBackend } from '@clt/backend-onnxruntime';
const sizes = [784, 256, 256, 10], n = +(process.argv[2] ?? 256);
const model = new Mlp({ sizes, activation: 'relu' });
const init = initParams(model, new Rng(1));
const params = Object.fromEntries(Object.entries(init).map(([k, v]) => [k, Float32Array.from(v)]));
const rng = new Rng(3); const x = Float32Array.from({ length: n * 784 }, () => Math.max(0, rng.normal()));
const backend = new OnnxRuntimeBackend({ intraOpNumThreads: 1 });
const probe = new StructureMatrixProbe(model, backend, { dtype: 'f32' });
for (let i = 0; i < 15; i++) { const t = performance.now(); await probe.ntk(params, x, { dtype: 'f32' }); console.log((performance.now() - t).toFixed(1)); }
probe.dispose(); await backend.dispose();
