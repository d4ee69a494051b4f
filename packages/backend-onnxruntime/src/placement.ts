import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Which ONNX Runtime provider each node of an optimized session was assigned to. */
export interface NodePlacement {
  /** Provider name → nodes (`OpType (node name)`); the provider names are ONNX Runtime's, e.g. `WebGpuExecutionProvider`. */
  readonly byProvider: Readonly<Record<string, readonly string[]>>;
  /** Node counts by provider (also filled when ONNX Runtime only printed "All nodes placed on"). */
  readonly counts: Readonly<Record<string, number>>;
}

/**
 * Parse ONNX Runtime's verbose session log (severity 0), which lists node placement after
 * partitioning: either ` All nodes placed on [EP]. Number of nodes: N` or, per provider,
 * ` Node(s) placed on [EP]. Number of nodes: N` followed by one `  OpType (name)` line per node.
 * Returns undefined when the log has no placement section.
 */
export function parsePlacement(log: string): NodePlacement | undefined {
  const byProvider: Record<string, string[]> = {};
  const counts: Record<string, number> = {};
  let current: string[] | undefined;
  let found = false;
  for (const raw of log.split('\n')) {
    const line = raw.replace(/\u001b\[[0-9;]*m/g, '');
    const all = /All nodes placed on \[([^\]]+)\]\. Number of nodes: (\d+)/.exec(line);
    if (all) { found = true; counts[all[1]!] = Number(all[2]); byProvider[all[1]!] ??= []; current = undefined; continue; }
    const some = /Node\(s\) placed on \[([^\]]+)\]\. Number of nodes: (\d+)/.exec(line);
    if (some) { found = true; counts[some[1]!] = Number(some[2]); current = byProvider[some[1]!] = []; continue; }
    // Node lines follow the header; the logger prefixes each with a timestamp and source location.
    const node = current && /\]\s{2,}(\S+ \(.*\))\s*$/.exec(line);
    if (node) current!.push(node[1]!);
    else if (current && !/^\s*$/.test(line)) current = undefined;
  }
  return found ? { byProvider, counts } : undefined;
}

/** Nodes not on `provider` (ONNX Runtime name), as `provider: OpType (name)` strings. */
export function fallbackNodes(p: NodePlacement, provider: string): string[] {
  const out: string[] = [];
  for (const [ep, n] of Object.entries(p.counts)) {
    if (ep === provider) continue;
    const list = p.byProvider[ep] ?? [];
    out.push(...(list.length ? list.map((s) => `${ep}: ${s}`) : [`${ep}: ${n} node(s)`]));
  }
  return out;
}

/**
 * Node placement of a model on a provider, read from a verbose session log. ONNX Runtime writes
 * that log to the native stderr, which a Node process cannot capture from inside, so a short-lived
 * child process creates the same session and its stderr is parsed. Costs one process start and
 * one session creation; run at compile time, never per step.
 */
export async function probePlacement(model: Uint8Array, provider: string, sessionOptions: Record<string, unknown> = {}): Promise<{ placement?: NodePlacement; log: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'clt-ort-placement-'));
  try {
    const file = join(dir, 'model.onnx');
    await writeFile(file, model);
    const ortEntry = createRequire(import.meta.url).resolve('onnxruntime-node');
    const script = `
      const ort = require(${JSON.stringify(ortEntry)});
      ort.InferenceSession.create(${JSON.stringify(file)}, Object.assign(${JSON.stringify(sessionOptions)}, {
        executionProviders: [${JSON.stringify(provider)}], logSeverityLevel: 0, logVerbosityLevel: 0 }))
        .then((s) => s.release()).catch((e) => { console.error('SESSION-ERROR ' + e.message); process.exitCode = 1; });`;
    const log = await new Promise<string>((resolve) => {
      execFile(process.execPath, ['-e', script], { maxBuffer: 64 << 20, timeout: 120_000, env: { ...process.env, ORT_DISABLE_TELEMETRY: process.env.ORT_DISABLE_TELEMETRY ?? '1' } }, (_err, stdout, stderr) => resolve(`${stdout}\n${stderr}`));
    });
    const placement = parsePlacement(log);
    return placement ? { placement, log } : { log };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
