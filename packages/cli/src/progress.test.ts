import { describe, expect, it } from 'vitest';
import { formatDuration, TrainProgress } from './progress.js';

/** A non-terminal stream and a clock the test moves by hand. */
function fake(isTTY = false) {
  const lines: string[] = [];
  let t = 100;
  return { stream: { isTTY, write: (s: string) => { lines.push(s); return true; } }, lines, clock: () => t, advance: (dt: number) => { t += dt; } };
}

describe('clt train progress', () => {
  it('formats durations for people', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(59.4)).toBe('59 s');
    expect(formatDuration(185)).toBe('3 min 05 s');
    expect(formatDuration(3 * 3600 + 7 * 60)).toBe('3 h 07 min');
    expect(formatDuration(Infinity)).toBe('—');
  });

  it('off a terminal: a build message, then a line every tenth of the run with steps/s and ETA measured from the first step', () => {
    const f = fake();
    const p = new TrainProgress(100, f.stream, f.clock, 1e9);
    p.building('onnxruntime-cpu', true);
    expect(f.lines.join('')).toMatch(/building: compiling the training, evaluation and probe graphs on onnxruntime-cpu/);
    f.advance(3); // the build: 3 s, not part of the rate
    p.step(1, 2.3);
    expect(f.lines.join('')).toContain('built in 3 s');
    // 4 steps per second from here on: after step s, (s - 1) / 4 seconds have passed.
    for (let s = 2; s <= 100; s++) { f.advance(0.25); p.step(s, 1); }
    p.stop();
    const stepLines = f.lines.filter((l) => l.startsWith('  step '));
    expect(stepLines.map((l) => Number(/step (\d+)\//.exec(l)![1]))).toEqual([1, 11, 21, 31, 41, 51, 61, 71, 81, 91, 100]);
    // At step 51: 50 steps in 12.5 s = 4 steps/s; 49 steps left = 12.25 s.
    expect(stepLines[5]).toBe('  step 51/100 (51%)  loss 1  4 steps/s  ETA 12 s\n');
    expect(stepLines.at(-1)).toContain('ETA 0 s');
  });

  it('off a terminal, a slow run still prints at least every lineSeconds', () => {
    const f = fake();
    const p = new TrainProgress(1000, f.stream, f.clock, 30);
    p.step(1, 1);
    for (let s = 2; s <= 20; s++) { f.advance(5); p.step(s, 1); } // 100 steps per line would take 500 s
    const steps = f.lines.filter((l) => l.startsWith('  step ')).map((l) => Number(/step (\d+)\//.exec(l)![1]));
    expect(steps).toEqual([1, 7, 13, 19]);
  });

  it('on a terminal: a cli-progress bar showing steps/s and the ETA', () => {
    const f = fake(true);
    const out: string[] = [];
    const stream = Object.assign(f.stream, { columns: 200, cursorTo: () => true, clearLine: () => true, moveCursor: () => true, write: (s: string) => { out.push(s); return true; } });
    const p = new TrainProgress(10, stream, f.clock);
    p.step(1, 2);
    for (let s = 2; s <= 10; s++) { f.advance(0.5); p.step(s, 1); }
    p.stop();
    const text = out.join('');
    expect(text).toContain('step 10/10');
    expect(text).toContain('2 steps/s'); // 9 steps in 4.5 s
    expect(text).toContain('ETA 0 s');
  });
});
