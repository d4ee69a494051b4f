import { describe, expect, it } from 'vitest';
import { firstNonFiniteIndex } from './finite.js';

describe('firstNonFiniteIndex', () => {
  it('is −1 for finite arrays of every kind, including empty ones and extreme finite values', () => {
    expect(firstNonFiniteIndex(new Float64Array(0))).toBe(-1);
    expect(firstNonFiniteIndex(Float64Array.of(0, -0, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE))).toBe(-1);
    expect(firstNonFiniteIndex(Float32Array.of(1, 3.4e38, -3.4e38))).toBe(-1);
    expect(firstNonFiniteIndex(Int32Array.of(1, -2, 2147483647))).toBe(-1);
    expect(firstNonFiniteIndex([1, 2, 3])).toBe(-1);
  });

  it.each([Float64Array, Float32Array])('finds the first NaN, +∞ or −∞ wherever it is (%s)', (Ctor) => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      for (const at of [0, 5, 1022, 1023]) {
        const a = new Ctor(1024).fill(0.5);
        a[at] = bad;
        if (at < 1023) a[1023] = bad; // a later one does not hide the first
        expect(firstNonFiniteIndex(a)).toBe(at);
      }
    }
  });

  it('works on plain arrays and on typed-array views into a larger buffer', () => {
    expect(firstNonFiniteIndex([1, Number.NaN, Number.POSITIVE_INFINITY])).toBe(1);
    const whole = Float64Array.of(Number.NaN, 1, 2, Number.NEGATIVE_INFINITY, 4);
    expect(firstNonFiniteIndex(whole.subarray(1, 3))).toBe(-1);
    expect(firstNonFiniteIndex(whole.subarray(1))).toBe(2);
  });
});

describe('firstNonFiniteIndex on a range', () => {
  it('looks only at a[from, to) and returns an index into a', () => {
    const a = Float32Array.of(Number.NaN, 1, 2, 3, 4, 5, Number.POSITIVE_INFINITY, 7, 8);
    expect(firstNonFiniteIndex(a, 1, 6)).toBe(-1);
    expect(firstNonFiniteIndex(a, 1, 7)).toBe(6);
    expect(firstNonFiniteIndex(a, 0, 1)).toBe(0);
    expect(firstNonFiniteIndex(a, 7)).toBe(-1);
    expect(firstNonFiniteIndex(a, 3, 3)).toBe(-1);
  });
});
