import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { explainLoadFailure, loadNativeTensorflow, TfjsBackend } from '@clt/backend-tfjs';
import { describe, expect, it } from 'vitest';
import { OFFLINE_SETUP, TFJS_NODE, tfjsNodeAvailability, withOfflineSetup } from './index.js';

const script = fileURLToPath(new URL('../../../scripts/setup-tfjs-node.mjs', import.meta.url));
const runSetup = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });

describe('offline setup advice', () => {
  it('a missing addon or libtensorflow gets the `pnpm setup:tfjs-node` advice; other failures do not', () => {
    const missing = explainLoadFailure(TFJS_NODE, new Error('The Node.js native addon module (tfjs_binding.node) can not be found at path: x/lib/napi-v8/tfjs_binding.node'));
    expect(withOfflineSetup(missing)).toBe(`${missing} ${OFFLINE_SETUP}`);
    expect(OFFLINE_SETUP).toContain('`pnpm setup:tfjs-node`');
    const lib = explainLoadFailure(TFJS_NODE, new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory'));
    expect(withOfflineSetup(lib)).toContain(OFFLINE_SETUP);
    const notInstalled = explainLoadFailure(TFJS_NODE, Object.assign(new Error("Cannot find package '@tensorflow/tfjs-node'"), { code: 'ERR_MODULE_NOT_FOUND' }));
    expect(withOfflineSetup(notInstalled)).toBe(notInstalled);
    expect(withOfflineSetup(null)).toBeNull();
  });
});

describe('scripts/setup-tfjs-node.mjs', () => {
  const hasPip = ['python3', 'python'].some((py) => spawnSync(py, ['-m', 'pip', '--version']).status === 0);
  const linux = process.platform === 'linux' && process.arch === 'x64';
  it.runIf(linux && hasPip)(`when pip cannot provide the wheel, it fails before touching anything and says what to install${linux && hasPip ? '' : ' (skipped: needs Linux x64 with python3 and pip)'}`, () => {
    const cache = mkdtempSync(join(tmpdir(), 'clt-tfn-'));
    const pkg = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-node/package.json'));
    const before = ['deps', 'lib'].map((d) => existsSync(join(pkg, d)) ? readdirSync(join(pkg, d)).sort().join() : null);
    try {
      // pip with no configuration (os.devnull) and no index: it can find nothing.
      const r = runSetup(['--force'], { CLT_TFJS_NODE_CACHE: cache, PIP_CONFIG_FILE: '/dev/null', PIP_NO_INDEX: '1' });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^setup:tfjs-node FAILED: pip could not provide the TensorFlow CPU wheel \(tensorflow-cpu==2\.21\.\*/m);
      expect(r.stderr).toMatch(/find-links/);
      expect(r.stderr).toMatch(/--wheel <file>/);
      expect(r.stderr).toContain('pnpm rebuild @tensorflow/tfjs-node');
      // A working build stays: nothing was removed before the wheel was in hand.
      expect(['deps', 'lib'].map((d) => existsSync(join(pkg, d)) ? readdirSync(join(pkg, d)).sort().join() : null)).toEqual(before);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});

// The real binding, where it is built (after `pnpm setup:tfjs-node`, or tfjs-node's own install).
const a = await tfjsNodeAvailability();
describe.runIf(a.available)(`with the native binding built${a.available ? '' : ' (skipped: tfjs-node unavailable here)'}`, () => {
  it('a second native loader in the same process is refused, not handed tfjs-node\'s TensorFlow', async () => {
    // What `clt backends` does: tfjs-node loaded, then tfjs-node-gpu asked. Its loader must be
    // consulted (and refuse), not reported available on the CPU build that tfjs-node registered.
    const gpuLoad = () => loadNativeTensorflow({ variant: 'gpu', packageName: '@tensorflow/tfjs-node-gpu', load: async () => { throw new Error('must not be imported'); } });
    const gpu = new TfjsBackend({ name: 'tfjs-node-gpu', device: 'cuda', platform: 'tensorflow', loadNative: gpuLoad });
    const g = await gpu.availability();
    expect(g.available).toBe(false);
    expect(g.available ? '' : g.reason).toMatch(/@tensorflow\/tfjs-node is already loaded in this process, and @tensorflow\/tfjs-node-gpu cannot be loaded next to it/);
    expect((await tfjsNodeAvailability()).available).toBe(true);
  });

  it('the setup script, run again, skips the finished steps and re-verifies the binding', () => {
    const r = runSetup([]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/libtensorflow: already in /);
    expect(r.stdout).toMatch(/addon: already built /);
    expect(r.stdout).toMatch(/verified: tf\.getBackend\(\) = tensorflow, TensorFlow 2\.21\.\d+, matMul and grad correct/);
  });
});
