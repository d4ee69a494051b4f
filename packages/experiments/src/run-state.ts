import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_LOCK_FILE, writeFileAtomic } from '@clt/core';

/**
 * The file a sweep writes into the folder of a run that failed (its error, and when), so the run
 * folders alone tell a failed run from one that never ran — e.g. for a report read without the
 * results store. Removed again once a later attempt ends the run; `clt train` counts it as part of
 * a run folder, which a retry replaces (--overwrite).
 */
export const RUN_ERROR_FILE = 'error.json';

/**
 * Keep a run's {@link RUN_ERROR_FILE} in step with how its attempt ended: `failed`, write it
 * atomically with the error, creating the folder when the run never started; any other end, remove
 * the one an earlier failed attempt left.
 */
export function recordRunError(runDir: string, outcome: { readonly status: string; readonly error?: string | null }): void {
  if (outcome.status !== 'failed') {
    rmSync(join(runDir, RUN_ERROR_FILE), { force: true });
    return;
  }
  mkdirSync(runDir, { recursive: true });
  const error = outcome.error ?? 'the run failed';
  writeFileAtomic(join(runDir, RUN_ERROR_FILE), `${JSON.stringify({ status: 'failed', error, time: new Date().toISOString() }, null, 2)}\n`);
}

/** The error a failed attempt left in a run folder, if any (undefined when missing or unreadable). */
export function readRunError(runDir: string): string | undefined {
  try {
    const v = JSON.parse(readFileSync(join(runDir, RUN_ERROR_FILE), 'utf8')) as { error?: unknown };
    return typeof v.error === 'string' ? v.error : undefined;
  } catch {
    return undefined;
  }
}

/** Statuses a run ends with that are final: the run is never started again. */
export const FINAL_STATUSES = ['completed', 'diverged', 'stalled'] as const;
/** A final run status (`completed`, `diverged` or `stalled`): one of {@link FINAL_STATUSES}. */
export type FinalStatus = (typeof FINAL_STATUSES)[number];

/**
 * What a run folder holds, which decides what the pool does with it:
 *  - `done`: summary.json with a final status → skipped, only (re)ingested;
 *  - `resumable`: a checkpoint but no final summary → continued with resume;
 *  - `restart`: metrics but no checkpoint (stopped before its first one) → started over with overwrite;
 *  - `fresh`: absent, or holding only a lock or torn temporaries → started as a new run.
 */
export type RunState = { kind: 'done'; status: FinalStatus; summary: Record<string, unknown> } | { kind: 'resumable' | 'restart' | 'fresh' };

/**
 * Classify a run folder (see {@link RunState}): `done` when its summary.json carries a final
 * status, `resumable` with a checkpoint, `restart` with other content, `fresh` when it is absent
 * or holds only the run lock and torn `*.tmp-<pid>` temporaries. Reads the folder; never writes.
 */
export function runState(runDir: string): RunState {
  if (!existsSync(runDir)) return { kind: 'fresh' };
  const summary = readSummary(runDir);
  if (summary && (FINAL_STATUSES as readonly string[]).includes(summary.status as string)) return { kind: 'done', status: summary.status as FinalStatus, summary };
  if (existsSync(join(runDir, 'checkpoint'))) return { kind: 'resumable' };
  // The lock and temporaries of interrupted atomic writes (*.tmp-<pid>) are not content.
  const files = readdirSync(runDir).filter((f) => f !== RUN_LOCK_FILE && !/\.tmp-\d+$/.test(f));
  return files.length === 0 ? { kind: 'fresh' } : { kind: 'restart' };
}

/** summary.json of a run folder, or undefined when it is missing or torn. */
export function readSummary(runDir: string): Record<string, unknown> | undefined {
  const path = join(runDir, 'summary.json');
  if (!existsSync(path)) return undefined;
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
