import { afterAll, describe, expect, it } from 'vitest';
import { formatOffenders, Tally } from '@clt/core/testing';
import { fuzzCliArgs, optionsOf, stubbedProgram } from './cli-args.js';

/**
 * Argument-parsing fuzz of `clt` (issue 17): thousands of seeded argument vectors (valid and
 * hostile values, unknown flags, stray arguments) parsed by the real program with recording
 * actions. Each must either parse to options meeting the documented constraints (cli-rules.ts)
 * or be refused by a CommanderError naming the offending option. CLT_FUZZ_SEED picks another seed.
 */
const SEED = Number(process.env.CLT_FUZZ_SEED ?? 20261217);
const RUNS = 6000;
const tally = new Tally('cli arguments');

describe(`argument fuzz of clt (seed ${SEED})`, () => {
  afterAll(() => {
    console.log(`${tally.line()} (seed ${SEED})\n  by command: ${tally.areas()}`);
  });

  it('every option of every command has a documented rule in the fuzz table', async () => {
    const { program } = await stubbedProgram();
    const missing = program.commands.flatMap((c) => optionsOf(c).filter((o) => !o.rule).map((o) => `${c.name()} ${o.long}`));
    expect(missing, `add these options to RULES in src/fuzz/cli-rules.ts: ${missing.join(', ')}`).toEqual([]);
  });

  it(`${RUNS} argument vectors parse as documented or fail naming the option`, async () => {
    await fuzzCliArgs(tally, SEED, RUNS);
    expect(tally.total).toBe(RUNS);
    expect(tally.offenders.length, formatOffenders(tally.offenders, 20)).toBe(0);
  });
});
