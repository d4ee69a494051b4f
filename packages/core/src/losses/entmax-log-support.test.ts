import { describe, expect, it } from 'vitest';
import { gradients } from '../ad/gradients.js';
import { GraphBuilder } from '../ir/builder.js';
import { ReferenceBackend } from '../reference/backend.js';
import { entmaxLoss } from './entmax.js';
import { S_FORM_ABOVE, thresholdParam } from './entmax-bisect.js';

/**
 * Independent oracle for d = 2, written from the defining equations only: ŷ = (p₁, p₂) with
 * p₁^{α−1} − p₂^{α−1} = δ = (α−1)(η₁ − η₂) and p₁ + p₂ = 1, solved for q = ln p₂ by bisection on
 * (α−1)·log1p(−e^q) − logaddexp(ln δ, (α−1)q) (decreasing in q), all in log space so that the
 * 10^(−400000)-sized differences of the large-α regime never have to be formed.
 */
function entmax2(gap: number, alpha: number): { lp1: number; lp2: number } {
  const a1 = alpha - 1, lnDelta = Math.log(a1) + Math.log(gap);
  const lae = (a: number, b: number) => { const m = Math.max(a, b); return m + Math.log1p(Math.exp(Math.min(a, b) - m)); };
  const h = (q: number) => a1 * Math.log1p(-Math.exp(q)) - lae(lnDelta, a1 * q);
  let lo = -746, hi = Math.log(0.5);
  if (h(lo) <= 0) return { lp1: 0, lp2: -Infinity }; // p₂ below the smallest double
  for (let i = 0; i < 300; i++) { const mid = 0.5 * (lo + hi); if (h(mid) > 0) lo = mid; else hi = mid; }
  const q = 0.5 * (lo + hi);
  return { lp1: Math.log1p(-Math.exp(q)), lp2: q };
}

/** L = Σ y^α/(α(α−1)) − Σ ŷ^α/(α(α−1)) + ⟨e, ŷ − y⟩ on e = (0, −gap), from the oracle's logs. */
function loss2(gap: number, alpha: number, y: [number, number]): { value: number; scale: number } {
  const { lp1, lp2 } = entmax2(gap, alpha), c = alpha * (alpha - 1);
  const omY = (Math.pow(y[0], alpha) + Math.pow(y[1], alpha)) / c, omP = (Math.exp(alpha * lp1) + Math.exp(alpha * lp2)) / c;
  const lin = -gap * (Math.exp(lp2) - y[1]);
  return { value: omY - omP + lin, scale: omY + omP + Math.abs(gap) };
}

/**
 * Independent float64 entmax for moderate α: plain bisection on c of ŷ = (a1·e + c)₊^{1/a1}, with c.
 * Only precise where no base a1·e_j + c is within a small fraction of c of 0: a support entry with
 * ŷ_j < 0.25 at α = 30 needs a base below ulp(c), which is exactly what the log form is for.
 */
function plainEntmax(eta: number[], alpha: number): { p: number[]; wellConditioned: boolean } {
  const a1 = alpha - 1, m = Math.max(...eta), e = eta.map((v) => v - m);
  const sum = (c: number) => e.reduce((s, v) => s + Math.pow(Math.max(0, a1 * v + c), 1 / a1), 0);
  let lo = 0, hi = 1;
  for (let i = 0; i < 2000; i++) { const mid = (lo + hi) / 2; if (sum(mid) < 1) lo = mid; else hi = mid; }
  const p = e.map((v) => Math.pow(Math.max(0, a1 * v + hi), 1 / a1)), s = p.reduce((a, b) => a + b, 0);
  return { p: p.map((v) => v / s), wellConditioned: e.every((v) => Math.abs(a1 * v + hi) >= 1e-3 * hi) };
}

