import { boundLossCorrelations, readJsonl, type EvalRecord, type SeriesCorrelation, type ProbeRecord, type StepRecord } from '@clt/core';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A run directory read back: its time series split by record type, and its summary. */
export interface RunData {
  readonly dir: string;
  readonly steps: StepRecord[];
  readonly probes: ProbeRecord[];
  readonly evals: EvalRecord[];
  readonly start: Record<string, unknown> | undefined;
  readonly summary: Record<string, any> | undefined;
}

export function readRun(dir: string): RunData {
  const path = join(dir, 'metrics.jsonl');
  if (!existsSync(path)) throw new Error(`${dir} has no metrics.jsonl; is it a run directory written by \`clt train\`?`);
  const recs = readJsonl<Record<string, any>>(path);
  const summaryPath = join(dir, 'summary.json');
  return {
    dir,
    steps: recs.filter((r) => r.type === 'step') as StepRecord[],
    probes: recs.filter((r) => r.type === 'probe') as ProbeRecord[],
    evals: recs.filter((r) => r.type === 'eval') as EvalRecord[],
    start: recs.find((r) => r.type === 'start'),
    summary: existsSync(summaryPath) ? (JSON.parse(readFileSync(summaryPath, 'utf8')) as Record<string, any>) : undefined,
  };
}

/** One series' correlation with the loss: core's `boundLossCorrelations`, the same figures summary.json carries. */
export type CorrelationSeries = SeriesCorrelation;

/**
 * Pearson r between log₂ of each bound (and baseline) series and log₂ of the probe-set loss,
 * globally and in a sliding window of `correlationWindow(probes)` probes — core's one implementation.
 */
export function correlations(probes: readonly ProbeRecord[]): CorrelationSeries[] {
  return boundLossCorrelations(probes);
}
