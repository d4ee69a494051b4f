import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/** The contributor backend of the CLI's tests: core's float64 reference registered as `contrib-f64`. */
const fixture = fileURLToPath(new URL('../../packages/cli/test-fixtures/contrib-backend.mjs', import.meta.url));
const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'clt-bench-module-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function bench(args: string[]): { stdout: string; stderr: string; code: number | null } {
  expect(existsSync(bin), `${bin} is missing: build first (npx tsc -p tsconfig.build.json)`).toBe(true);
  const r = spawnSync(process.execPath, [bin, ...args, '--out', join(work, 'out')], { cwd: work, encoding: 'utf8', timeout: 300_000, env: { ...process.env, CLT_BACKEND_MODULES: '' } });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status };
}

describe('clt-bench --backend-module', () => {
  it('runs the consistency gate on a contributor backend and passes it', () => {
    const r = bench(['--suite', 'consistency', '--quick', '--backend-module', fixture, '--backends', 'contrib-f64']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^backends: contrib-f64$/m);
    const [, passed, failed] = /consistency: (\d+) passed, (\d+) failed/.exec(r.stderr) ?? [];
    expect(Number(passed)).toBeGreaterThan(20);
    expect(Number(failed)).toBe(0);
    const report = JSON.parse(readFileSync(join(work, 'out', 'consistency.json'), 'utf8')) as { results: { backend: string; ok: boolean }[] };
    expect(new Set(report.results.map((c) => c.backend))).toEqual(new Set(['contrib-f64']));
    expect(report.results.every((c) => c.ok)).toBe(true);
  });

  it('an unknown --backends name fails the run (exit 2) instead of passing with zero backends', () => {
    const r = bench(['--suite', 'consistency', '--quick', '--backends', 'contrib-f64']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--backends contrib-f64: unknown backend \(registered: .*reference.*\); a backend from another package loads with --backend-module/);
  });

  it('a bad --backend-module names the specifier and the folder it was resolved from', () => {
    const r = bench(['--suite', 'consistency', '--quick', '--backend-module', './missing-backend.mjs']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`clt-bench: --backend-module ./missing-backend.mjs: no file at ${join(work, 'missing-backend.mjs')} (resolved from ${work})`);
  });
});
