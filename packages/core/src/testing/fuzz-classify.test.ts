import { describe, expect, it } from 'vitest';
import { LossInputError } from '../losses/validate.js';
import { BoundsInputError } from '../bounds/errors.js';
import {
  classifyChildDeath, classifyReturn, classifyThrow, firstNonFinite, formatOffenders, isClearError, runCase, summarize, Tally,
} from './fuzz-classify.js';

describe('fuzz outcome classifier', () => {
  it('clear errors: our error classes and messages that name the argument or say what is expected', () => {
    expect(isClearError(new LossInputError('softmax', 'logit 2 is NaN; logits must be finite'))).toBe(true);
    expect(isClearError(new BoundsInputError('binaryKl', 'q = 2 is outside [0, 1]'))).toBe(true);
    expect(isClearError(new Error('mlp: sizes must be >= 2 positive integers, got [0]'))).toBe(true);
    expect(isClearError(new Error('bad thing happened'), ['sizes'])).toBe(false);
    expect(isClearError(new Error('the sizes are wrong'), ['sizes'])).toBe(true);
    // A deliberate TypeError is clear only when it names the argument.
    expect(isClearError(new TypeError('softmax: eta is null; pass a Float64Array'), ['eta'])).toBe(true);
  });

  it('unclear errors: engine-internal messages, bare built-ins, non-Errors, empty messages', () => {
    expect(isClearError(new TypeError("Cannot read properties of null (reading 'length')"), ['length'])).toBe(false);
    expect(isClearError(new RangeError('Invalid typed array length: -3'))).toBe(false);
    expect(isClearError(new RangeError('Maximum call stack size exceeded'))).toBe(false);
    expect(isClearError(new RangeError('offset is out of bounds'))).toBe(false);
    expect(isClearError(new TypeError("Cannot create property 'x' on number '1'"))).toBe(false);
    expect(isClearError(new TypeError('x.map is not a function'), ['x'])).toBe(false);
    expect(isClearError('a string')).toBe(false);
    expect(isClearError(new Error(''))).toBe(false);
    expect(classifyThrow(new RangeError('Invalid array length')).outcome).toBe('unclear error');
    expect(classifyThrow(new Error('lr must be a positive number, got NaN')).outcome).toBe('clear error');
  });

  it('returns: oracle pass is correct; NaN, oracle failure or a value for invalid input is silent', () => {
    const finite = (v: number[]) => (v.every(Number.isFinite) ? undefined : 'not finite');
    expect(classifyReturn([1, 2], 'value', finite).outcome).toBe('correct');
    expect(classifyReturn([1, NaN], 'value', finite)).toEqual({ outcome: 'silent NaN', detail: 'not finite' });
    expect(classifyReturn([1, 2], 'either', () => 'loss −1.3 < 0').outcome).toBe('silent NaN');
    expect(classifyReturn([1, 2], 'error', finite).outcome).toBe('silent NaN');
    expect(classifyReturn(1, 'value', () => { throw new Error('oracle broke'); }).detail).toMatch(/oracle could not read/);
  });

  it('child deaths: timeout is a hang, anything else a crash', () => {
    expect(classifyChildDeath({ timedOut: true, signal: 'SIGKILL', code: null }).outcome).toBe('hang');
    expect(classifyChildDeath({ timedOut: false, signal: 'SIGFPE', code: null })).toEqual({ outcome: 'crash', detail: 'child died by SIGFPE' });
    expect(classifyChildDeath({ timedOut: false, signal: null, code: 136 }).outcome).toBe('crash');
  });

  it('finds the first non-finite number and summarizes arguments', () => {
    expect(firstNonFinite({ a: 1, b: Float64Array.of(0, Infinity) })).toBe('Infinity at .b[1]');
    expect(firstNonFinite([[1], [2]])).toBeUndefined();
    expect(summarize({ eta: new Float64Array(10), y: null, s: 'x' })).toBe('{eta: Float64[0,0,0,0,0,0,…(10)], y: null, s: "x"}');
  });

  it('runCase counts outcomes, times out async hangs, and lists offenders grouped', async () => {
    const t = new Tally('unit');
    await runCase(t, { area: 'a', fn: 'ok', args: [1], expect: 'value', run: () => 1 });
    await runCase(t, { area: 'a', fn: 'nan', args: [1], expect: 'value', run: () => NaN });
    await runCase(t, { area: 'a', fn: 'nan', args: [2], expect: 'value', run: () => NaN });
    await runCase(t, { area: 'a', fn: 'hang', args: [], expect: 'value', run: () => new Promise(() => {}), timeoutMs: 20 });
    await runCase(t, { area: 'a', fn: 'raw', args: [], expect: 'value', run: () => { throw new RangeError('Invalid typed array length: -1'); } });
    expect(t.counts).toEqual({ correct: 1, 'clear error': 0, 'unclear error': 1, 'silent NaN': 2, crash: 0, hang: 1 });
    expect(t.line()).toBe('fuzz unit: 5 cases — correct 1, clear error 0, unclear error 1, silent NaN 2, crash 0, hang 1');
    const report = formatOffenders(t.bad());
    expect(report).toMatch(/^4 bad outcome\(s\) in 3 kind\(s\)/);
    expect(report).toContain('a nan ×2');
  });
});
