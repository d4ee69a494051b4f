import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConsistencyResult } from './consistency/run.js';
import type { ThroughputResult } from './throughput/workloads.js';
import { barChart, logLogChart } from './svg.js';

/** Write a file atomically (temp + rename) so an interrupted run never leaves half a result. */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

const fmt = (v: number) => (v === Infinity ? '∞' : v === 0 ? '0' : v.toExponential(1));

export function consistencyMarkdown(results: readonly ConsistencyResult[], skipped: { name: string; reason?: string }[]): string {
  const backends = [...new Set(results.map((r) => r.backend))];
  const lines = ['| backend | workloads | passed | failed | worst max rel. error (workload) |', '|---|---|---|---|---|'];
  for (const b of backends) {
    const rs = results.filter((r) => r.backend === b);
    const worst = rs.filter((r) => Number.isFinite(r.maxRelErr)).sort((a, c) => c.maxRelErr - a.maxRelErr)[0];
    lines.push(`| ${b} | ${rs.length} | ${rs.filter((r) => r.ok).length} | ${rs.filter((r) => !r.ok).length} | ${worst ? `${fmt(worst.maxRelErr)} (${worst.workload})` : '–'} |`);
  }
  const failures = results.filter((r) => !r.ok);
  if (failures.length) {
    lines.push('', '### Failures', '', '| backend | workload | max abs | max rel | tolerance (rtol, atol) | detail |', '|---|---|---|---|---|---|');
    for (const f of failures) lines.push(`| ${f.backend} | ${f.workload} | ${fmt(f.maxAbsErr)} | ${fmt(f.maxRelErr)} | ${f.rtol}, ${f.atol} | ${f.message ?? (f.worst ? `${f.worst.output}[${f.worst.index}]: ${f.worst.got} vs ${f.worst.want}` : '')} |`);
  }
  const groups = [...new Set(results.map((r) => r.group))];
  lines.push('', '### Worst error per group', '', `| group | ${backends.join(' | ')} |`, `|---|${backends.map(() => '---').join('|')}|`);
  for (const g of groups) lines.push(`| ${g} | ${backends.map((b) => fmt(Math.max(0, ...results.filter((r) => r.group === g && r.backend === b).map((r) => r.maxRelErr)))).join(' | ')} |`);
  const warned = results.filter((r) => r.warnings?.length);
  if (warned.length) {
    lines.push('', '### Executable warnings (provider fallback, node placement)', '');
    const seen = new Map<string, string[]>();
    for (const r of warned) for (const w of r.warnings!) seen.set(`${r.backend}: ${w}`, [...(seen.get(`${r.backend}: ${w}`) ?? []), r.workload]);
    for (const [w, ws] of seen) lines.push(`- ${w} (${ws.length} workload${ws.length > 1 ? 's' : ''}: ${ws.slice(0, 4).join(', ')}${ws.length > 4 ? ', …' : ''})`);
  }
  if (skipped.length) lines.push('', 'Not available here:', '', ...skipped.map((s) => `- **${s.name}**: ${s.reason ?? ''}`));
  return lines.join('\n') + '\n';
}

export function throughputMarkdown(results: readonly ThroughputResult[]): string {
  const lines = ['| workload | backend | median ms | IQR ms | per second | × GEMM floor |', '|---|---|---|---|---|---|'];
  for (const r of results)
    lines.push(`| ${r.case} | ${r.backend} | ${r.timing.medianMs.toFixed(3)} | ${(r.timing.p75Ms - r.timing.p25Ms).toFixed(3)} | ${r.perSecond.toFixed(1)} ${r.unit} | ${r.ratioToFloor ? r.ratioToFloor.toFixed(2) : ''} |`);
  return lines.join('\n') + '\n';
}

export function writeReports(dir: string, data: { machine: object; consistency?: ConsistencyResult[]; throughput?: ThroughputResult[]; skipped: { name: string; reason?: string }[] }): string[] {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const put = (name: string, text: string) => { writeAtomic(join(dir, name), text); files.push(join(dir, name)); };
  const head = (t: string) => `# ${t}\n\nMachine: ${(data.machine as any).cpu}, ${(data.machine as any).cores} cores, Node ${(data.machine as any).node}, ${(data.machine as any).date}\n\n`;
  if (data.consistency) {
    put('consistency.json', JSON.stringify({ machine: data.machine, skipped: data.skipped, results: data.consistency }, null, 1));
    put('consistency.md', head('Cross-backend consistency against the float64 reference') + consistencyMarkdown(data.consistency, data.skipped));
  }
  if (data.throughput) {
    put('throughput.json', JSON.stringify({ machine: data.machine, skipped: data.skipped, results: data.throughput }, null, 1));
    put('throughput.md', head('Throughput') + throughputMarkdown(data.throughput));
    const steps = data.throughput.filter((r) => r.case.startsWith('sgd-step/'));
    if (steps.length) put('sgd-step.svg', barChart('Fused SGD step (forward + backward + update)', 'steps/s, higher is better', steps.map((r) => ({ label: `${r.backend} ${r.case.replace('sgd-step/', '')}`, value: r.perSecond }))));
    const sweep = steps.filter((r) => r.n);
    const series = [...new Set(sweep.map((r) => `${r.backend} ${r.case.split('/')[1]}`))].map((name) => ({
      name, points: sweep.filter((r) => `${r.backend} ${r.case.split('/')[1]}` === name).map((r) => [r.n!, r.timing.medianMs] as [number, number]),
    })).filter((s) => s.points.length > 1);
    if (series.length) put('sgd-step-sweep.svg', logLogChart('Fused SGD step: time against batch size', 'batch n', 'median ms per step', series));
  }
  return files;
}
