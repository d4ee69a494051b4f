#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { discoverBackends } from './backends.js';
import { catalogue } from './consistency/catalogue.js';
import { runConsistency } from './consistency/run.js';
import { describeMachine } from './machine.js';
import { writeReports } from './report.js';
import { throughputCases } from './throughput/cases.js';
import { runStructureSuite, structureMarkdown } from './structure.js';
import { summarizeThroughput } from './summarize.js';
import { writeAtomic } from './report.js';
import { DEFAULT_OUT, outputFolder } from './out-dir.js';
import { join } from 'node:path';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { runThroughput, type ThroughputResult } from './throughput/workloads.js';
import { runTorchSuite, torchMarkdown } from './torch-suite.js';

const HELP = `clt-bench: cross-backend consistency and throughput for clt

Usage: clt-bench [--suite consistency|throughput|structure|torch|all] [--backends a,b] [--backend-module M]... [--quick] [--out DIR | --publish] [--json]

  --suite      consistency: every workload on every backend vs the float64 reference, exits 1 on
               any failure (a CI gate); throughput: timed workloads with a GEMM floor;
               structure: the NTK of an MLP 784-512-512-10 on 256 MNIST digits by each algorithm,
               Lanczos and preconditioned LOBPCG vs dense (slow on CPU; not part of 'all') (default: all)
               torch: clt (ONNX Runtime CPU) beside PyTorch CPU on the issue-22 workloads (SGD
               steps, gradient energy, NTK, dense eigenvalues, NTK extremes), interleaved rounds in
               one run; needs python3 with torch (CLT_PYTHON names another interpreter), else it
               says why and skips (not part of 'all')
  --threads T  torch suite: threads per side (default 1)
  --n N        samples for the structure suite (default 256)
  --only RE    consistency, torch: run only workloads (torch: cases such as ntk/n256,
               ntk-extremes/n256) whose name matches the regular expression
  --exclude RE consistency: skip workloads whose name matches (listed in the report as excluded)
  --backends   comma-separated backend names (default: every available one; see \`clt backends\`)
  --backend-module M
               load a contributor's backend first: a package name or a path to an ES module that
               calls registerBackend from @clt/core (repeatable; also CLT_BACKEND_MODULES=a,b).
               It runs that module's code: name only modules you trust
  --quick      CI-sized: fewer primitive cases and samples, the smallest sizes
  --out DIR    where JSON, Markdown and SVG go (default: ${DEFAULT_OUT}/, ignored by git)
  --publish    write into docs/benchmarks/local instead, replacing the committed figures there
  --json       print the results as JSON on stdout
  --merge F... merge throughput JSON files of one run (per-backend runs and the PyTorch reference)
               into one table with ratios, written to --out
`;

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { threads: { type: 'string', default: '1' }, merge: { type: 'boolean', default: false }, suite: { type: 'string', default: 'all' }, backends: { type: 'string' }, 'backend-module': { type: 'string', multiple: true, default: [] }, quick: { type: 'boolean', default: false }, out: { type: 'string' }, publish: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, n: { type: 'string' }, only: { type: 'string' }, exclude: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) { process.stdout.write(HELP); return 0; }
  let out: string;
  try { out = outputFolder(values); } catch (e) { process.stderr.write(`clt-bench: ${(e as Error).message}\n`); return 2; }
  if (values.merge) {
    const { markdown, svg } = summarizeThroughput(positionals);
    mkdirSync(out, { recursive: true });
    writeAtomic(join(out, 'throughput.md'), `# Throughput\n\n${markdown}`);
    writeAtomic(join(out, 'sgd-step.svg'), svg);
    process.stdout.write(markdown);
    return 0;
  }
  const suite = values.suite!;
  if (suite === 'torch') return torchSuite(out, values);
  if (!['consistency', 'throughput', 'structure', 'all'].includes(suite)) { process.stderr.write(`unknown --suite ${suite}\n${HELP}`); return 2; }
  const wanted = values.backends?.split(',').map((s) => s.trim()).filter(Boolean);
  let statuses: Awaited<ReturnType<typeof discoverBackends>>;
  try {
    statuses = await discoverBackends(wanted, { modules: values['backend-module'] });
  } catch (e) { process.stderr.write(`clt-bench: ${(e as Error).message}\n`); return 2; }
  // A misspelt --backends name must not turn into "0 backends, 0 failed": a gate that passes.
  const unknown = statuses.filter((s) => s.unknown);
  if (unknown.length) {
    for (const s of unknown) process.stderr.write(`clt-bench: --backends ${s.name}: ${s.reason}\n`);
    return 2;
  }
  const skipped = statuses.filter((s) => !s.available).map((s) => ({ name: s.name, reason: s.reason }));
  const available = statuses.filter((s) => s.available && s.backend).map((s) => s.backend!);
  const log = (s: string) => process.stderr.write(s + '\n');
  log(`backends: ${available.map((b) => b.name).join(', ')}${skipped.length ? `; unavailable: ${skipped.map((s) => s.name).join(', ')}` : ''}`);
  for (const s of skipped) log(`  ${s.name}: ${s.reason}`);
  const machine = describeMachine();
  let failed = 0;
  const data: Parameters<typeof writeReports>[1] = { machine, skipped };
  if (suite === 'structure') {
    const results = [];
    for (const b of available.filter((b) => b.name !== 'reference')) {
      log(`structure: ${b.name}`);
      results.push(await runStructureSuite(b, { n: values.n ? Number(values.n) : 256, log: (l) => log(`  ${l}`) }));
    }
    mkdirSync(out, { recursive: true });
    writeAtomic(join(out, 'structure.json'), JSON.stringify({ machine, results }, null, 1));
    writeAtomic(join(out, 'structure.md'), `# Structure-matrix benchmark\n\nMachine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.date}\n\n` + structureMarkdown(results));
    log(structureMarkdown(results));
    return 0;
  }
  if (suite !== 'throughput') {
    let work = await catalogue({ quick: values.quick });
    if (values.only) work = work.filter((w) => new RegExp(values.only!).test(w.name));
    if (values.exclude) {
      const re = new RegExp(values.exclude);
      for (const w of work.filter((w) => re.test(w.name))) data.skipped.push({ name: `workload ${w.name}`, reason: `excluded by --exclude ${values.exclude}` });
      work = work.filter((w) => !re.test(w.name));
    }
    const targets = available.filter((b) => b.name !== 'reference');
    log(`consistency: ${work.length} workloads × ${targets.length} backends`);
    const verbose = !!process.env.CLT_BENCH_VERBOSE;
    // Results also stream to a JSONL file as they come, so a backend that crashes the process
    // (a native abort) still leaves every finished workload and the one it died in.
    mkdirSync(out, { recursive: true });
    const stream = join(out, 'consistency.partial.jsonl');
    writeFileSync(stream, '');
    const results = await runConsistency(targets, work, (d, t, label, r) => {
      appendFileSync(stream, JSON.stringify(r ?? { started: label }) + '\n');
      if (verbose) process.stderr.write(`  [${d}/${t}] ${label} ${r ? (r.ok ? 'ok' : `FAIL ${r.message ?? r.maxRelErr}`) : 'start'}\n`);
      else if (process.stderr.isTTY && r) process.stderr.write(`\r  [${d}/${t}] ${label.slice(0, 60).padEnd(60)}`);
    });
    rmSync(stream);
    if (process.stderr.isTTY) process.stderr.write('\n');
    data.consistency = results;
    failed = results.filter((r) => !r.ok).length;
    for (const r of results.filter((r) => !r.ok)) log(`  FAIL ${r.backend} ${r.workload}: max rel ${r.maxRelErr.toExponential(2)} ${r.message ?? ''}`);
    log(`consistency: ${results.length - failed} passed, ${failed} failed`);
  }
  if (suite !== 'consistency') {
    const cases = throughputCases({ quick: values.quick });
    const results: ThroughputResult[] = [];
    for (const b of available.filter((b) => b.name !== 'reference')) {
      log(`throughput: ${b.name}`);
      const rs = await runThroughput(b, cases, { quick: values.quick });
      for (const r of rs) log(`  ${r.case.padEnd(36)} ${r.timing.medianMs.toFixed(2).padStart(9)} ms  ${r.perSecond.toFixed(1)} ${r.unit}/s${r.ratioToFloor ? `  ×${r.ratioToFloor.toFixed(2)} GEMM floor` : ''}`);
      results.push(...rs);
    }
    data.throughput = results;
  }
  const files = writeReports(out, data);
  log(`wrote ${files.join(', ')}`);
  if (values.json) process.stdout.write(JSON.stringify(data, null, 1) + '\n');
  return failed > 0 ? 1 : 0;
}

