import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '@clt/core';

// The built CLI (run `npx tsc -p tsconfig.build.json` in convex and cli first), spawned as a user would.
const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'clt-convex-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Asynchronous, so a long run does not block the vitest worker's event loop. */
function clt(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'convex', ...args], { timeout: timeoutMs });
    let stdout = '', stderr = '';
    child.stdout.on('data', (b) => { stdout += b; });
    child.stderr.on('data', (b) => { stderr += b; });
    child.on('close', (code, signal) => resolve({ code, stdout, stderr, signal }));
  });
}

// Issue 17 defect 10: a 40-row 3-feature CSV ran for minutes with no output, and a stopped solve
// printed a negative gap as if it were a certificate.
const csv = join(dir, 'forty.csv');
{
  const r = new Rng(1), lines = ['a,b,c,label'];
  for (let i = 0; i < 40; i++) lines.push([r.normal() + (i % 2), r.normal(), r.normal() - (i % 2), i % 2].map(String).join(','));
  writeFileSync(csv, lines.join('\n') + '\n');
}

describe('clt convex', () => {
  it('a short --time-limit ends promptly with "NOT CERTIFIED" and the two bounds, never a p* line', async () => {
    const t0 = Date.now();
    const r = await clt(['--data', csv, '--classes', '0,1', '--time-limit', '1', '--gap-tol', '1e-14', '--sgd-runs', '0'], 60_000);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(r.stdout).toMatch(/NOT CERTIFIED: the time limit was reached after \d+\.\d s with relative duality gap/);
    expect(r.stdout).toMatch(/bounds only +dual = \S+ ≤ p\* ≤ primal = \S+ +gap = \S+/);
    expect(r.stdout).not.toMatch(/convex optimum +p\*/);
    expect(r.stdout).not.toMatch(/gap = -/);
  });

  it('--json keeps stdout one JSON document with certified = false and a reason', async () => {
    const r = await clt(['--data', csv, '--classes', '0,1', '--time-limit', '1', '--gap-tol', '1e-14', '--sgd-runs', '0', '--json'], 60_000);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.convex.certified).toBe(false);
    expect(out.convex.stopReason).toBe('time-limit');
    expect(out.convex.status).toMatch(/^not certified: the time limit/);
    expect(out.convex.gap).toBeGreaterThanOrEqual(0);
  });

  it('--time-limit must be positive', async () => {
    const r = await clt(['--time-limit', '0'], 30_000);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--time-limit/);
  });

  it('with no arguments it runs on its own defaults (MNIST, classes 0 and 1) and says whether it is certified', async () => {
    const r = await clt([], 240_000);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/mnist: 40 rows of classes 0, 1/);
    // The default problem is chosen to be certifiable at the default gap tolerance.
    expect(r.stdout).toMatch(/^certified: relative duality gap/m);
    expect(r.stdout).not.toMatch(/gap = -/);
    expect(r.stdout).toMatch(/SGD runs of width \d+/);
  }, 300_000);
});
