import { ReferenceBackend } from '@clt/core';
import { describe, expect, it } from 'vitest';
import { runTorchSuite, torchCases, torchMarkdown } from './torch-suite.js';

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
    expect(torchCases().map((c) => c.name)).toEqual(['sgd-step/n32', 'sgd-step/n128', 'sgd-step/n512', 'gradient-energy/n128', 'ntk/n256', 'dense-eig/2560', 'ntk-extremes/n256']);
    const side = { medianMs: 2, minMs: 1, maxMs: 3, cpuMedianMs: 2, samples: 5 };
    const md = torchMarkdown({ torch: '2.x', threads: 1, rows: [{ case: 'c', label: 'L', target: '≤ 1', clt: side, torch: { ...side, medianMs: 4, cpuMedianMs: 8 }, ratio: 0.5, cpuRatio: 0.25 }] }, machine);
    expect(md).toContain('| L | 2.00 [1.00–3.00] | 2.00 | 4.00 [1.00–3.00] | 8.00 | 0.50 | 0.25 | ≤ 1 |');
  });
});
