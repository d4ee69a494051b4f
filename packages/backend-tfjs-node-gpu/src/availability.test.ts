import { describe, expect, it } from 'vitest';

/**
 * Where @tensorflow/tfjs-node-gpu's native binding is missing (these CI machines), availability is
 * a sentence with the CUDA/cuDNN requirements and the command that fixes it; where it loads, the
 * backend must really be on a GPU and compute. Exactly one branch runs and says which.
 */
describe('@clt/backend-tfjs-node-gpu', () => {
  it('importing the package and its register entry loads no native code and does not throw; opt-in priority', async () => {
    const mod = await import('./index.js');
    await import('./register.js');
    const { registeredBackends } = await import('@clt/core');
    expect(typeof mod.createTfjsNodeGpuBackend).toBe('function');
    expect(registeredBackends().find((e) => e.name === 'tfjs-node-gpu')?.priority).toBeLessThan(0);
  });

  it('availability() is either a working CUDA backend or a clear, actionable reason', async () => {
    const { tfjsNodeGpuAvailability, createTfjsNodeGpuBackend } = await import('./index.js');
    const a = await tfjsNodeGpuAvailability();
    console.log(`tfjs-node-gpu availability here: ${JSON.stringify(a)}`);
    if (a.available) {
      const { spec, trace } = await import('@clt/core');
      const exe = await createTfjsNodeGpuBackend().compile(trace({ x: spec([2], 'f32') }, ({ x }) => ({ y: x.mul(x).add(1) })));
      const r = await exe.run({ x: { data: Float32Array.of(2, -3), shape: [2], dtype: 'f32' } });
      expect(await r.y!.download()).toEqual(Float32Array.of(5, 10));
      expect(exe.device).toBe('cuda');
      return;
    }
    expect(a.reason).toMatch(/@tensorflow\/tfjs-node-gpu/);
    expect(a.reason).toMatch(/CUDA 11\.2 and cuDNN 8\.1/);
    expect(a.reason).toMatch(/pnpm (rebuild|add) @tensorflow\/tfjs-node-gpu|Install CUDA 11\.2|no prebuilt/);
    expect(a.reason).not.toContain(process.cwd());
  });

  it('gpuAddonProblem() tells, without loading anything, whether the addon file is there (what `clt backends` shows next to a loaded tfjs-node)', async () => {
    const { gpuAddonProblem } = await import('./index.js');
    const { createRequire } = await import('node:module');
    const { existsSync } = await import('node:fs');
    const { dirname, join } = await import('node:path');
    let dir: string | undefined;
    try { dir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-node-gpu/package.json')); } catch { /* not installed */ }
    const m = gpuAddonProblem();
    if (!dir) expect(m).toMatch(/@tensorflow\/tfjs-node-gpu is not installed/);
    else if (existsSync(join(dir, 'lib/napi-v8/tfjs_binding.node'))) expect(m).toBeNull();
    else {
      expect(m).toMatch(/^@tensorflow\/tfjs-node-gpu is installed but its native addon is missing \(lib\/napi-v8\/tfjs_binding\.node inside the package\)/);
      expect(m).toMatch(/CUDA 11\.2 and cuDNN 8\.1/);
      expect(m).not.toContain(dir);
    }
  });

  it('a TensorFlow that fell back to the CPU is refused, naming the CUDA libraries it looked for', async () => {
    const { requireGpuDevice } = await import('./index.js');
    expect(requireGpuDevice({ isUsingGpuDevice: true })).toBeNull();
    expect(requireGpuDevice(undefined)).toBeNull();
    const m = requireGpuDevice({ isUsingGpuDevice: false })!;
    expect(m).toMatch(/found no usable CUDA GPU/);
    expect(m).toMatch(/libcudart\.so\.11\.0 (found|missing)/);
    expect(m).toMatch(/tfjs-node for TensorFlow on the CPU/);
  });
});
