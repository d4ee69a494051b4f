import { describe, expect, it } from 'vitest';
import { gradients } from '../ad/gradients.js';
import { GraphBuilder } from '../ir/builder.js';
import { ReferenceBackend } from '../reference/backend.js';
import { entmaxLoss } from './entmax.js';
import { thresholdParam } from './entmax-bisect.js';

const backend = new ReferenceBackend();

/** Independent float64 entmax: plain bisection on c of ŷ = (a1·e + c)₊^{1/a1}, usable while d^{−a1} is a normal double. */
function plainEntmax(eta: number[], alpha: number): number[] {
  const a1 = alpha - 1, m = Math.max(...eta), e = eta.map((v) => v - m);
  const sum = (c: number) => e.reduce((s, v) => s + Math.pow(Math.max(0, a1 * v + c), 1 / a1), 0);
  let lo = 0, hi = 1;
  for (let i = 0; i < 2000; i++) { const mid = (lo + hi) / 2; if (sum(mid) < 1) lo = mid; else hi = mid; }
  const p = e.map((v) => Math.pow(Math.max(0, a1 * v + hi), 1 / a1)), s = p.reduce((a, b) => a + b, 0);
  return p.map((v) => v / s);
}

describe('α-entmax for large α (issue 17, defect 7: NaN on tied logits)', () => {
  it('tied maxima with the rest far below: ŷ is uniform over the ties and the loss has its closed form', () => {
    // With a1·(max − e_j) ≥ 1 an entry is off the support (c ≤ 1), so ŷ = 1/k on the k ties exactly, and
    // L(η; e_i) = Ω(e_i) − Ω(ŷ) + ⟨η, ŷ − e_i⟩ = (1 − k^{1−α})/(α(α−1)) + max − η_i.
    for (const alpha of [61, 1000, 1e6, 1e12]) {
      const loss = entmaxLoss(alpha);
      for (const eta of [[0, 0, 0], [1, 1, 0], [2, -5, 2, 2, 1], [3, 3]]) {
        const e = Float64Array.from(eta), m = Math.max(...eta), k = eta.filter((v) => v === m).length;
        const p = loss.host.predict(e);
        eta.forEach((v, j) => expect(p[j]).toBeCloseTo(v === m ? 1 / k : 0, 14));
        const i = eta.indexOf(Math.min(...eta)), y = new Float64Array(eta.length); y[i] = 1;
        const want = (1 - Math.pow(k, 1 - alpha)) / (alpha * (alpha - 1)) + m - eta[i]!;
        expect(Math.abs(loss.host.loss(e, y) - want)).toBeLessThan(1e-14 * Math.max(1, Math.abs(want)));
        expect(Number.isFinite(loss.host.conjugate(e))).toBe(true);
      }
    }
  });

  it("the 's' form agrees with an independent plain bisection where both are representable", () => {
    const alpha = 40, eta = [0, -1e-30, -3e-30, -1e-29, -2e-29, -1, -0.5, -1e-28, -1e-31, -2]; // support needs gaps < c/(α−1) ~ 1e-28
    expect(thresholdParam(alpha, eta.length)).toBe('s');
    const p = entmaxLoss(alpha).host.predict(Float64Array.from(eta)), q = plainEntmax(eta, alpha);
    expect(q.filter((v) => v > 0).length).toBeGreaterThan(3); // several entries on the support
    q.forEach((v, j) => expect(Math.abs(p[j]! - v)).toBeLessThan(1e-9));
  });

  it.each(['f64', 'f32'] as const)('IR (%s): map, loss and gradient ŷ − y are finite and match the host', async (dt) => {
    for (const alpha of [1000, 1e6]) {
      const loss = entmaxLoss(alpha), b = new GraphBuilder();
      const eta = b.input('eta', [3, 3], dt), y = b.input('y', [3, 3], dt);
      const l = loss.ir.loss(eta, y);
      const [g] = gradients([l.sum()], [eta], [b.fill(1, [], dt)]);
      const exe = await backend.compile(b.build({ p: loss.ir.predict(eta), l, g: g! }));
      const A = dt === 'f64' ? Float64Array : Float32Array, E = [0, 0, 0, 1, 1, 0, 0.5, 0.4, -1], Y = [1, 0, 0, 0, 0, 1, 0, 1, 0];
      const r = await exe.run({ eta: { data: A.from(E), shape: [3, 3], dtype: dt }, y: { data: A.from(Y), shape: [3, 3], dtype: dt } });
      const p = await r.p!.download(), lv = await r.l!.download(), gv = await r.g!.download();
      for (let i = 0; i < 3; i++) {
        const e = Float64Array.from(E.slice(3 * i, 3 * i + 3)), t = Float64Array.from(Y.slice(3 * i, 3 * i + 3));
        const hp = loss.host.predict(e);
        for (let j = 0; j < 3; j++) {
          expect(p[3 * i + j]).toBeCloseTo(hp[j]!, 6);
          expect(gv[3 * i + j]).toBeCloseTo(hp[j]! - t[j]!, 6);
        }
        expect(Math.abs(lv[i]! - loss.host.loss(e, t))).toBeLessThan(dt === 'f32' ? 1e-6 : 1e-12);
      }
    }
  });
});
