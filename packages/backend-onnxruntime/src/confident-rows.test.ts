import {
  GradientEnergyProbe, initParams, LeNet, Mlp, ReferenceBackend, Rng, softmaxCrossEntropy, softmaxCrossEntropyStable, spec,
  StructureMatrixProbe, summarizeBlocks, trace, gradients, type Model,
} from '@clt/core';
import { describe, expect, it } from 'vitest';
import { OnnxRuntimeBackend } from './backend.js';

// Float32 probes on well-fit rows (p_y > 1 − 6e-8): the textbook logsumexp(η) − η_y and p_y − 1
// cancel every digit there. These tests run where it shows, on ONNX Runtime in float32, against
// float64 oracles computed independently on the host.

/** Host float64 oracle: loss and residual of one row by the definitions, with Math.log1p and explicit sums. */
function oracleRow(eta: number[], y: number[]): { loss: number; residual: number[] } {
  const m = Math.max(...eta);
  const e = eta.map((v) => Math.exp(v - m));
  let rest = 0, top = -1;
  e.forEach((v, j) => { if (v === 1 && top < 0) top = j; else rest += v; });
  // lse − ⟨η, y⟩ = log1p(rest) + Σ y_k (m − η_k) + m (1 − Σ y): subtracting lse − η_y directly would cancel in float64 too at |η| = 1e4.
  const sy = y.reduce((s, v) => s + v, 0);
  const loss = Math.log1p(rest) + eta.reduce((s, v, j) => s + y[j]! * (m - v), 0) + m * (1 - sy);
  const p = e.map((v) => v / (1 + rest));
  // 1 − p_k summed from the other entries: no cancellation in the oracle either.
  const residual = p.map((pk, k) => (y[k] === 1 ? -p.reduce((s, pj, j) => (j === k ? s : s + pj), 0) : pk - y[k]!));
  return { loss, residual };
}

const ROWS: { eta: number[]; y: number[] }[] = [
  { eta: [20, 0, 0, 0, 0], y: [1, 0, 0, 0, 0] }, // p_y = 1 − 8e-9: the loss is 8e-9
  { eta: [3, -14, -15, -16, -17], y: [1, 0, 0, 0, 0] },
  { eta: [1e4, 1e4 - 18, 1e4 - 25, 1e4 - 30, 1e4 - 40], y: [1, 0, 0, 0, 0] }, // large logits
  { eta: [0.5, -1, 2, 0.25, -3], y: [0, 0, 1, 0, 0] }, // an ordinary row
  { eta: [0, 5, -2, 1, 0], y: [1, 0, 0, 0, 0] }, // the label is not the maximum
  { eta: [7, 7, -20, -20, -20], y: [0, 1, 0, 0, 0] }, // tied maxima
  { eta: [4, 1, 0, -1, 2], y: [0.7, 0.1, 0, 0, 0.2] }, // soft targets
];

async function runLossGraph(backend: OnnxRuntimeBackend, stable: boolean) {
  const n = ROWS.length, d = 5;
  const g = trace({ eta: spec([n, d], 'f32'), y: spec([n, d], 'f32') }, ({ eta, y }) => {
    if (stable) return softmaxCrossEntropyStable(eta!, y!);
    const loss = softmaxCrossEntropy(eta!, y!);
    return { loss, residual: gradients([loss.sum()], [eta!], [eta!.builder.fill(1, [], 'f32')])[0]! };
  });
  const exe = await backend.compile(g);
  const out = await exe.run({
    eta: { data: Float32Array.from(ROWS.flatMap((r) => r.eta)), shape: [n, d], dtype: 'f32' },
    y: { data: Float32Array.from(ROWS.flatMap((r) => r.y)), shape: [n, d], dtype: 'f32' },
  });
  const loss = await out.loss!.download(), residual = await out.residual!.download();
  exe.dispose();
  return { loss, residual };
}

/** Largest error of each row's loss and residual relative to its own size (float64 oracle). */
function rowErrors(got: { loss: ArrayLike<number>; residual: ArrayLike<number> }) {
  return ROWS.map((row, i) => {
    // The oracle sees the float32-rounded inputs the graph saw.
    const o = oracleRow(row.eta.map(Math.fround), row.y.map(Math.fround));
    const rNorm = Math.hypot(...o.residual);
    const rErr = Math.max(...o.residual.map((v, k) => Math.abs(got.residual[i * 5 + k]! - v))) / rNorm;
    return { loss: Math.abs(got.loss[i]! - o.loss) / o.loss, residual: rErr };
  });
}

