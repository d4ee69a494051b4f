import { describe, expect, it } from 'vitest';
import { initPlatform } from './platforms.js';

describe('initPlatform tensorflow', () => {
  it('remembers a failed native load per loader, so tfjs-node-gpu never reports tfjs-node\'s reason', async () => {
    const a = await initPlatform('tensorflow', { loadNative: async () => 'binding A is missing' });
    const b = await initPlatform('tensorflow', { loadNative: async () => 'binding B is missing' });
    expect(a.available).toBe(false);
    expect(b.available).toBe(false);
    expect(!a.available && a.reason).toContain('binding A');
    expect(!b.available && b.reason).toContain('binding B');
  });
});
