import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, expandSweep, resolveConfig, runId } from './resolve.js';
import { checkSpec, parseGridArg, parseSweepSpec, withOverrides } from './sweep-spec.js';
import { TEST_OPTIONS as O } from './test-options.js';

const idOf = (values: Record<string, unknown>) => runId(resolveConfig(values, O));

describe('run ids', () => {
  it('do not depend on key order, number spelling or output options', () => {
    const a = idOf({ lr: 0.001, hidden: '16', seed: 1, steps: 10 });
    expect(idOf({ steps: 10, seed: 1, hidden: '16', lr: 0.001 })).toBe(a);
    // 1e-3 written three ways, all parsed by the option's own parser.
    const [, lrs] = parseGridArg('lr=1e-3,0.001,0.0010', O);
    for (const lr of lrs) expect(idOf({ lr, hidden: '16', seed: 1, steps: 10 })).toBe(a);
    expect(parseSweepSpec('base: {lr: 1e-3, hidden: "16", steps: 10}\nseeds: [1]', O).base.lr).toBe(0.001);
    expect(idOf({ lr: 0.001, hidden: '16', seed: 1, steps: 10, json: true, name: 'x', out: '/tmp/elsewhere' })).toBe(a);
    // Defaults written out explicitly resolve to the same config.
    expect(idOf({ lr: 0.001, hidden: '16', seed: 1, steps: 10, batch: 64, data: 'mnist', probes: true, skip: false })).toBe(a);
    // epochs is not read when steps is set.
    expect(idOf({ lr: 0.001, hidden: '16', seed: 1, steps: 10, epochs: 3 })).toBe(a);
    expect(a).toMatch(/^[0-9a-f]{12}$/);
  });

  it('differ when anything computed differs', () => {
    const base = { lr: 0.001, hidden: '16', steps: 10 };
    const ids = [idOf({ ...base, seed: 0 }), idOf({ ...base, seed: 1 }), idOf({ ...base, seed: 0, skip: true }), idOf({ ...base, seed: 0, lr: 0.002 }), idOf({ ...base, seed: 0, steps: 11 })];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('hash the canonical JSON stated in the docs', () => {
    expect(canonicalJson({ b: 1, a: 'x', out: 'o', c: undefined })).toBe('{"a":"x","b":1}');
    // Independent recomputation of the documented rule with node:crypto.
    const cfg = resolveConfig({ hidden: '8', steps: 5 }, O);
    expect(runId(cfg)).toBe(createHash('sha256').update(`clt-run/1\n${JSON.stringify(cfg)}`).digest('hex').slice(0, 12));
  });
});

describe('grid expansion', () => {
  it('runs list × grid × seeds, each once', () => {
    const spec = checkSpec({ base: { steps: 10 }, grid: { hidden: ['8', '8,8', '8,8,8'], skip: [false, true] }, seeds: 3 }, O);
    const runs = expandSweep(spec, O);
    expect(runs.length).toBe(3 * 2 * 3);
    expect(new Set(runs.map((r) => r.id)).size).toBe(18);
    expect(runs.map((r) => r.config.seed).slice(0, 3)).toEqual([0, 1, 2]);
    const listed = checkSpec({ list: [{ hidden: '8' }, { hidden: '16', lr: 0.1 }], grid: { batch: [8, 16] }, seeds: [5, 7], base: { steps: 4 } }, O);
    expect(expandSweep(listed, O).length).toBe(2 * 2 * 2);
  });

  it('collapses runs that resolve to the same config', () => {
    // batch 64 is the default: the grid's two values name one config.
    expect(expandSweep(checkSpec({ base: { steps: 3 }, grid: { batch: [64, '64'] } }, O), O).length).toBe(1);
  });

  it('compareAt samples: steps = ceil(samples / batch), so every run sees the same samples', () => {
    const spec = checkSpec({ grid: { batch: [16, 48, 100] }, compareAt: 'samples', samples: 1000 }, O);
    const runs = expandSweep(spec, O);
    expect(runs.map((r) => r.config.steps)).toEqual([63, 21, 10]);
    for (const r of runs) {
      expect(Number(r.config.steps) * Number(r.config.batch)).toBeGreaterThanOrEqual(1000);
      expect((Number(r.config.steps) - 1) * Number(r.config.batch)).toBeLessThan(1000);
      expect(r.config.epochs).toBeUndefined();
    }
  });

  it('--grid and --seeds override the spec', () => {
    const spec = checkSpec({ base: { hidden: '8', steps: 2 }, grid: { lr: [0.1, 0.2] }, seeds: 1 }, O);
    const over = withOverrides(spec, [parseGridArg('hidden=8,8|16', O)], 2);
    expect(over.grid.hidden).toEqual(['8,8', '16']);
    expect(over.base.hidden).toBeUndefined();
    expect(expandSweep(over, O).length).toBe(2 * 2 * 2);
  });
});
