import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The built CLI as a user runs it: its own process, so native stderr and exit codes are real. */
const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
function clt(...args: string[]): { stdout: string; stderr: string; code: number | null } {
  expect(existsSync(bin), `${bin} is missing: build first (npx tsc -p tsconfig.build.json)`).toBe(true);
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, FORCE_COLOR: '0' } });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status };
}

describe('clt as a process', () => {
  it('backends: native GPU-probe warnings (Vulkan, Dawn, TensorFlow logging) stay off stderr; the WebGPU rows are still reported', () => {
    const r = clt('backends', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/vulkan|Warning:|absl|oneDNN/i);
    const rows = (JSON.parse(r.stdout) as { backends: { name: string; available: boolean; detail: string }[] }).backends;
    const names = rows.map((b) => b.name);
    expect(names).toEqual(expect.arrayContaining(['onnxruntime-cpu', 'onnxruntime-webgpu', 'tfjs-webgpu']));
    expect(rows.find((b) => b.name === 'onnxruntime-cpu')!.available).toBe(true);
    // Probed, not guessed: an unavailable WebGPU backend carries its provider's own reason.
    for (const b of rows.filter((b) => /webgpu/.test(b.name) && !b.available)) expect(b.detail, b.name).toMatch(/adapter|webgpu|dawn/i);
    expect(rows.map((b) => b.detail).join('\n')).not.toContain('child process failed');
  });

  it('option errors from the parser and errors from commands both start with "clt: " and exit 1', () => {
    const unknown = clt('train', '--bogus');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^clt: unknown option '--bogus'/);
    const choice = clt('train', '--activation', 'sine');
    expect(choice.code).toBe(1);
    expect(choice.stderr).toMatch(/^clt: option '--activation <fn>' argument 'sine' is invalid/);
    const command = clt('nosuchcommand');
    expect(command.code).toBe(1);
    expect(command.stderr).toMatch(/^clt: unknown command 'nosuchcommand'/);
    const action = clt('report', '/nonexistent/clt-run');
    expect(action.code).toBe(1);
    expect(action.stderr).toMatch(/^clt: /);
    for (const r of [unknown, choice, command, action]) expect(r.stderr).not.toMatch(/^error:/m);
  });

  it('--version prints the version in @clt/cli package.json', () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = clt('--version');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });
});
