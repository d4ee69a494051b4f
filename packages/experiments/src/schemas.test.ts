import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { STEP_CAUSES, StepClock } from '@clt/core';
import { describe, expect, it } from 'vitest';
import { coreRun } from './core-run-fixture.js';
import { SCHEMA_NAMES, schemaPath, type SchemaName } from './schemas.js';

/** Compile a published schema; the tests of @clt/cli use the same files for real summary.json files. */
function validator(name: SchemaName): (v: unknown) => string[] {
  const ajv = new Ajv.default({ allErrors: true, strict: true, strictTypes: false, allowUnionTypes: true });
  const check = ajv.compile(JSON.parse(readFileSync(schemaPath(name), 'utf8')) as object);
  return (v) => (check(v) ? [] : (check.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`));
}

describe('published JSON Schemas', () => {
  it('are valid draft-07 schemas that compile in strict mode', () => {
    for (const n of SCHEMA_NAMES) expect(() => validator(n)).not.toThrow();
  });

  it('accept every record of a real metrics.jsonl, and reject malformed ones', async () => {
    const { records } = await coreRun();
    const check = validator('metrics-record');
    const types = new Set(records.map((r) => r.type));
    expect([...types].sort()).toEqual(['end', 'eval', 'probe', 'start', 'step']);
    for (const r of records) expect(check(r), JSON.stringify(r).slice(0, 200)).toEqual([]);
    const probe = records.find((r) => r.type === 'probe')!;
    expect(check({ ...probe, lambdaMinStar: 'big' })).not.toEqual([]);
    expect(check({ ...probe, holds: undefined })).not.toEqual([]);
    expect(check({ type: 'step', step: 1 })).not.toEqual([]);
  });

  it('accept the summary.json of a diverged run and the shape of a completed one', async () => {
    const { dir, error } = await coreRun({ schedule: { kind: 'constant', lr: 20 }, monitor: false, steps: 8 });
    expect(error?.message).toMatch(/diverged/);
    const check = validator('summary');
    const diverged = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(check(diverged)).toEqual([]);
    const completed = {
      status: 'completed', run: 'a', runDir: '/r/a', backend: 'reference', data: { source: 'synthetic:gaussian' }, model: { kind: 'mlp', sizes: [6, 8, 3] },
      parameters: 83, steps: 12, resumedFrom: null, seconds: 0.1, trainLoss: 0.2, trainAccuracy: 0.9, testLoss: null, testAccuracy: null, dataFloor: 0,
      sandwich: { probes: 3, held: 3, firstViolationStep: null }, options: {},
    };
    expect(check(completed)).toEqual([]);
    expect(check({ ...completed, status: 'done' })).not.toEqual([]);
    expect(check({ ...completed, trainLoss: undefined })).toEqual(expect.arrayContaining([expect.stringMatching(/must have required property 'trainLoss'/)]));
    expect(check({ ...completed, trainAccuracy: 1.5 })).not.toEqual([]);
    // The step-time summary core's trainer returns (clt train copies it into summary.json).
    const clock = new StepClock(0, 6);
    for (let s = 1; s <= 6; s++) { clock.begin(s); if (s === 3) clock.mark('probe', 1); clock.end(); }
    const stepTimes = JSON.parse(JSON.stringify(clock.summary()));
    expect(check({ ...completed, stepTimes })).toEqual([]);
    // Every cause core names validates (the schema's list is written by hand).
    const everyCause = { ...stepTimes, slowest: [{ step: 2, ms: 9, computeMs: 1, causes: Object.fromEntries(STEP_CAUSES.map((c) => [c, 1])), unexplained: false }], slowByCause: Object.fromEntries(STEP_CAUSES.map((c) => [c, 1])) };
    expect(check({ ...completed, stepTimes: everyCause })).toEqual([]);
    expect(check({ ...completed, stepTimes: { ...stepTimes, threadCpuSeconds: { training: 1 } } })).not.toEqual([]);
    const bad = { ...stepTimes, slowest: [{ step: 2, ms: 9, computeMs: 1, causes: { cosmic: 8 }, unexplained: false }] };
    expect(check({ ...completed, stepTimes: bad })).not.toEqual([]);
  });
});