describe('α-entmax for very large α on nearly tied logits (issue 17, defect 7: negative FY loss)', () => {
  it('reported case α = 137477: ŷ ≈ [0.99915, 0.00085] and the loss is ≥ 0 (was [1, 0] and −5.29e-11)', () => {
    const L = entmaxLoss(137477), eta = new Float64Array([6.8e-57, 3.6e-293]), y = new Float64Array([1 / 12, 11 / 12]);
    const p = L.host.predict(eta), want = entmax2(6.8e-57 - 3.6e-293, 137477);
    expect(p[1]!).toBeGreaterThan(8e-4);
    expect(Math.abs(p[0]! - Math.exp(want.lp1))).toBeLessThan(1e-13);
    expect(Math.abs(p[1]! - Math.exp(want.lp2)) / Math.exp(want.lp2)).toBeLessThan(1e-10);
    const l = L.host.loss(eta, y), ref = loss2(6.8e-57 - 3.6e-293, 137477, [1 / 12, 11 / 12]);
    expect(l).toBeGreaterThanOrEqual(0);
    expect(Math.abs(l - ref.value)).toBeLessThan(1e-10 * ref.scale);
  });

  const alphas = [61 / Math.LN2 + 1, 1e3, 1.4e5, 1e6];
  const gaps = [1e-300, 1e-200, 1e-100, 1e-57, 1e-30, 1e-10, 1e-5, 1e-3, 1e-2, 0.1, 1];
  it.each(alphas)('α = %d, d = 2: map and loss match the log-space oracle over gaps 1e-300 … 1', (alpha) => {
    expect(thresholdParam(alpha, 2)).toBe('s');
    const L = entmaxLoss(alpha);
    for (const gap of gaps) {
      const eta = new Float64Array([0, -gap]), p = L.host.predict(eta), o = entmax2(gap, alpha);
      const p2 = Math.exp(o.lp2);
      expect(Math.abs(p[0]! - Math.exp(o.lp1)), `gap ${gap}`).toBeLessThan(1e-13);
      expect(Math.abs(p[1]! - p2), `gap ${gap}`).toBeLessThanOrEqual(1e-10 * p2 + 1e-15);
      for (const y of [[1, 0], [0, 1], [0.5, 0.5], [1 / 12, 11 / 12]] as [number, number][]) {
        const l = L.host.loss(eta, Float64Array.from(y)), ref = loss2(gap, alpha, y);
        expect(l, `gap ${gap}, y ${y}`).toBeGreaterThanOrEqual(0);
        expect(Math.abs(l - ref.value), `gap ${gap}, y ${y}`).toBeLessThanOrEqual(1e-10 * ref.scale);
      }
    }
  });

  it('fuzz case α ≈ 1039 with logits ~5.6e-123 and soft targets: loss ≥ 0 and equal to the oracle', () => {
    const alpha = 1039.25, L = entmaxLoss(alpha);
    for (const [a, b] of [[5.6e-123, 0], [0, 5.6e-123], [5.6e-123, 2.8e-123], [-5.6e-123, 5.6e-123]]) {
      const eta = new Float64Array([a!, b!]), gap = Math.abs(a! - b!), hiFirst = a! >= b!;
      for (const y of [[0.3, 0.7], [0.9, 0.1], [0.5, 0.5]] as [number, number][]) {
        const l = L.host.loss(eta, Float64Array.from(y)), ref = loss2(gap, alpha, hiFirst ? y : [y[1], y[0]]);
        expect(l).toBeGreaterThanOrEqual(0);
        expect(Math.abs(l - ref.value)).toBeLessThanOrEqual(1e-10 * ref.scale);
      }
    }
  });

  it('several nearly tied logits: ŷ sums to 1, is ordered like η, and the loss is ≥ 0', () => {
    for (const alpha of [1e3, 1.4e5, 1e6]) {
      const L = entmaxLoss(alpha), eta = new Float64Array([1e-60, 0, 3e-61, -1e-58, 5e-61, -1]);
      const p = L.host.predict(eta);
      expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 14);
      // ŷ is monotone in η (gaps this small may round to equal ŷ); the η = −1.01e-58 entry, δ ≈ 1e-55 below the
      // others, keeps a visible share only at the largest α
      expect(p[0]!).toBeGreaterThanOrEqual(p[4]!); expect(p[4]!).toBeGreaterThanOrEqual(p[2]!); expect(p[2]!).toBeGreaterThanOrEqual(p[1]!);
      expect(p[1]!).toBeGreaterThanOrEqual(p[3]!);
      expect(p[5]).toBe(0);
      for (let i = 0; i < 6; i++) { const y = new Float64Array(6); y[i] = 1; expect(L.host.loss(eta, y)).toBeGreaterThanOrEqual(0); }
      expect(L.host.loss(eta, p)).toBeLessThan(1e-15); // L(η; ŷ(η)) = 0
    }
  });

  it.each([20, 30, 50])('α = %d: the log-space support form agrees with a plain float64 bisection to 1e-12', (alpha) => {
    let seed = 7;
    const rnd = () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };
    let compared = 0;
    for (let trial = 0; trial < 400 && compared < 20; trial++) {
      // d past the 's' switch; logit gaps on the scale of the threshold u ≈ d^{1−α} so that several entries are on the support
      const d = Math.ceil(Math.exp(S_FORM_ABOVE / (alpha - 1))) + 1 + Math.floor(rnd() * 10);
      const scale = (0.2 + 3 * rnd()) * Math.pow(d, 1 - alpha) / (alpha - 1), eta = Array.from({ length: d }, () => -rnd() * scale);
      const q = plainEntmax(eta, alpha);
      if ((alpha - 1) * Math.log(d) <= S_FORM_ABOVE || !q.wellConditioned) continue;
      const p = entmaxLoss(alpha).host.predict(Float64Array.from(eta));
      q.p.forEach((v, j) => expect(Math.abs(p[j]! - v)).toBeLessThan(1e-12));
      if (q.p.filter((v) => v > 0).length > 1) compared++;
    }
    expect(compared).toBe(20); // 20 cases with a support of 2 or more were compared
  });
});

