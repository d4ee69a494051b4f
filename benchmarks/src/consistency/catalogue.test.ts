import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '@clt/core';
import { probeWorkloads } from './probe-workloads.js';
import { compareOutputs } from './compare.js';

describe('probe workloads', () => {
  it('the three NTK algorithms give the same matrix on the reference backend', async () => {
    const ref = new ReferenceBackend();
    const ws = probeWorkloads().filter((w) => w.name.startsWith('probe/ntk/'));
    expect(ws.length).toBe(3);
    const outs = await Promise.all(ws.map((w) => w.run(ref)));
    for (const o of outs.slice(1)) expect(compareOutputs(o, outs[0]!, { rtol: 1e-10, atol: 1e-12 }).ok).toBe(true);
  });
});
