import { pearson, readJsonl, slidingPearson, type EvalRecord, type ProbeRecord, type StepRecord } from '@clt/core';
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

export interface CorrelationSeries {
  readonly label: string;
  readonly r: number | undefined;
  readonly window: number;
  /** Sliding-window r against the probe step that closes each window. */
  readonly sliding: { step: number; r: number }[];
  /** (log₂ bound, log₂ loss) pairs. */
  readonly points: { step: number; bound: number; loss: number }[];
}

/**
 * Pearson r between log₂ of each bound series and log₂ of the probe-set loss, globally and in a
 * sliding window (50 logged points as in the precursor code, fewer when the run has few probes).
 */
export function correlations(probes: readonly ProbeRecord[]): CorrelationSeries[] {
  const loss = probes.map((p) => Math.log2(p.risk));
  const window = Math.min(50, Math.max(5, Math.floor(probes.length / 4)));
  const make = (label: string, bound: number[]): CorrelationSeries => {
    const sl = probes.length >= window ? slidingPearson(bound, loss, window) : [];
    return {
      label, r: pearson(bound, loss), window,
      sliding: sl.flatMap((r, i) => (r === undefined ? [] : [{ step: probes[i + window - 1]!.step, r }])),
      points: probes.flatMap((p, i) => (Number.isFinite(bound[i]!) && Number.isFinite(loss[i]!) ? [{ step: p.step, bound: bound[i]!, loss: loss[i]! }] : [])),
    };
  };
  return [
    make('lower bound (1/n)Σ‖gᵢ‖²/(2λmax,i)', probes.map((p) => Math.log2(p.riskLower))),
    make('upper bound (1/n)Σ‖gᵢ‖²/(pmin,i λmin,i)', probes.map((p) => Math.log2(p.riskUpper))),
    make('indicator F = log₂E + log₂λ*max − log₂λ*min', probes.map((p) => p.indicator)),
  ];
}
