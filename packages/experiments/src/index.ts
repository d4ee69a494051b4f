export { checkSpec, NON_CONFIG_KEYS, parseGridArg, parseSweepSpec, readSweepSpec, withOverrides, type CompareAt, type OptionInfo, type SweepSpec } from './sweep-spec.js';
export { canonicalJson, expandSweep, resolveConfig, RUN_ID_LENGTH, RUN_ID_VERSION, runId, seedList, sweptKeys, type ResolvedRun } from './resolve.js';
export { FINAL_STATUSES, readSummary, runState, type FinalStatus, type RunState } from './run-state.js';
export { runPool, type PoolOptions, type PoolProgress, type RunOutcome } from './pool.js';
export { serveWorker, type WorkerReply, type WorkerRequest } from './worker-protocol.js';
export { columnName, exportStore, flatten, ingestRuns, query, STORE_FILE, withStore, type QueryResult, type RunResult } from './store.js';
export { runSweep, type SweepOptions, type SweepResult } from './sweep.js';
export { schemaPath, SCHEMA_NAMES, type SchemaName } from './schemas.js';
export { AGGREGATED_STATUSES, BASE_METRICS, compareValues, runReason, stat, sweepReportData, type ReportCell, type ReportFactor, type ReportMetric, type ReportRun, type Stat, type SweepReportData } from './report-data.js';
