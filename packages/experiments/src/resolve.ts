import { createHash } from 'node:crypto';
import { NON_CONFIG_KEYS, type OptionInfo, type SweepSpec } from './sweep-spec.js';

/** One run of a sweep: its id and the full option set it runs with (defaults applied, keys sorted). */
export interface ResolvedRun {
  readonly id: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/** Version tag hashed into every id: a change of the id rule changes every id instead of aliasing old runs. */
export const RUN_ID_VERSION = 'clt-run/1';
/** Hex digits of an id: 48 bits, so a collision among a sweep's runs is negligible (≈ n²/2⁴⁹). */
export const RUN_ID_LENGTH = 12;

/**
 * The run id: the first 12 hex digits of sha256(`clt-run/1\n` + canonical JSON of the resolved
 * config). Canonical JSON has the keys sorted, numbers in JavaScript's shortest form (so `1e-3`,
 * `0.001` and `"0.001"` parsed by the option all hash alike), undefined options left out, and none of
 * the options that only say where output goes (name, out, resume, overwrite, report, json).
 */
export function runId(config: Readonly<Record<string, unknown>>): string {
  return createHash('sha256').update(`${RUN_ID_VERSION}\n${canonicalJson(config)}`).digest('hex').slice(0, RUN_ID_LENGTH);
}

/**
 * The canonical JSON text of a config that {@link runId} hashes: keys sorted, undefined values and
 * the output-only options (name, out, resume, overwrite, report, json) left out, no whitespace.
 * Values are serialized by `JSON.stringify`, so numbers take JavaScript's shortest form.
 */
export function canonicalJson(config: Readonly<Record<string, unknown>>): string {
  const keys = Object.keys(config).filter((k) => config[k] !== undefined && !(NON_CONFIG_KEYS as readonly string[]).includes(k)).sort();
  return JSON.stringify(Object.fromEntries(keys.map((k) => [k, config[k]])));
}

/**
 * A config with every option's default filled in, the output options removed and the keys sorted.
 * Flags without a default are false. `epochs` is dropped when `steps` is set: the run reads only
 * steps then, and two configs that train identically must share an id.
 */
export function resolveConfig(values: Readonly<Record<string, unknown>>, options: readonly OptionInfo[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of options) {
    if ((NON_CONFIG_KEYS as readonly string[]).includes(o.key)) continue;
    const v = values[o.key] ?? o.defaultValue ?? (o.boolean ? false : undefined);
    if (v !== undefined) out[o.key] = v;
  }
  for (const k of Object.keys(values)) if (!(k in out) && values[k] !== undefined && !(NON_CONFIG_KEYS as readonly string[]).includes(k)) out[k] = values[k];
  if (out.steps !== undefined) delete out.epochs;
  return Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]]));
}

/** The seeds of a spec: a count N means 0..N-1. */
export function seedList(seeds: SweepSpec['seeds']): number[] {
  return typeof seeds === 'number' ? Array.from({ length: seeds }, (_, i) => i) : [...seeds];
}

/**
 * Expand list × grid × seeds into runs, in a fixed order (list entries, then grid axes in spec
 * order with the last axis fastest, then seeds). With `compareAt: samples`, each run's steps is
 * ceil(samples / batch), so runs of different batch sizes are compared after the same number of
 * samples seen. Runs that resolve to the same config appear once.
 */
export function expandSweep(spec: SweepSpec, options: readonly OptionInfo[]): ResolvedRun[] {
  const points: Record<string, unknown>[] = [{}];
  for (const [k, vs] of Object.entries(spec.grid)) {
    const next: Record<string, unknown>[] = [];
    for (const p of points) for (const v of vs) next.push({ ...p, [k]: v });
    points.splice(0, points.length, ...next);
  }
  const runs: ResolvedRun[] = [], seen = new Set<string>();
  for (const entry of spec.list ?? [{}]) {
    for (const p of points) {
      for (const seed of seedList(spec.seeds)) {
        const values: Record<string, unknown> = { ...spec.base, ...entry, ...p, seed };
        const config = resolveConfig(values, options);
        if (spec.compareAt === 'samples') {
          const batch = Number(config.batch);
          if (!(batch >= 1)) throw new Error('compareAt: samples needs a batch size on every run');
          config.steps = Math.ceil(spec.samples! / batch);
          delete config.epochs;
        }
        const sorted = Object.fromEntries(Object.keys(config).sort().map((k) => [k, config[k]]));
        const id = runId(sorted);
        if (seen.has(id)) continue;
        seen.add(id);
        runs.push({ id, config: sorted });
      }
    }
  }
  return runs;
}

/** Sweep axes that vary: the grid keys plus every key a list entry sets. */
export function sweptKeys(spec: SweepSpec): string[] {
  return [...new Set([...Object.keys(spec.grid), ...(spec.list ?? []).flatMap((e) => Object.keys(e))])];
}
