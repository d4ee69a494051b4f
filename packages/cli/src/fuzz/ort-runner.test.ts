import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classifyReport, runInChildren } from './ort-runner.js';

/**
 * The child-process harness of the native fuzz, checked with a fake child that dies by SIGFPE,
 * spins, or exits on chosen cases: each death is pinned to its case, classified (crash / hang),
 * and the run goes on from the next case.
 */
const dir = mkdtempSync(join(tmpdir(), 'clt-ort-runner-'));
const child = join(dir, 'fake-child.mjs');
writeFileSync(child, `
import { readFileSync, writeSync } from 'node:fs';
const [file, first] = process.argv.slice(2);
const cases = JSON.parse(readFileSync(file, 'utf8'));
for (let i = Number(first); i < cases.length; i++) {
  writeSync(1, 'start ' + i + '\\n');
  const c = cases[i];
  if (c === 'fpe') process.kill(process.pid, 'SIGFPE');
  if (c === 'hang') for (;;) {}
  if (c === 'exit') process.exit(3);
  const r = c === 'wrong' ? { status: 'mismatch', detail: 'out0[0]: got 1, reference 2' }
    : c === 'refused' ? { status: 'threw', phase: 'onnxruntime', name: 'BackendError', message: 'onnxruntime-cpu: shape [0,3] not supported' } : { status: 'ok' };
  writeSync(1, 'done ' + i + ' ' + JSON.stringify(r) + '\\n');
}
writeSync(1, 'end\\n');
`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ort fuzz harness', () => {
  it('pins a SIGFPE, a hang and a bad exit to their cases and resumes after each', async () => {
    const cases = ['ok', 'fpe', 'ok', 'hang', 'exit', 'wrong', 'refused', 'ok'];
    const { results, restarts } = await runInChildren(cases, { caseTimeoutMs: 1000, firstCaseTimeoutMs: 5000, child });
    expect(results.map((r) => [r.index, r.outcome])).toEqual([
      [0, 'correct'], [1, 'crash'], [2, 'correct'], [3, 'hang'], [4, 'crash'], [5, 'silent NaN'], [6, 'unclear error'], [7, 'correct'],
    ]);
    expect(results[1]!.detail).toContain('SIGFPE');
    expect(results[4]!.detail).toContain('code 3');
    expect(restarts).toBe(3);
  });

  it('judges reports: trace-time refusals by their clarity, backend refusals of valid graphs as failures', () => {
    expect(classifyReport({ status: 'threw', phase: 'trace', name: 'ShapeError', message: 'reduceMax: max over a zero-size axis of [0]' }).outcome).toBe('clear error');
    expect(classifyReport({ status: 'threw', phase: 'reference', name: 'TypeError', message: "Cannot read properties of undefined (reading 'x')" }).outcome).toBe('unclear error');
    expect(classifyReport({ status: 'ok' }).outcome).toBe('correct');
  });
});
