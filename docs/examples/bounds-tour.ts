/**
 * The runnable example of docs/bounds.md. From the repository root, after `npx -y pnpm@10.34.8 build`:
 *   npx tsc -p docs/examples/tsconfig.json && node out/docs-examples/docs/examples/bounds-tour.js
 */
import {
  Rng, softmaxLoss, sparsemaxLoss, riskFloor, informationLoss, crossEntropyRiskBounds, residualBounds,
  OutOfBatchChange, pacBayesKlBound, klInverseUpper, maxLossSoftmax, probabilisticGeneralizationRange,
} from '@clt/core';

// 1. The floor: 6 samples, 3 distinct inputs (rows of 2 numbers); [1, 2] carries labels 0, 0, 1 and [5, 5] labels 2, 0.
const x = { data: new Float32Array([1, 2, 1, 2, 5, 5, 1, 2, 0, 3, 5, 5]), dim: 2 };
const y = [0, 0, 2, 1, 1, 0];
const floor = riskFloor(softmaxLoss, x, y);
console.log(floor.value);                               // (3/6)·H(2/3, 1/3) + (2/6)·H(1/2, 1/2) nats
for (const c of floor.conflicts) console.log(Array.from(c.samples), Array.from(c.histogram!), c.contribution);

// 2. Information loss of a map g(x) = ⌊x₀/2⌋, which merges [1, 2] with [0, 3].
const z = { data: new Float32Array([0, 0, 2, 0, 0, 2]), dim: 1 };
console.log(informationLoss(sparsemaxLoss, x, z, y).value);   // Ĥ_Gini(Y|Z) − Ĥ_Gini(Y|X) ≥ 0

// 3. The trainability sandwich from probe outputs (per-sample ‖g_i‖², λ_min(A_i), λ_max(A_i), p_min,i).
console.log(residualBounds({ energy: 0.02, lambdaMin: 0, lambdaMax: 8 }));   // { lower: 0.0025, upper: Infinity }
const ce = crossEntropyRiskBounds({ gradSqNorms: [0.01, 0.04], lambdaMin: [0.5, 1], lambdaMax: [4, 6], pMin: [0.02, 0.05] });
console.log(ce.lower, ce.upper, ce.upperPMinFree);

// 4. M for the SGD neighbourhood term: feed per-sample losses before/after each step and the batch.
const acc = new OutOfBatchChange();
acc.observeLosses([0.9, 1.1, 0.7, 1.3], [0.8, 1.0, 0.75, 1.2], [2]);
console.log(acc.M, acc.term({ epsilon: 0.01, smoothness: 10, n: 4, batchSize: 1 }));

// 5. Generalization: PAC-Bayes-kl and the reconstructed entropy range, with the δ split explicit.
const ellMax = maxLossSoftmax(10, 4);                    // logits bounded by 4 → ℓ_max = log(1 + 9e⁸)
console.log(pacBayesKlBound({ empiricalRisk: 0.3, kl: 5, n: 10000, delta: 0.05, range: ellMax }));
console.log(klInverseUpper(0.1, 0.05));
const rng = new Rng(0), n = 5000;
const xs = Float64Array.from({ length: n }, () => rng.int(50));                 // a discrete input, 50 cells
const ys = Int32Array.from(xs, (v) => (rng.uniform() < 0.9 ? v % 10 : rng.int(10)));
const h = riskFloor(softmaxLoss, { data: xs, dim: 1 }, ys, { numClasses: 10 });
console.log(probabilisticGeneralizationRange({
  conditionalEntropy: h.value, informationLoss: 0, ellMax, empiricalRisk: h.value + 0.01, n,
  deltaFloor: 0.025, deltaUpper: 0.025, upper: { kind: 'cells', cells: 50, classes: 10 },
}));
