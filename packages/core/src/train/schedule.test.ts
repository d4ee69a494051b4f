import { describe, expect, it } from 'vitest';
import { pearson, slidingPearson } from './correlation.js';
import { learningRate, parseSchedule } from './schedule.js';

describe('schedules', () => {
  it('follow their closed forms', () => {
    const c = parseSchedule('cosine:warmup=10,min=0.01', 0.1);
    expect(learningRate(c, 0, 110)).toBeCloseTo(0.01, 15); // (0 + 1)/10 of the way up
    expect(learningRate(c, 9, 110)).toBeCloseTo(0.1, 15);
    expect(learningRate(c, 60, 110)).toBeCloseTo(0.01 + 0.5 * 0.09 * (1 + Math.cos(Math.PI / 2)), 15);
    expect(learningRate(c, 110, 110)).toBeCloseTo(0.01, 15);
    const s = parseSchedule('step:every=5,gamma=0.5', 1);
    expect([0, 4, 5, 12].map((k) => learningRate(s, k, 100))).toEqual([1, 1, 0.5, 0.25]);
    expect(learningRate(parseSchedule('constant', 0.3), 99, 100)).toBe(0.3);
  });
  it('reject bad specs with what to write instead', () => {
    expect(() => parseSchedule('linear', 0.1)).toThrow(/unknown kind "linear"/);
    expect(() => parseSchedule('step:every=x', 0.1)).toThrow(/key=number/);
    expect(() => parseSchedule('constant', -1)).toThrow(/positive/);
  });
});

describe('pearson', () => {
  it('is ±1 on affine relations, undefined on constants, skips non-finite pairs', () => {
    const a = [1, 2, 3, 4, 5];
    expect(pearson(a, a.map((v) => 3 * v - 2))).toBeCloseTo(1, 14);
    expect(pearson(a, a.map((v) => -v))).toBeCloseTo(-1, 14);
    expect(pearson(a, [2, 2, 2, 2, 2])).toBeUndefined();
    expect(pearson([1, 2, 3, Infinity, 4], [2, 4, 6, 1, 8])).toBeCloseTo(1, 14);
  });
  it('matches the textbook formula on random data, and windows agree with global r on each window', () => {
    const a = [0.3, 1.7, 2.2, 0.9, 4.1, 3.3, 2.8], b = [1.1, 0.4, 2.9, 1.0, 3.6, 2.2, 3.9];
    const ma = a.reduce((x, y) => x + y) / a.length, mb = b.reduce((x, y) => x + y) / b.length;
    const num = a.reduce((s, v, i) => s + (v - ma) * (b[i]! - mb), 0);
    const den = Math.sqrt(a.reduce((s, v) => s + (v - ma) ** 2, 0) * b.reduce((s, v) => s + (v - mb) ** 2, 0));
    expect(pearson(a, b)).toBeCloseTo(num / den, 14);
    const w = slidingPearson(a, b, 4);
    expect(w.length).toBe(4);
    expect(w[1]).toBeCloseTo(pearson(a.slice(1, 5), b.slice(1, 5))!, 14);
  });
});
