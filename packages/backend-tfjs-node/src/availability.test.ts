import { describe, expect, it } from 'vitest';

/**
 * On machines where @tensorflow/tfjs-node's install script did not run (these CI machines: the
 * workspace denies it), availability must be a sentence a user can act on; where the binding
 * exists, the backend must work. Exactly one of the two branches runs, and says which.
 */
describe('@clt/backend-tfjs-node', () => {
  it('importing the package and its register entry loads no native code and does not throw', async () => {
    const mod = await import('./index.js');
    await import('./register.js');
    const { registeredBackends } = await import('@clt/core');
    expect(typeof mod.createTfjsNodeBackend).toBe('function');
    expect(registeredBackends().find((e) => e.name === 'tfjs-node')?.priority).toBeGreaterThanOrEqual(0);
  });

  it('availability() is either usable or a clear, actionable reason', async () => {
    const { tfjsNodeAvailability, createTfjsNodeBackend } = await import('./index.js');
    const a = await tfjsNodeAvailability();
    console.log(`tfjs-node availability here: ${JSON.stringify(a)}`);
    if (a.available) {
      const { spec, trace } = await import('@clt/core');
      const b = createTfjsNodeBackend();
      const exe = await b.compile(trace({ x: spec([2], 'f32') }, ({ x }) => ({ y: x.mul(x).add(1) })));
      const r = await exe.run({ x: { data: Float32Array.of(2, -3), shape: [2], dtype: 'f32' } });
      expect(await r.y!.download()).toEqual(Float32Array.of(5, 10));
      expect(exe.device).toBe('cpu');
      return;
    }
    expect(a.reason).toMatch(/@tensorflow\/tfjs-node/);
    // What failed, why, and the command that fixes it.
    expect(a.reason).toMatch(/native addon is missing|is not installed|could not be loaded|failed to load|no prebuilt/);
    expect(a.reason).toMatch(/pnpm (rebuild|add) @tensorflow\/tfjs-node/);
    expect(a.reason).not.toContain(process.cwd());
    expect(a.reason).not.toMatch(/CUDA/);
  });
});
