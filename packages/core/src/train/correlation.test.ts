import { describe, expect, it } from 'vitest';
import { boundLossCorrelations, correlationSummary, correlationWindow, pearson, type CorrelationProbe } from '../index.js';

/** Textbook two-pass Pearson r in float64, written independently of correlation.ts. */
function refR(x: number[], y: number[]): number {
  const n = x.length, mx = x.reduce((a, b) => a + b) / n, my = y.reduce((a, b) => a + b) / n;
  const sxy = x.reduce((s, xi, i) => s + (xi - mx) * (y[i]! - my), 0);
  const sxx = x.reduce((s, xi) => s + (xi - mx) ** 2, 0), syy = y.reduce((s, yi) => s + (yi - my) ** 2, 0);
  return sxy / Math.sqrt(sxx * syy);
}

function probes(n: number): CorrelationProbe[] {
  return Array.from({ length: n }, (_, k) => {
    const risk = 2 * Math.exp(-k / 8) + 0.01, wiggle = 1 + 0.3 * Math.sin(k * 1.7);
    return {
      step: 10 * k, risk, riskLower: risk * 0.5 * wiggle, riskUpper: risk * (3 + Math.cos(k)), riskUpperPminFree: k % 7 === 3 ? Infinity : risk * 2,
      energy: risk ** 1.5 * wiggle, lambdaMinStar: 0.1 + 0.01 * k, lambdaMaxStar: 5 + Math.sin(k), indicator: Math.log2(risk) + Math.cos(k / 3), batchGradSq: risk ** 2 * (1 + 0.5 * Math.cos(k)),
    };
  });
}

describe('bound–loss correlations', () => {
  it('the window is a quarter of the probes, clamped to [5, 50], and stated in the summary', () => {
    expect([4, 20, 40, 67, 200, 400].map(correlationWindow)).toEqual([5, 5, 10, 16, 50, 50]);
    expect(correlationSummary(probes(67)).window).toBe(16);
    expect(correlationSummary(probes(67), { window: 9 }).window).toBe(9);
  });

  it('global and sliding r match an independent recomputation, with non-finite pairs dropped', () => {
    const ps = probes(40), loss = ps.map((p) => Math.log2(p.risk));
    const all = boundLossCorrelations(ps);
    const lower = all.find((c) => c.key === 'lowerBound')!;
    expect(lower.r).toBeCloseTo(refR(ps.map((p) => Math.log2(p.riskLower)), loss), 12);
    const u = all.find((c) => c.key === 'precursorU')!;
    expect(u.r).toBeCloseTo(refR(ps.map((p) => Math.log2(p.energy / p.lambdaMinStar)), loss), 12);
    const free = all.find((c) => c.key === 'upperBoundPminFree')!, keep = ps.map((p, i) => [p, i] as const).filter(([p]) => Number.isFinite(p.riskUpperPminFree));
    expect(free.r).toBeCloseTo(refR(keep.map(([p]) => Math.log2(p.riskUpperPminFree)), keep.map(([, i]) => loss[i]!)), 12);
    const e = all.find((c) => c.key === 'energy')!, w = 10;
    expect(e.window).toBe(w);
    const sl = Array.from({ length: ps.length - w + 1 }, (_, i) => refR(ps.slice(i, i + w).map((p) => Math.log2(p.energy)), loss.slice(i, i + w)));
    expect(e.sliding.map((s) => s.step)).toEqual(ps.slice(w - 1).map((p) => p.step));
    e.sliding.forEach((s, i) => expect(s.r).toBeCloseTo(sl[i]!, 12));
    expect(e.slidingMin).toBeCloseTo(Math.min(...sl), 12);
    const sorted = [...sl].sort((a, b) => a - b), m = sorted.length / 2; // 31 windows: odd, the middle one
    expect(sorted.length % 2).toBe(1);
    expect(e.slidingMedian).toBeCloseTo(sorted[Math.floor(m)]!, 12);
    expect(all.map((c) => c.key)).toEqual(['lowerBound', 'upperBound', 'upperBoundPminFree', 'precursorU', 'precursorL', 'indicator', 'energy', 'meanGradSq']);
    expect(all.filter((c) => c.kind === 'baseline').map((c) => c.key)).toEqual(['energy', 'meanGradSq']);
  });

  it('a run too short for a window has a global r but no sliding figures; fewer than 3 probes has none', () => {
    const s = correlationSummary(probes(4));
    expect(s.series.lowerBound!.r).not.toBeNull();
    expect(s.series.lowerBound!.slidingMin).toBeNull();
    expect(s.series.lowerBound!.windows).toBe(0);
    expect(correlationSummary(probes(2)).series.indicator!.r).toBeNull();
    expect(pearson([1, 2, 3], [2, 2, 2])).toBeUndefined();
  });
});
