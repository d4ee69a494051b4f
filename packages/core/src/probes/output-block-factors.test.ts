import { describe, expect, it } from 'vitest';
import { cholesky } from '../linop/cholesky.js';
import { ReferenceBackend } from '../reference/backend.js';
import { Rng } from '../util/random.js';
import { outputBlockPreconditioner } from './ntk-preconditioner.js';
import { deviceOutputBlockPreconditioner, invertLowerTransposedInto } from './output-block-factors.js';
import { ProbeRuntime } from './runtime.js';
import { StructureMatrixProbe } from './structure-matrix.js';
import { mlpCase } from './test-fixtures.js';

const backend = new ReferenceBackend();

describe('output-block preconditioner on the backend', () => {
  // Sizes below, at and past the four-column blocks, with a remainder of 0–3 columns; at an offset
  // into a larger buffer (the d blocks side by side), whose other entries must stay untouched.
  it.each([1, 3, 4, 7, 8, 13, 34, 35, 64].flatMap((n) => [[n, true], [n, false]] as const))('invertLowerTransposedInto gives (L⁻¹)ᵀ of a Cholesky factor (n = %i, simd %s)', (n, simd) => {
    const rng = new Rng(5 + n), B = rng.normals(n * n), A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { let s = i === j ? 0.5 : 0; for (let t = 0; t < n; t++) s += B[i * n + t]! * B[j * n + t]!; A[i * n + j] = s; }
    const L = cholesky({ size: n, data: A })!, off = 5, buf = new Float64Array(off + n * n + 3).fill(7);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) buf[off + i * n + j] = 0;
    invertLowerTransposedInto(L, n, buf, off, { simd });
    const Y = buf.subarray(off, off + n * n);
    // L · Yᵀ = I (forward substitution is the independent check), and Y is upper triangular.
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < n; t++) s += L[i * n + t]! * Y[j * n + t]!;
      expect(Math.abs(s - (i === j ? 1 : 0))).toBeLessThan(1e-11);
      if (j < i) expect(Y[i * n + j]).toBe(0);
    }
    expect([...buf.subarray(0, off), ...buf.subarray(off + n * n)]).toEqual(new Array(off + 3).fill(7));
  });

  it('applies the same operator as outputBlockPreconditioner, plain and rotated, for blocks of vectors', async () => {
    const { model, params, x, n } = mlpCase({ sizes: [3, 6, 3], activation: 'tanh' }, 5);
    const d = 3, N = n * d, probe = new StructureMatrixProbe(model, backend), rt = new ProbeRuntime(backend, 'f64');
    const v = Float64Array.from({ length: 2 * N }, (_, i) => Math.sin(i + 1));
    for (const rotate of [false, true]) {
      const host = await probe.preconditioner(params, x, { rotate });
      const blocks = await probe.outputBlocks(params, x, host.rotation ? { rotation: host.rotation } : {});
      const dev = deviceOutputBlockPreconditioner(rt, blocks);
      expect(Array.from(dev.shifts)).toEqual(Array.from(host.shifts));
      expect(dev.rotation !== undefined).toBe(rotate);
      const a = await dev.matmat(v, 2), b = await host.matmat(v, 2);
      for (let i = 0; i < 2 * N; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-9 * (1 + Math.abs(b[i]!)));
      dev.dispose();
    }
    expect(() => deviceOutputBlockPreconditioner(rt, { n: 2, d: 1, data: Float64Array.of(1, 0, 0, NaN) })).toThrow(/non-finite/);
    // A singular block factors after a small shift, reported as the host version reports it.
    const singular = deviceOutputBlockPreconditioner(rt, { n: 2, d: 1, data: Float64Array.of(1, 1, 1, 1) });
    expect(singular.shifts[0]).toBe(outputBlockPreconditioner({ n: 2, d: 1, data: Float64Array.of(1, 1, 1, 1) }).shifts[0]);
    expect(singular.shifts[0]).toBeGreaterThan(0);
    singular.dispose();
    await rt.dispose();
  });

  it('in float32 graphs (factors held as float32 from the start) applies the float64 operator to float32 accuracy', async () => {
    // n = 40 samples: blocks past the size where the inverse runs in WebAssembly.
    const { model, params, x, n } = mlpCase({ sizes: [3, 12, 2], activation: 'tanh' }, 40);
    const d = 2, N = n * d, probe = new StructureMatrixProbe(model, backend), rt = new ProbeRuntime(backend, 'f32');
    const host = await probe.preconditioner(params, x, { rotate: true });
    const blocks = await probe.outputBlocks(params, x, { rotation: host.rotation! });
    const dev = deviceOutputBlockPreconditioner(rt, blocks);
    const v = Float64Array.from({ length: N }, (_, i) => Math.cos(0.7 * i));
    const a = await dev.matvec(v), b = await host.matvec(v);
    let scale = 0;
    for (const y of b) scale = Math.max(scale, Math.abs(y));
    for (let i = 0; i < N; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-5 * scale);
    dev.dispose();
    await rt.dispose();
  });

  it("extremes' preconditioner with Θ formed (output Gram read off Θ) is the one from the layer-wise graphs", async () => {
    const { model, params, x } = mlpCase({ sizes: [3, 6, 3], activation: 'tanh' }, 5);
    const probe = new StructureMatrixProbe(model, backend);
    // Private members, reached for the test only: the formed operator and its preconditioner.
    const internal = probe as unknown as {
      formedOperator(p: typeof params, x: Float64Array): Promise<{ dispose(): void }>;
      formedPreconditioner(p: typeof params, x: Float64Array, f: unknown): Promise<{ matmat(v: Float64Array, k: number): Promise<Float64Array>; rotation?: Float64Array; shifts: Float64Array; dispose(): void }>;
    };
    const formed = await internal.formedOperator(params, x);
    const fromTheta = await internal.formedPreconditioner(params, x, formed);
    const fromGraphs = await probe.preconditioner(params, x);
    const Q1 = fromTheta.rotation!, Q2 = fromGraphs.rotation!;
    // Same output basis up to the sign of each eigenvector.
    for (let k = 0; k < 3; k++) {
      let dot = 0;
      for (let a = 0; a < 3; a++) dot += Q1[a * 3 + k]! * Q2[a * 3 + k]!;
      expect(Math.abs(Math.abs(dot) - 1)).toBeLessThan(1e-10);
    }
    const N = 15, v = Float64Array.from({ length: N }, (_, i) => Math.cos(3 * i + 1));
    const a = await fromTheta.matmat(v, 1), b = await fromGraphs.matmat(v, 1);
    for (let i = 0; i < N; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-8 * (1 + Math.abs(b[i]!)));
    fromTheta.dispose();
    formed.dispose();
  });
});
