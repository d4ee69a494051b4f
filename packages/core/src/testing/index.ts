/**
 * `@clt/core/testing`: the backend conformance suite. A backend package runs it in its own tests:
 *
 * ```ts
 * import { describeConformance } from '@clt/core/testing';
 * describeConformance('my-backend f32', async () => new MyBackend(), { dtype: 'f32' });
 * ```
 *
 * Every case is a graph with seeded inputs; `checkCase` compiles it on the backend, runs it,
 * downloads the outputs and compares them elementwise with the float64 reference `interpret`.
 * A separate entry from `@clt/core`, so the main entry never loads vitest.
 */
export type { ConformanceCase, Domain, InputSpec } from './case.js';
export { type Tolerance, type CaseResult, DEFAULT_TOLERANCE, checkCase, compareArrays } from './check.js';
export type { ConformanceOptions } from './options.js';
export { toleranceFor, skipReason } from './options.js';
export { CONTRACT_CHECKS, checkContract, type ContractCheck } from './contract-checks.js';
export { conformanceCases, runConformance, summarizeConformance } from './run.js';
export { describeConformance } from './describe.js';
export { mlpGraph, mlpInputs, softmaxCrossEntropy, MLP_SIZES, convNetGraph, convNetInputs, CONV_NET_WEIGHTS } from './composite-cases.js';
export { CONV_GEOMETRIES, convOutShape } from './forward-cases.js';
export { centralDiff, forwardDiff, relErr, dot, maxAbs, hostCopy } from './finite-differences.js';
// The fuzz outcome classifier (issue 17), shared with the CLI and native-backend fuzz tests.
export { OUTCOMES, type Outcome, type Expectation, type Offender, isAcceptable, isClearError, classifyReturn, classifyThrow, classifyChildDeath, firstNonFinite, summarize, Tally, formatOffenders, runCase } from './fuzz-classify.js';
