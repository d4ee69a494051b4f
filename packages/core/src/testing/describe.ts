import type { Backend } from '../backend/contract.js';
import { checkCase } from './check.js';
import { CONTRACT_CHECKS, checkContract } from './contract-checks.js';
import { skipReason, toleranceFor, validateOptions, type ConformanceOptions } from './options.js';
import { conformanceCases } from './run.js';

// vitest is an optional peer dependency, and importing it outside the vitest runner throws. Load
// it once, here, so `conformanceCases`/`runConformance` work in plain Node (benchmarks) too.
type Vitest = typeof import('vitest');
let vitest: Vitest | undefined;
let vitestError = '';
try {
  vitest = await import('vitest');
} catch (err) {
  vitestError = (err as Error)?.message?.split('\n')[0] ?? String(err);
}

/**
 * Register the suite with vitest: `describe(title)` with one `it` per contract check and per case. Skipped cases are
 * registered with `it.skip` and the reason in the test title, so they show in every report.
 * The backend is created once (`beforeAll`), checked for availability, and disposed afterwards.
 *
 * @example
 * describeConformance('my-backend f32', async () => new MyBackend(), { dtype: 'f32', perCase: { erf: { rtol: 1e-3 } } });
 */
export function describeConformance(title: string, makeBackend: () => Promise<Backend> | Backend, options: ConformanceOptions = {}): void {
  if (!vitest) throw new Error(`describeConformance must be called from a vitest test file (vitest could not be loaded: ${vitestError})`);
  const { describe, it, beforeAll, afterAll } = vitest;
  const cases = conformanceCases(options.dtype ?? 'f32');
  validateOptions([...cases, ...CONTRACT_CHECKS.map((name) => ({ name }))], options);
  describe(title, () => {
    let backend: Backend | undefined;
    let setupError: Error | undefined;
    beforeAll(async () => {
      try {
        backend = await makeBackend();
        const a = await backend.availability();
        if (!a.available) setupError = new Error(`backend "${backend.name}" is not available: ${a.reason}`);
      } catch (err) {
        setupError = err as Error;
      }
    });
    afterAll(async () => {
      await backend?.dispose();
    });
    for (const name of CONTRACT_CHECKS) {
      const reason = skipReason({ name }, options);
      if (reason !== undefined) {
        it.skip(`${name} (skipped: ${reason})`, () => {});
        continue;
      }
      it(name, async () => {
        if (setupError) throw setupError;
        const r = await checkContract(backend!, name, options.dtype ?? 'f32');
        if (!r.ok) throw new Error(`${name}: ${r.message}`);
      });
    }
    for (const c of cases) {
      const reason = skipReason(c, options);
      if (reason !== undefined) {
        it.skip(`${c.name} (skipped: ${reason})`, () => {});
        continue;
      }
      it(c.name, async () => {
        if (setupError) throw setupError;
        const r = await checkCase(backend!, c, toleranceFor(c, options));
        if (!r.ok) throw new Error(`${c.name}: ${r.message}`);
      });
    }
  });
}
