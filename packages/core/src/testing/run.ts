import type { Backend } from '../backend/contract.js';
import type { ConformanceCase } from './case.js';
import { checkCase, type CaseResult } from './check.js';
import { CONTRACT_CHECKS, checkContract } from './contract-checks.js';
import { compositeCases } from './composite-cases.js';
import { forwardCases } from './forward-cases.js';
import { skipReason, toleranceFor, validateOptions, type ConformanceOptions } from './options.js';
import { vjpCases } from './vjp-cases.js';

/**
 * Every case of the suite for a float precision, in a fixed order with seeded inputs: each
 * primitive forward (broadcasting, size-1 and zero-size axes, NaN/Inf, integer variants), each
 * differentiable primitive's VJP graph, and composed graphs (MLP forward, loss gradient, JVP,
 * Hessian–vector product, softmax cross-entropy). Deterministic: same cases on every machine.
 */
export function conformanceCases(dtype: 'f32' | 'f64' = 'f32'): ConformanceCase[] {
  if (dtype !== 'f32' && dtype !== 'f64') throw new Error(`conformanceCases: dtype must be 'f32' or 'f64', got ${JSON.stringify(dtype)}`);
  return [...forwardCases(dtype), ...vjpCases(dtype), ...compositeCases(dtype)];
}

/**
 * Run the contract checks (`contract/*`, see `checkContract`) and then every case on `backend`, in
 * order, one at a time. Skipped cases come back with `ok: true`
 * and `skipped` set to the backend's reason; failures carry a message naming the output, the
 * first bad element and both values. Never throws for a failing case (only for bad options).
 */
export async function runConformance(backend: Backend, options: ConformanceOptions = {}): Promise<CaseResult[]> {
  const cases = conformanceCases(options.dtype ?? 'f32');
  validateOptions([...cases, ...CONTRACT_CHECKS.map((name) => ({ name }))], options);
  const results: CaseResult[] = [];
  for (const name of CONTRACT_CHECKS) {
    const reason = skipReason({ name }, options);
    results.push(reason !== undefined ? { name, ok: true, skipped: reason, maxAbsErr: 0, maxRelErr: 0 } : await checkContract(backend, name, options.dtype ?? 'f32'));
  }
  for (const c of cases) {
    const reason = skipReason(c, options);
    if (reason !== undefined) results.push({ name: c.name, ok: true, skipped: reason, maxAbsErr: 0, maxRelErr: 0 });
    else results.push(await checkCase(backend, c, toleranceFor(c, options)));
  }
  return results;
}

/** One line per failing or skipped case, and a count; for logs and reports. */
export function summarizeConformance(results: readonly CaseResult[]): string {
  const failed = results.filter((r) => !r.ok), skipped = results.filter((r) => r.skipped !== undefined);
  const lines = [`${results.length - failed.length - skipped.length} passed, ${failed.length} failed, ${skipped.length} skipped`];
  for (const r of failed) lines.push(`FAIL ${r.name}: ${r.message}`);
  for (const r of skipped) lines.push(`SKIP ${r.name}: ${r.skipped}`);
  return lines.join('\n');
}
