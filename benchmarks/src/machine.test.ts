import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** The environment without NODE_PATH, which package-manager shims set to their whole store (where every package resolves). */
function withoutNodePath(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_PATH;
  return env;
}

describe('describeMachine', () => {
  it("reports the installed versions of the backends' runtimes, which only the backend packages depend on", () => {
    // In a plain Node process on the built module, as `node benchmarks/dist/bin.js` runs it, compared with the version in the backend package's own node_modules.
    const machine = new URL('../dist/machine.js', import.meta.url).href;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import(${JSON.stringify(machine)}).then((m) => process.stdout.write(JSON.stringify(m.describeMachine())))`], { encoding: 'utf8', timeout: 60_000, env: withoutNodePath() });
    expect(r.status, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout) as { cores: number; versions: Record<string, string> };
    const ort = JSON.parse(readFileSync(new URL('../../packages/backend-onnxruntime/node_modules/onnxruntime-node/package.json', import.meta.url), 'utf8')) as { version: string };
    expect(m.versions['onnxruntime-node']).toBe(ort.version);
    expect(m.versions['@tensorflow/tfjs-core']).toMatch(/^\d+\.\d+\.\d+/);
    expect(m.cores).toBeGreaterThan(0);
  });
});
