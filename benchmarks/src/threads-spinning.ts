#!/usr/bin/env node
/**
 * ONNX Runtime thread pool: the SGD step (MLP 784-256-256-10, momentum, as the trainer runs it) on
 * onnxruntime-cpu with idle pool threads spinning or sleeping, 1 or 2 intra-op threads, batch 32
 * and 128, on an idle machine and on one loaded with a busy-loop child process per core. Reports
 * median wall ms and CPU ms (this process, every thread) per step.
 *
 *   node benchmarks/dist/threads-spinning.js [--quick] [--rounds N] [--batches 32,128] [--threads 1,2] [--out DIR | --publish]
 *
 * Every configuration has its own backend (its own sessions and pool) and all of them are sampled
 * in the same process, interleaved: each round visits the idle and the loaded phase (order
 * alternating) and within a phase every configuration (order rotating), so drift and neighbours
 * hit all alike. Medians over rounds; read ratios within a run, not absolute times.
 */
import { OnnxRuntimeBackend } from '@clt/backend-onnxruntime';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine } from './machine.js';
import { outputFolder } from './out-dir.js';
import { writeAtomic } from './report.js';
import { sgdStepCase } from './throughput/workloads.js';

interface Config { readonly threads: number; readonly spinning: boolean; readonly batch: number }
type Phase = 'idle' | 'loaded';
interface Sample { wallMs: number; cpuMs: number }

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const label = (c: Config) => `n${c.batch} t${c.threads} ${c.spinning ? 'spin' : 'nospin'}`;

/** One busy-looping child process per core, started and given a moment to be scheduled. */
async function startLoad(n: number): Promise<ChildProcess[]> {
  const kids = Array.from({ length: n }, () => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
  await new Promise((r) => setTimeout(r, 150));
  return kids;
}
async function stopLoad(kids: ChildProcess[]): Promise<void> {
  await Promise.all(kids.map((k) => new Promise<void>((r) => { if (k.exitCode !== null || k.signalCode !== null) return r(); k.once('exit', () => r()); k.kill('SIGKILL'); })));
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, rounds: { type: 'string' }, out: { type: 'string' }, publish: { type: 'boolean', default: false }, batches: { type: 'string', default: '32,128' }, threads: { type: 'string', default: '1,2' } } });
  const out = outputFolder(values);
  const rounds = values.rounds ? Number(values.rounds) : values.quick ? 3 : 9;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive whole number (got ${values.rounds})`);
  const cores = availableParallelism();
  const configs: Config[] = [];
  const list = (s: string, what: string) => s.split(',').map((x) => {
    const v = Number(x.trim());
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${what} takes positive whole numbers separated by commas (got '${s}')`);
    return v;
  });
  for (const batch of list(values.batches!, 'batches')) for (const threads of list(values.threads!, 'threads')) for (const spinning of [true, false]) configs.push({ threads, spinning, batch });
  const workloads = [];
  for (const c of configs) {
    const backend = new OnnxRuntimeBackend({ intraOpNumThreads: c.threads, intraOpSpinning: c.spinning });
    const w = await sgdStepCase([784, 256, 256, 10], c.batch).setup(backend);
    for (let i = 0; i < 10; i++) await w.run();
    workloads.push({ config: c, backend, ...w });
  }
  // Steps per sample: about 30–60 ms of work idle, so a loaded sample is still a handful of steps.
  const steps = (c: Config) => (values.quick ? 5 : c.batch <= 32 ? 40 : c.batch <= 128 ? 20 : 8);
  const samples = new Map<string, Sample[]>();
  const log = (s: string) => process.stderr.write(s + '\n');
  for (let r = 0; r < rounds; r++) {
    const phases: Phase[] = r % 2 ? ['loaded', 'idle'] : ['idle', 'loaded'];
    for (const phase of phases) {
      const kids = phase === 'loaded' ? await startLoad(cores) : [];
      try {
        for (let j = 0; j < workloads.length; j++) {
          const w = workloads[(j + r) % workloads.length]!;
          const k = steps(w.config);
          const c0 = process.cpuUsage(), t0 = performance.now();
          for (let i = 0; i < k; i++) await w.run();
          const wallMs = (performance.now() - t0) / k, cu = process.cpuUsage(c0);
          const key = `${phase} ${label(w.config)}`;
          if (!samples.has(key)) samples.set(key, []);
          samples.get(key)!.push({ wallMs, cpuMs: (cu.user + cu.system) / 1000 / k });
        }
      } finally {
        await stopLoad(kids);
      }
    }
    log(`round ${r + 1}/${rounds} done`);
  }
  for (const w of workloads) { w.dispose(); await w.backend.dispose(); }

  const rows = configs.flatMap((c) => (['idle', 'loaded'] as Phase[]).map((phase) => {
    const s = samples.get(`${phase} ${label(c)}`)!;
    const wall = s.map((x) => x.wallMs), cpu = s.map((x) => x.cpuMs);
    return { ...c, phase, wallMs: median(wall), wallRangeMs: [Math.min(...wall), Math.max(...wall)], cpuMs: median(cpu), samples: s };
  }));
  const fmt = (v: number) => v.toFixed(2);
  const table = [
    '| batch | threads | spinning | idle: wall ms | idle: CPU ms | loaded: wall ms (range) | loaded: CPU ms |',
    '|---|---|---|---|---|---|---|',
    ...configs.map((c) => {
      const [i, l] = (['idle', 'loaded'] as Phase[]).map((p) => rows.find((x) => x.phase === p && label(x) === label(c))!);
      return `| ${c.batch} | ${c.threads} | ${c.spinning ? 'on' : 'off'} | ${fmt(i!.wallMs)} | ${fmt(i!.cpuMs)} | ${fmt(l!.wallMs)} (${fmt(l!.wallRangeMs[0]!)}–${fmt(l!.wallRangeMs[1]!)}) | ${fmt(l!.cpuMs)} |`;
    }),
  ].join('\n');
  const machine = describeMachine();
  mkdirSync(out, { recursive: true });
  const file = join(out, 'ort-threads-spinning.json');
  writeAtomic(file, JSON.stringify({ machine, rounds, loadProcesses: cores, workload: 'sgd-step/784-256-256-10 (momentum 0.9), onnxruntime-cpu', rows }, null, 1) + '\n');
  process.stdout.write(`Machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.date}; ${rounds} rounds, loaded = ${cores} busy-loop processes\n\n${table}\n`);
  log(`wrote ${file}`);
  return 0;
}

main().then((code) => process.exit(code), (err) => { process.stderr.write(`threads-spinning: ${(err as Error).message}\n`); process.exit(2); });
