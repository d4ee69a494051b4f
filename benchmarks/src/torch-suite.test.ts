import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { LeNet, ReferenceBackend, ResNet, parameterCount } from '@clt/core';
import { describe, expect, it } from 'vitest';
import { runTorchSuite, TORCH_SCRIPT, torchCases, torchMarkdown } from './torch-suite.js';

const python = process.env.CLT_PYTHON ?? 'python3';
const hasTorch = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

const machine = { cpu: 'test cpu', cores: 2, node: 'v20', date: '2026-12-06' };

describe('clt-bench --suite torch', () => {
  it('skips with the reason when the interpreter cannot be started', async () => {
    const r = await runTorchSuite(new ReferenceBackend(), { python: '/nonexistent/python3' });
    expect(r.rows).toEqual([]);
    expect(r.skipped).toMatch(/cannot start \/nonexistent\/python3/);
    expect(torchMarkdown(r, machine)).toMatch(/Skipped: cannot start/);
  });

  it('skips with the reason when the interpreter exits before the worker is ready', async () => {
    // Node cannot run the Python worker: it exits with a syntax error, as a broken Python would.
    const r = await runTorchSuite(new ReferenceBackend(), { python: process.execPath });
    expect(r.skipped).toMatch(/exited \(code [1-9]/);
  });

  it('covers every workload of the issue, and the table has one row per case with clt / PyTorch ratios', () => {
    expect(torchCases().map((c) => c.name)).toEqual(['sgd-step/n32', 'sgd-step/n128', 'sgd-step/n512', 'gemm-floor/n32', 'gemm-floor/n128', 'gemm-floor/n512', 'sgd-steps/n32x8', 'sgd-steps/n128x8', 'sgd-steps/n512x8', 'lenet-step/n64', 'resnet18-step/n32', 'gradient-energy/n128', 'ntk/n256', 'dense-eig/2560', 'ntk-extremes/n256']);
    const side = { medianMs: 2, minMs: 1, maxMs: 3, cpuMedianMs: 2, samples: 5 };
    const md = torchMarkdown({ torch: '2.x', threads: 1, rows: [{ case: 'c', label: 'L', target: '≤ 1', clt: side, torch: { ...side, medianMs: 4, cpuMedianMs: 8 }, ratio: 0.5, cpuRatio: 0.25 }] }, machine);
    expect(md).toContain('| L | 2.00 [1.00–3.00] | 2.00 | 4.00 [1.00–3.00] | 8.00 | 0.50 | 0.25 | ≤ 1 |');
  });

  // The PyTorch mirrors of clt's conv models must be the same networks: same parameter counts, and a step that runs.
  it.skipIf(!hasTorch)(`the PyTorch LeNet-5 and ResNet-18-LN have clt's parameter counts, and their SGD steps run${hasTorch ? '' : ' (skipped: no PyTorch for this Python)'}`, () => {
    const code = [
      'import sys, json', `sys.path.insert(0, ${JSON.stringify(dirname(TORCH_SCRIPT))})`, 'import side_by_side as s',
      'n = lambda m: sum(p.numel() for p in m.parameters())',
      'print(json.dumps([n(s.LeNet((1, 28, 28), 10)), n(s.LeNet((3, 32, 32), 100)), n(s.ResNet18LN((3, 32, 32), 10)), n(s.ResNet18LN((1, 28, 28), 10, 16)), s.lenet_step(4)(), s.resnet18_step(2, width=4)(), s.gemm_floor([6, 5, 3], 4)()]))',
    ].join('\n');
    const r = spawnSync(python, ['-c', code], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const [lenet, lenet100, resnet, resnet16, l1, l2, floor] = JSON.parse(r.stdout) as number[];
    expect(Number.isFinite(floor)).toBe(true); // the GEMM-floor row's PyTorch side runs
    expect([lenet, lenet100, resnet, resnet16]).toEqual([
      parameterCount(new LeNet({ input: [1, 28, 28], classes: 10 })), parameterCount(new LeNet({ input: [3, 32, 32], classes: 100 })),
      parameterCount(new ResNet({ input: [3, 32, 32], classes: 10 })), parameterCount(new ResNet({ input: [1, 28, 28], classes: 10, width: 16 })),
    ]);
    for (const loss of [l1!, l2!]) { expect(loss).toBeGreaterThan(0.5); expect(loss).toBeLessThan(10); } // ≈ ln 10 at initialisation
  }, 120_000);
});