describe("α-entmax IR for very large α (the 's' bisection, float32/float64 graphs)", () => {
  it.each(['f64', 'f32'] as const)('%s: nearly tied logits give a finite loss ≥ 0 and the gradient ŷ − y', async (dt) => {
    const backend = new ReferenceBackend();
    for (const alpha of [1039.25, 137477, 1e6]) {
      const loss = entmaxLoss(alpha), b = new GraphBuilder();
      const eta = b.input('eta', [4, 2], dt), y = b.input('y', [4, 2], dt);
      const l = loss.ir.loss(eta, y), [g] = gradients([l.sum()], [eta], [b.fill(1, [], dt)]);
      const exe = await backend.compile(b.build({ l, g: g! }));
      const A = dt === 'f64' ? Float64Array : Float32Array;
      const E = [6.8e-57, 3.6e-293, 5.6e-123, 0, 0, 1e-30, 1e-3, 0], Y = [1 / 12, 11 / 12, 0.3, 0.7, 0.5, 0.5, 0, 1];
      const r = await exe.run({ eta: { data: A.from(E), shape: [4, 2], dtype: dt }, y: { data: A.from(Y), shape: [4, 2], dtype: dt } });
      const lv = await r.l!.download(), gv = await r.g!.download();
      for (let i = 0; i < 4; i++) {
        expect(Number.isFinite(lv[i]!) && lv[i]! >= 0, `α ${alpha} row ${i}: ${lv[i]}`).toBe(true);
        // gradient rows sum to 0 (ŷ and y both on the simplex) and lie in [−1, 1]
        expect(Math.abs(gv[2 * i]! + gv[2 * i + 1]!)).toBeLessThan(dt === 'f32' ? 1e-6 : 1e-12);
        for (const v of [gv[2 * i]!, gv[2 * i + 1]!]) expect(Math.abs(v)).toBeLessThanOrEqual(1 + 1e-6);
      }
    }
  });
});
