import { afterAll, describe, expect, it } from 'vitest';
import { formatOffenders, Tally } from '@clt/core/testing';
import { ortCases, type OrtCase } from './ort-cases.js';
import { runInChildren } from './ort-runner.js';

/**
 * Native fuzz of ONNX Runtime CPU (issue 17): random graphs over the primitive ops (zero-size
 * axes, sortDesc, cumsum, reductions, gather, matmul, oneHot, casts) and the Fenchel–Young losses
 * (softmax, sparsemax, entmax; empty batches, ties) run in child processes against the float64
 * reference at float32 tolerance. A native crash (e.g. SIGFPE) or hang is pinned to its case and
 * the run restarts from the next one. Needs the built packages (dist/). CLT_FUZZ_SEED picks another seed.
 */
const SEED = Number(process.env.CLT_FUZZ_SEED ?? 20261217);
const RUNS = Number(process.env.CLT_ORT_FUZZ_RUNS ?? 1200);
const tally = new Tally('onnxruntime native');

describe(`native fuzz of onnxruntime-cpu in child processes (seed ${SEED})`, () => {
  afterAll(() => {
    console.log(`${tally.line()} (seed ${SEED})\n  by area: ${tally.areas()}`);
  });

  it(`${RUNS} graphs and loss calls match the reference, with no crash or hang`, async () => {
    const cases: OrtCase[] = ortCases(SEED, RUNS);
    const { results, restarts } = await runInChildren(cases, { caseTimeoutMs: 10_000, firstCaseTimeoutMs: 30_000 });
    for (const r of results) {
      const c = cases[r.index]!;
      tally.add(c.kind === 'graph' ? 'ort graphs' : 'ort losses', c.label, JSON.stringify(c).slice(0, 600), r);
    }
    expect(new Set(results.map((r) => r.index)).size, `${restarts} restarts`).toBe(RUNS);
    expect(tally.offenders.length, formatOffenders(tally.offenders, 20)).toBe(0);
  });
});