describe('softmax cross-entropy on confident rows in float32 (ONNX Runtime)', () => {
  const backend = new OnnxRuntimeBackend();

  it('softmaxCrossEntropyStable: loss and residual to float32 accuracy on every row, where the textbook form loses them', async () => {
    const stable = rowErrors(await runLossGraph(backend, true));
    for (const [i, e] of stable.entries()) {
      expect(e.loss, `row ${i} loss`).toBeLessThan(2e-6);
      expect(e.residual, `row ${i} residual`).toBeLessThan(2e-6);
    }
    // The same rows through logsumexp(η) − ⟨η, y⟩ and autodiff: the confident row is rounding noise.
    const textbook = rowErrors(await runLossGraph(backend, false));
    expect(Math.max(textbook[0]!.loss, textbook[0]!.residual)).toBeGreaterThan(0.1);
  });

  /** Make a model confident: scale its output layer until logits differ by tens. */
  function confident(model: Model, seed: number, outName: string, scale: number) {
    const p = initParams(model, new Rng(seed));
    p[outName] = p[outName]!.map((v) => v * scale);
    return p;
  }

  for (const { name, model, out, scale, n } of [
    { name: 'MLP 12-16-16-4 (dense taps)', model: new Mlp({ sizes: [12, 16, 16, 4] }) as Model, out: 'W2', scale: 12, n: 24 },
    { name: 'LeNet on 1×12×12 (conv and dense layer taps)', model: new LeNet({ input: [1, 12, 12], classes: 4, channels: [2, 3], hidden: [8, 8] }) as Model, out: 'fc2_w', scale: 15, n: 6 },
  ]) {
    it(`${name}: float32 per-sample ‖gᵢ‖² and ‖rᵢ‖² match float64 on confident rows, and ‖gᵢ‖²/λmax ≤ ‖rᵢ‖² ≤ ‖gᵢ‖²/λmin holds`, async () => {
      const names = model.params.map((p) => p.name);
      expect(names, `the output layer's parameter name (${names.join(', ')})`).toContain(out);
      const p64 = confident(model, 3, out, scale);
      const rng = new Rng(11), x64 = Float64Array.from(rng.normals(n * model.inputDim));
      // Labels = the model's own argmax, so most rows are confident and well fit.
      const ref = new ReferenceBackend();
      const probe64 = new GradientEnergyProbe(model, ref, { dtype: 'f64' });
      const first = await probe64.measure(p64, x64, new Int32Array(n));
      const labels = new Int32Array(n);
      const d = model.outputDim;
      for (let i = 0; i < n; i++) {
        // p = r + e_0 for the all-zero labels above.
        const p = Array.from({ length: d }, (_, j) => first.residuals[i * d + j]! + (j === 0 ? 1 : 0));
        labels[i] = p.indexOf(Math.max(...p));
      }
      const want = await probe64.measure(p64, x64, labels);
      const tiny = Array.from(want.residualSqNorms).filter((v) => v < 1e-14).length;
      expect(tiny, 'rows with ‖r‖² < 1e-14 (beyond float32 resolution of p − y done naively)').toBeGreaterThan(0);

      const p32 = Object.fromEntries(Object.entries(p64).map(([k, v]) => [k, Float32Array.from(v)]));
      const got = await new GradientEnergyProbe(model, backend, { dtype: 'f32' }).measure(p32, Float32Array.from(x64), labels);
      const blocks = summarizeBlocks(await new StructureMatrixProbe(model, backend, { dtype: 'f32' }).blocks(p32, Float32Array.from(x64)));
      for (let i = 0; i < n; i++) {
        // Squares under float32's normal range (1.2e-38) cannot be compared; the scales keep them above.
        expect(want.residualSqNorms[i]!, `‖r_${i}‖² in float32 range`).toBeGreaterThan(1e-36);
        // float32 weights and inputs: relative agreement limited by the model's conditioning, not by p − y.
        expect(Math.abs(got.residualSqNorms[i]! / want.residualSqNorms[i]! - 1), `‖r_${i}‖²`).toBeLessThan(1e-3);
        expect(Math.abs(got.perSampleSqNorms[i]! / want.perSampleSqNorms[i]! - 1), `‖g_${i}‖²`).toBeLessThan(1e-3);
        const r = got.residualSqNorms[i]!, g = got.perSampleSqNorms[i]!;
        expect(g / blocks.lambdaMax[i]!, `row ${i} lower`).toBeLessThanOrEqual(r * (1 + 1e-4));
        expect(r, `row ${i} upper`).toBeLessThanOrEqual((g / blocks.lambdaMin[i]!) * (1 + 1e-4));
      }
    }, 120_000);
  }
});
