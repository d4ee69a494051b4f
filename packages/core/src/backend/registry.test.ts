import { describe, expect, it } from 'vitest';
import { registerBackend, registeredBackends, resolveBackend } from './registry.js';
import type { Availability, Backend } from './contract.js';
import { ReferenceBackend } from '../reference/backend.js';

/** A reference backend under another name, whose availability the test controls. */
function fake(name: string, availability: Availability): Backend {
  const b = new ReferenceBackend();
  return Object.assign(Object.create(Object.getPrototypeOf(b)), b, { name, availability: async () => availability });
}

/** Each test uses its own names: the registry is module state shared by the tests of this file. */
describe('backend registry', () => {
  it('resolves by priority when no name is given, skipping unavailable and opt-in backends', async () => {
    registerBackend('p-low', () => fake('p-low', { available: true }), { priority: 1 });
    registerBackend('p-high-broken', () => fake('p-high-broken', { available: false, reason: 'no GPU here' }), { priority: 10 });
    registerBackend('p-mid', () => fake('p-mid', { available: true }), { priority: 5 });
    registerBackend('p-optin', () => fake('p-optin', { available: true }), { priority: -100 });
    expect(registeredBackends().map((e) => e.name).slice(0, 3)).toEqual(['p-high-broken', 'p-mid', 'p-low']);
    expect((await resolveBackend()).name).toBe('p-mid');
    expect((await resolveBackend('p-optin')).name).toBe('p-optin'); // opt-in: only by name
  });

  it('follows the order of the names given, first usable wins', async () => {
    registerBackend('o-a', () => fake('o-a', { available: false, reason: 'a is missing' }));
    registerBackend('o-b', () => fake('o-b', { available: true }));
    registerBackend('o-c', () => fake('o-c', { available: true }));
    expect((await resolveBackend(['o-a', 'o-c', 'o-b'])).name).toBe('o-c');
    expect((await resolveBackend(['o-b', 'o-c'])).name).toBe('o-b');
  });

  it('caches instances and failures: each factory runs once', async () => {
    let good = 0, bad = 0;
    registerBackend('c-good', () => { good++; return fake('c-good', { available: true }); });
    registerBackend('c-bad', () => { bad++; throw new Error('native binding failed to load'); });
    const first = await resolveBackend('c-good');
    expect(await resolveBackend('c-good')).toBe(first);
    await expect(resolveBackend('c-bad')).rejects.toThrow(/native binding failed to load/);
    await expect(resolveBackend('c-bad')).rejects.toThrow(/native binding failed to load/);
    expect([good, bad]).toEqual([1, 1]);
    // Re-registering clears the cached failure.
    registerBackend('c-bad', () => { bad++; return fake('c-bad', { available: true }); });
    expect((await resolveBackend('c-bad')).name).toBe('c-bad');
    expect(bad).toBe(2);
  });

  it('an availability() that throws is a cached failure too', async () => {
    let made = 0;
    registerBackend('c-throws', () => { made++; return Object.assign(fake('c-throws', { available: true }), { availability: async () => { throw new Error('driver query crashed'); } }); });
    await expect(resolveBackend('c-throws')).rejects.toThrow(/driver query crashed/);
    await expect(resolveBackend('c-throws')).rejects.toThrow(/driver query crashed/);
    expect(made).toBe(1);
  });

  it('when nothing works, one error lists every reason, unknown names included', async () => {
    registerBackend('e-1', () => fake('e-1', { available: false, reason: 'WebGPU adapter not found' }));
    registerBackend('e-2', async () => { throw new Error('onnxruntime-node not installed'); });
    const err = await resolveBackend(['e-1', 'e-2', 'e-nope']).then(() => undefined, (e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const msg = err!.message;
    expect(msg).toMatch(/^no usable backend:/);
    expect(msg).toContain('[e-1] WebGPU adapter not found');
    expect(msg).toContain('[e-2] onnxruntime-node not installed');
    expect(msg).toMatch(/\[e-nope\] unknown backend \(registered: .*e-1.*\)/);
    expect(msg.split('\n')).toHaveLength(4);
  });

  it('the float64 reference backend is registered opt-in: never the default, resolvable by name', async () => {
    const ref = registeredBackends().find((e) => e.name === 'reference');
    expect(ref?.priority).toBeLessThan(0);
    const b = await resolveBackend('reference');
    expect(b.name).toBe('reference');
    expect(b.dtypes).toContain('f64');
    registerBackend('d-only', () => fake('d-only', { available: true }), { priority: 0 });
    expect((await resolveBackend()).name).not.toBe('reference');
  });

  it('a second copy of core (another node_modules) shares this registry, so a plug-in registers where the CLI looks', async () => {
    // The query string makes Vite load registry.ts again as a distinct module instance.
    const second = './registry.ts?second-copy';
    const copy = (await import(/* @vite-ignore */ second)) as typeof import('./registry.js');
    expect(copy.registerBackend).not.toBe(registerBackend);
    copy.registerBackend('s-from-copy', () => fake('s-from-copy', { available: true }), { priority: -1 });
    expect(registeredBackends().map((e) => e.name)).toContain('s-from-copy');
    expect((await resolveBackend('s-from-copy')).name).toBe('s-from-copy');
  });
});
