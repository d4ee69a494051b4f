import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { classifyChildDeath, classifyThrow, type Outcome } from '@clt/core/testing';

export const CHILD = fileURLToPath(new URL('./ort-child.mjs', import.meta.url));

/** What the child reported for one case (see ort-child.mjs). */
export type ChildReport =
  | { status: 'ok' }
  | { status: 'mismatch'; detail: string }
  | { status: 'threw'; phase: 'trace' | 'reference' | 'onnxruntime'; name: string; message: string };

export interface CaseOutcome { index: number; outcome: Outcome; detail: string }

/**
 * Outcome of one reported case. A wrong value is a silent failure. An error is judged by the
 * shared clarity rule, except that ONNX Runtime refusing a graph the float64 reference computes is
 * never acceptable: every valid graph, zero-size ones included, must run on every backend.
 */
export function classifyReport(r: ChildReport): { outcome: Outcome; detail: string } {
  if (r.status === 'ok') return { outcome: 'correct', detail: '' };
  if (r.status === 'mismatch') return { outcome: 'silent NaN', detail: `differs from the reference: ${r.detail}` };
  const e = Object.assign(new Error(r.message), { name: r.name });
  const c = classifyThrow(e, ['shape', 'dtype', 'axis', 'label']);
  if (r.phase === 'onnxruntime') return { outcome: 'unclear error', detail: `onnxruntime refused a graph the reference computes: ${c.detail}` };
  return { outcome: c.outcome, detail: `${r.phase}: ${c.detail}` };
}

/**
 * Run `cases` (JSON-serializable) in a child process, restarting after a death or a hang. A case
 * whose `start` line was seen but no `done` line came before the child died is a crash (signal or
 * exit code), or a hang when the harness killed the child after `caseTimeoutMs` of silence.
 */
export async function runInChildren(cases: readonly unknown[], opts: RunOptions): Promise<{ results: CaseOutcome[]; restarts: number; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'clt-ort-fuzz-'));
  const file = join(dir, 'cases.json');
  writeFileSync(file, JSON.stringify(cases));
  const results: CaseOutcome[] = [];
  let next = 0, restarts = 0, stderr = '';
  try {
    while (next < cases.length) {
      const from = next;
      const run = await runChild(file, from, opts, (i, r) => { results.push({ index: i, ...classifyReport(r) }); next = i + 1; });
      stderr += run.stderr;
      if (run.finished) break;
      if (run.started !== undefined && run.started < next) {
        // Died after reporting its last case (in teardown): still a crash, pinned to that case.
        results.push({ index: run.started, outcome: 'crash', detail: `after reporting: ${classifyChildDeath({ timedOut: run.timedOut, signal: run.signal, code: run.code }).detail}` });
        restarts++;
        continue;
      }
      if (run.started === undefined) {
        // Died before starting a case: the harness itself is broken (import failure, build missing).
        throw new Error(`ort fuzz child died before running case ${next} (code ${run.code}, signal ${run.signal}): ${run.stderr.slice(-2000) || 'no stderr'}\n` +
          'The child imports the built packages: run `pnpm build` (or tsc -p tsconfig.build.json in core and backend-onnxruntime) first.');
      }
      results.push({ index: run.started, ...classifyChildDeath({ timedOut: run.timedOut, signal: run.signal, code: run.code }) });
      next = run.started + 1;
      restarts++;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { results, restarts, stderr };
}

export interface RunOptions {
  caseTimeoutMs: number;
  /** The first case of each child also loads ONNX Runtime. */
  firstCaseTimeoutMs: number;
  /** Child script speaking the start/done/end protocol; default ort-child.mjs. */
  child?: string;
}

interface ChildRun { finished: boolean; started: number | undefined; timedOut: boolean; signal: string | null; code: number | null; stderr: string }

function runChild(file: string, from: number, opts: RunOptions, onDone: (i: number, r: ChildReport) => void): Promise<ChildRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [opts.child ?? CHILD, file, String(from)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let started: number | undefined, finished = false, timedOut = false, buf = '', stderr = '';
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = (ms: number) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, ms);
    };
    arm(opts.firstCaseTimeoutMs);
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); if (stderr.length > 20_000) stderr = stderr.slice(-10_000); });
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('start ')) {
          started = Number(line.slice(6));
          // The first case also pays for loading ONNX Runtime.
          arm(started === from ? opts.firstCaseTimeoutMs : opts.caseTimeoutMs);
        } else if (line.startsWith('done ')) {
          const sp = line.indexOf(' ', 5);
          onDone(Number(line.slice(5, sp)), JSON.parse(line.slice(sp + 1)) as ChildReport);
        } else if (line === 'end') finished = true;
      }
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      // A case that completed is not re-blamed: `started` then equals the last done index.
      resolve({ finished, started, timedOut, signal, code, stderr });
    });
  });
}
