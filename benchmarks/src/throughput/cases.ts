import { LeNet, ResNet, sgdStepGraph, type Model } from '@clt/core';
import { gemmFloorCase, heavyOpFloorCase, modelStepCase, sgdStepCase, type ThroughputCase } from './workloads.js';

/** A conv model's SGD step beside its GEMM/conv floor (the step's own products and convolutions). */
function convModelCases(model: Model, tag: string, batch: number): ThroughputCase[] {
  const floor = `conv-floor/${tag}/n${batch}`;
  return [heavyOpFloorCase(floor, () => sgdStepGraph(model, { batch, momentum: 0.9 }), batch), modelStepCase(model, batch, `sgd-step/${tag}/n${batch}`, floor)];
}

/**
 * The throughput catalogue. The headline is the MLP 784-256-256-10 SGD step at batch 128 against
 * its GEMM floor; the sweep varies batch n and width (parameter count P) to show how cost grows.
 * Conv models run beside a floor of their own step's matrix products and convolutions.
 */
export function throughputCases(options: { quick?: boolean } = {}): ThroughputCase[] {
  const head = [784, 256, 256, 10];
  const cases: ThroughputCase[] = [gemmFloorCase(head, 128), sgdStepCase(head, 128)];
  // LeNet-5 on MNIST at batch 64 (the step-time comparison); ResNet-18-LN on CIFAR at
  // batch 32 is minutes per sample on a 2-core CPU, so only in the full run.
  cases.push(...convModelCases(new LeNet({ input: [1, 28, 28], classes: 10 }), 'lenet5-mnist', 64));
  if (!options.quick) cases.push(...convModelCases(new ResNet({ input: [3, 32, 32], classes: 10 }), 'resnet18-cifar', 32));
  if (!options.quick) {
    for (const n of [32, 512]) cases.push(gemmFloorCase(head, n), sgdStepCase(head, n));
    for (const w of [128, 512]) { const s = [784, w, w, 10]; cases.push(gemmFloorCase(s, 128), sgdStepCase(s, 128)); }
  }
  return cases;
}
