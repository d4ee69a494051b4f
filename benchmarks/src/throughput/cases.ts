import { gemmFloorCase, sgdStepCase, type ThroughputCase } from './workloads.js';

/**
 * The throughput catalogue. The headline is the MLP 784-256-256-10 SGD step at batch 128 against
 * its GEMM floor; the sweep varies batch n and width (parameter count P) to show how cost grows.
 */
export function throughputCases(options: { quick?: boolean } = {}): ThroughputCase[] {
  const head = [784, 256, 256, 10];
  const cases: ThroughputCase[] = [gemmFloorCase(head, 128), sgdStepCase(head, 128)];
  if (!options.quick) {
    for (const n of [32, 512]) cases.push(gemmFloorCase(head, n), sgdStepCase(head, n));
    for (const w of [128, 512]) { const s = [784, w, w, 10]; cases.push(gemmFloorCase(s, 128), sgdStepCase(s, 128)); }
  }
  return cases;
}
