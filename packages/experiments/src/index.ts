export { checkSpec, NON_CONFIG_KEYS, parseGridArg, parseSweepSpec, readSweepSpec, withOverrides, type CompareAt, type OptionInfo, type SweepSpec } from './sweep-spec.js';
export { canonicalJson, expandSweep, resolveConfig, RUN_ID_LENGTH, RUN_ID_VERSION, runId, seedList, sweptKeys, type ResolvedRun } from './resolve.js';
export { FINAL_STATUSES, readRunError, readSummary, recordRunError, RUN_ERROR_FILE, runState, type FinalStatus, type RunState } from './run-state.js';
export { runPool, type PoolOptions, type PoolProgress, type RunOutcome } from './pool.js';
export { serveWorker, type WorkerReply, type WorkerRequest } from './worker-protocol.js';
export { columnName, exportStore, flatten, ingestRuns, query, STORE_FILE, withStore, type QueryResult, type RunResult } from './store.js';
export { DUCKDB_INSTALL, DUCKDB_PACKAGE, DUCKDB_VERSION, setDuckDBLoader, storeAvailable, storeUnavailableReason, StoreUnavailableError } from './duckdb.js';
export { runSweep, type SweepOptions, type SweepResult } from './sweep.js';
export { schemaPath, SCHEMA_NAMES, type SchemaName } from './schemas.js';
export {
  AGGREGATED_STATUSES, BASE_METRICS, compareValues, runReason, stat, sweepReportData,
  type ReportCell, type ReportFactor, type ReportMetric, type ReportRun, type ReportSource, type Stat, type SweepReportData, type SweepReportOptions,
} from './report-data.js';
export {
  findRecipe, RECIPES, conflictOf, runWidth, spearman, labelNoiseFloor, widthKappa, depthSkip, runDepth, DEPTH_SKIP_THRESHOLDS, DEPTH_VARIANTS, LABEL_NOISE_THRESHOLDS, WIDTH_KAPPA_THRESHOLDS,
  BATCH_SIZE_THRESHOLDS, batchSize, CORRELATION_THRESHOLDS, boundLossCorrelation, runCorrelations, generalizationGap, generalizationVerdict, vacuityLimit,
  PRECURSOR_THRESHOLDS, precursorDepthSkip, CONVEX_THRESHOLDS, convexDualityGap, DEEP_LINEAR_THRESHOLDS, deepLinearRankOne, SPLINE_THRESHOLDS, spline1d, splineLasso,
  SPARSITY_THRESHOLDS, effectiveParameters, runSparsity, sparsity,
  type BiasMode, type ConvexDualityResult, type ConvexProblemResult, type DeepLinearResult, type DeepLinearRun, type DirectRecipe, type GeneralizationData,
  type Recipe, type RecipeData, type RecipeSize, type RecipeSpec, type SplineProblemResult, type SplineResult, type StoreRow, type SweepRecipe, type Verdict, type VerdictRow,
} from './recipes/index.js';
