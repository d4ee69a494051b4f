import { describe, expect, it } from 'vitest';
import { checkSpec, parseGridArg, parseSweepSpec } from './sweep-spec.js';
import { TEST_OPTIONS as O } from './test-options.js';

describe('sweep spec validation', () => {
  it('names the file, line and key of an unknown option', () => {
    const text = 'name: depth\nbase:\n  steps: 10\ngrid:\n  hiden: ["8", "8,8"]\n';
    expect(() => parseSweepSpec(text, O, 'depth.yaml')).toThrow(/^depth\.yaml line 5 \(grid\.hiden\): "hiden" is not a train option; known: .*hidden/);
  });

  it('reports a bad value with the option parser\'s own message and the line', () => {
    expect(() => parseSweepSpec('base:\n  lr: -1\n', O, 's.yaml')).toThrow('s.yaml line 2 (base.lr): --lr must be a valid number, got "-1"');
    expect(() => parseSweepSpec('grid:\n  skip: [yes-please]\n', O, 's.yaml')).toThrow(/s\.yaml line 2 \(grid\.skip\.0\): --skip takes true or false/);
  });

  it('reads JSON as well, and reports syntax errors with a line', () => {
    expect(parseSweepSpec('{"grid": {"lr": [0.1, 0.2]}, "seeds": 2}', O, 's.json').grid.lr).toEqual([0.1, 0.2]);
    expect(() => parseSweepSpec('{"grid": {"lr": [0.1, 0.2]},\n "seeds": }', O, 's.json')).toThrow(/^s\.json( line 2)?: not valid JSON: Unexpected token/);
  });

  it('refuses output options, seed, unknown top-level keys and malformed parts', () => {
    expect(() => checkSpec({ base: { out: 'x' } }, O)).toThrow(/"out" is set by the sweep itself/);
    expect(() => checkSpec({ base: { seed: 3 } }, O)).toThrow(/set seeds with the top-level seeds: key/);
    expect(() => checkSpec({ grids: {} }, O)).toThrow(/unknown key "grids"; a sweep spec has name, base, grid/);
    expect(() => checkSpec({ grid: { lr: [] } }, O)).toThrow(/grid values of --lr must be a non-empty list/);
    expect(() => checkSpec({ grid: { lr: 0.1 } }, O)).toThrow(/non-empty list/);
    expect(() => checkSpec({ seeds: 0 }, O)).toThrow(/seeds must be a count >= 1/);
    expect(() => checkSpec({ seeds: [1, 1] }, O)).toThrow(/repeated seed/);
    expect(() => checkSpec({ grid: { lr: [0.1] }, list: [{ lr: 0.2 }] }, O)).toThrow(/lr is both in the grid and in list entry 1/);
  });

  it('checks compareAt and samples together', () => {
    expect(() => checkSpec({ compareAt: 'samples' }, O)).toThrow(/needs samples: N/);
    expect(() => checkSpec({ compareAt: 'samples', samples: 100, base: { steps: 3 } }, O)).toThrow(/remove steps/);
    expect(() => checkSpec({ compareAt: 'steps' }, O)).toThrow(/needs steps in base, grid or list/);
    expect(() => checkSpec({ compareAt: 'epochs' }, O)).toThrow(/compareAt must be samples or steps/);
    expect(() => checkSpec({ samples: 10 }, O)).toThrow(/only with compareAt: samples/);
  });

  it('--grid accepts flags and keys, and | for values with commas', () => {
    expect(parseGridArg('weight-decay=0,1e-4', O)).toEqual(['weightDecay', [0, 0.0001]]);
    expect(parseGridArg('hidden=16,16|32', O)).toEqual(['hidden', ['16,16', '32']]);
    expect(() => parseGridArg('lr', O)).toThrow(/write key=v1,v2/);
    expect(() => parseGridArg('lr=0.1,,0.2', O)).toThrow(/an empty value/);
  });
});
