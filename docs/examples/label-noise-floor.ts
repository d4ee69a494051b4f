/**
 * Worked example for docs/bounds.md: the model-agnostic floor on empirical risk on real MNIST digits
 * with injected label noise. Run from the repository root, after `npx -y pnpm@10.34.8 build`:
 *
 *   npx tsc -p docs/examples/tsconfig.json && node out/docs-examples/docs/examples/label-noise-floor.js
 *
 * Construction: B distinct real digits (a seeded sample), each repeated k times; every copy gets its
 * true label replaced, with probability ρ, by a uniformly random OTHER class, independently. Copies
 * of one digit are identical inputs, so a noised copy conflicts with the others: that is when the
 * floor R̂* = Ĥ_Ω(Y|X) is positive. (Without duplicates every input is distinct and R̂* = 0 at any ρ.)
 */
import { Rng, riskFloor, softmaxLoss, sparsemaxLoss } from '@clt/core';
import { loadMnist } from '@clt/cli/datasets';

const B = 2000, k = 5, rates = [0, 0.05, 0.1, 0.2, 0.4], seed = 2602;

// The 10,000 digits the `mnist` package ships (784 pixels in [0, 1]), in class order.
const mnist = loadMnist();
const digits: { pixels: Float32Array; offset: number; label: number }[] = [];
for (let i = 0; i < mnist.n; i++) digits.push({ pixels: mnist.x, offset: i * 784, label: mnist.labels[i]! });
const rng = new Rng(seed);
rng.shuffle(digits);
const base = digits.slice(0, B);

const n = B * k, x = new Float32Array(n * 784), clean = new Int32Array(n);
base.forEach((dgt, b) => {
  for (let r = 0; r < k; r++) {
    const i = b * k + r;
    for (let p = 0; p < 784; p++) x[i * 784 + p] = dgt.pixels[dgt.offset + p]!;
    clean[i] = dgt.label;
  }
});

/** Population H(Y|X) of the noise channel in nats: −(1−ρ)log(1−ρ) − ρ log(ρ/9). */
const channelEntropy = (rho: number) => (rho > 0 ? -(1 - rho) * Math.log(1 - rho) - rho * Math.log(rho / 9) : 0);
/** Population Gini of the channel, ½(1 − (1−ρ)² − 9(ρ/9)²); the k-copy plug-in has expectation (k−1)/k times it. */
const channelGini = (rho: number) => 0.5 * (1 - (1 - rho) ** 2 - rho ** 2 / 9);

// One copy of each digit: all inputs distinct, for the last column.
const xSingle = new Float32Array(B * 784);
for (let b = 0; b < B; b++) xSingle.set(x.subarray(b * k * 784, (b * k + 1) * 784), b * 784);

console.log(`MNIST: ${B} distinct digits × ${k} copies = ${n} samples (784 float32 pixels each), seed ${seed}\n`);
console.log('| noise ρ | conflicting digits | floor, softmax (nats) | channel H(Y\\|X) | floor, sparsemax (Gini) | channel Gini × (k−1)/k | floor without copies |');
console.log('|---|---|---|---|---|---|---|');
let worst: ReturnType<typeof riskFloor>['conflicts'][number] | undefined;
for (const rho of rates) {
  const noise = new Rng(seed + Math.round(rho * 1000));
  const y = Int32Array.from(clean, (c) => (noise.uniform() < rho ? (c + 1 + noise.int(9)) % 10 : c));
  const t0 = performance.now();
  const ce = riskFloor(softmaxLoss, { data: x, dim: 784 }, y, { numClasses: 10, maxConflicts: 1 });
  const ms = performance.now() - t0;
  const gini = riskFloor(sparsemaxLoss, { data: x, dim: 784 }, y, { numClasses: 10 });
  const single = riskFloor(softmaxLoss, { data: xSingle, dim: 784 }, y.filter((_, i) => i % k === 0), { numClasses: 10 });
  console.log(`| ${rho} | ${ce.conflictingGroups} / ${ce.groups} | ${ce.value.toFixed(4)} | ${channelEntropy(rho).toFixed(4)} | ${gini.value.toFixed(4)} | ${(((k - 1) / k) * channelGini(rho)).toFixed(4)} | ${single.value} |`);
  if (rho === 0.4) worst = ce.conflicts[0];
  if (rho === rates[rates.length - 1]) console.log(`\n(riskFloor on ${n} × 784 float32 rows: ${ms.toFixed(0)} ms)`);
}
if (worst) console.log(`Largest conflict at ρ = 0.4: samples [${Array.from(worst.samples).join(', ')}], label histogram [${Array.from(worst.histogram!).join(', ')}], H = ${worst.entropy.toFixed(4)} nats, share ${worst.contribution.toExponential(3)}`);