/** `--suite torch`: one ONNX Runtime CPU backend with T intra-op threads beside a PyTorch worker with T threads. */
async function torchSuite(out: string, values: { threads?: string | undefined; quick?: boolean | undefined; only?: string | undefined; json?: boolean | undefined }): Promise<number> {
  const threads = Number(values.threads ?? '1');
  if (!Number.isInteger(threads) || threads < 1) { process.stderr.write(`clt-bench: --threads must be a positive integer (got ${values.threads})\n`); return 2; }
  const { OnnxRuntimeBackend } = await import('@clt/backend-onnxruntime');
  const log = (s: string) => process.stderr.write(s + '\n');
  const machine = describeMachine();
  const result = await runTorchSuite(new OnnxRuntimeBackend({ intraOpNumThreads: threads }), { threads, quick: !!values.quick, log, ...(values.only ? { only: new RegExp(values.only) } : {}) });
  if (result.skipped) log(`torch suite skipped: ${result.skipped}`);
  const md = torchMarkdown(result, machine);
  mkdirSync(out, { recursive: true });
  writeAtomic(join(out, 'torch.json'), JSON.stringify({ machine, ...result }, null, 1) + '\n');
  writeAtomic(join(out, 'torch.md'), `# clt beside PyTorch (CPU)\n\n${md}`);
  log(md);
  log(`wrote ${join(out, 'torch.json')}, ${join(out, 'torch.md')}`);
  if (values.json) process.stdout.write(JSON.stringify({ machine, ...result }, null, 1) + '\n');
  return 0;
}

main().then((code) => process.exit(code), (err) => { process.stderr.write(`clt-bench: ${(err as Error).stack ?? err}\n`); process.exit(1); });
