import { readFileSync } from 'node:fs';
import type { ThroughputResult } from './throughput/workloads.js';
import { barChart } from './svg.js';

interface Loaded { machine?: { cpu?: string; cores?: number; node?: string; date?: string }; gpu?: string; torch?: string; results: ThroughputResult[] }

/**
 * Merge throughput JSON files of one run (clt-bench per backend and the PyTorch reference, which
 * share the same case names) into one Markdown table. Ratios are taken within the run: each step
 * against its own backend's GEMM floor, and against PyTorch on the same device class.
 */
export function summarizeThroughput(files: readonly string[]): { markdown: string; svg: string } {
  const loaded = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Loaded);
  const all = loaded.flatMap((l) => l.results);
  const torchCuda = (c: string) => all.find((r) => r.backend === 'torch-cuda' && r.case === c);
  const torchCpu = (c: string) => all.find((r) => r.backend === 'torch-cpu' && r.case === c);
  const floorOf = (r: ThroughputResult) => all.find((o) => o.backend === r.backend && o.case === r.case.replace('sgd-step/', 'gemm-floor/'));
  const steps = all.filter((r) => r.case.startsWith('sgd-step/'));
  const head = loaded.find((l) => l.machine)?.machine, gpu = loaded.find((l) => l.gpu);
  const lines = [
    `Machine: ${head?.cpu ?? '?'} (${head?.cores ?? '?'} cores), ${gpu?.gpu ?? 'no GPU'}, Node ${head?.node ?? '?'}, PyTorch ${gpu?.torch ?? '?'}; ${head?.date ?? ''}`, '',
    '| fused SGD step | backend | median ms | steps/s | × own GEMM floor | × PyTorch CUDA | × PyTorch CPU |', '|---|---|---|---|---|---|---|',
  ];
  for (const r of steps.sort((a, b) => a.case.localeCompare(b.case) || a.backend.localeCompare(b.backend))) {
    const f = floorOf(r), tc = torchCuda(r.case), tp = torchCpu(r.case);
    const ms = r.timing.medianMs;
    lines.push(`| ${r.case.replace('sgd-step/', '')} | ${r.backend} | ${ms.toFixed(2)} | ${(1000 / ms).toFixed(0)} | ${f ? (ms / f.timing.medianMs).toFixed(2) : ''} | ${tc ? (ms / tc.timing.medianMs).toFixed(2) : ''} | ${tp ? (ms / tp.timing.medianMs).toFixed(2) : ''} |`);
  }
  const others = all.filter((r) => !r.case.startsWith('sgd-step/') && !r.case.startsWith('gemm-floor/'));
  if (others.length) lines.push('', '| other workload | backend | median ms |', '|---|---|---|', ...others.map((r) => `| ${r.case} | ${r.backend} | ${r.timing.medianMs.toFixed(1)} |`));
  const head128 = steps.filter((r) => r.case === 'sgd-step/784-256-256-10/n128');
  const svg = barChart('Fused SGD step, MLP 784-256-256-10, batch 128', 'steps/s, higher is better', head128.map((r) => ({ label: r.backend, value: 1000 / r.timing.medianMs })));
  return { markdown: lines.join('\n') + '\n', svg };
}
