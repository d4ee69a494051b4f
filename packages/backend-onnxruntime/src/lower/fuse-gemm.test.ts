import { describe, expect, it } from 'vitest';
import { interpret, Rng, spec, trace } from '@clt/core';
import { createOnnxRuntimeBackend } from '../index.js';

describe('Gemm fusion', () => {
  it('an add of two matmul products (as in NTK-vector products) is fused once, not overwritten', async () => {
    const specs = { a: spec([2, 3], 'f64'), b: spec([3, 2], 'f64'), c: spec([2, 4], 'f64'), d: spec([4, 2], 'f64') };
    const graphs = [
      trace(specs, ({ a, b, c, d }) => ({ y: a.matmul(b).add(c.matmul(d)) })),
      trace(specs, ({ a, b, c, d }) => ({ y: a.matmul(b).add(c.matmul(d).mul(3)) })),
      trace(specs, ({ a, b, c, d }) => ({ y: a.matmul(b).sub(d.T.matmul(c.T).T.mul(2)) })),
    ];
    const rng = new Rng(1);
    const inputs = { a: rng.normals(6), b: rng.normals(6), c: rng.normals(8), d: rng.normals(8) };
    const backend = createOnnxRuntimeBackend({ executionProviders: ['cpu'] });
    for (const g of graphs) {
      const ref = interpret(g, inputs).y!;
      const out = await (await backend.compile(g)).run({
        a: { data: inputs.a, shape: [2, 3], dtype: 'f64' }, b: { data: inputs.b, shape: [3, 2], dtype: 'f64' },
        c: { data: inputs.c, shape: [2, 4], dtype: 'f64' }, d: { data: inputs.d, shape: [4, 2], dtype: 'f64' },
      });
      const got = await out.y!.download();
      Array.from(ref).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 12));
    }
  });
});
