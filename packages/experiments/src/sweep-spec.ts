import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { isMap, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';

/**
 * One option of the command a sweep runs (for clt: one `clt train` option), supplied by the caller
 * so this package never depends on the CLI. `parse` is the option's own value parser (it throws a
 * message naming the option); `boolean` options take true/false.
 */
export interface OptionInfo {
  /** The key as the run function reads it (camelCase, e.g. `weightDecay`). */
  readonly key: string;
  /** The command-line flag (e.g. `--weight-decay`), used in messages. */
  readonly flag: string;
  readonly boolean: boolean;
  readonly parse?: (text: string) => unknown;
  readonly defaultValue?: unknown;
}

/**
 * How runs of a sweep are made comparable: `samples` gives every run the same number of training
 * samples (its steps are ceil(samples / batch), so runs with different batch sizes see equal data);
 * `steps` requires `steps` to be set, so every run stops at the same optimizer step.
 */
export type CompareAt = 'samples' | 'steps';

/** A sweep before expansion: every run is base ∪ one list entry ∪ one grid point, × each seed. */
export interface SweepSpec {
  readonly name?: string;
  readonly base: Record<string, unknown>;
  readonly grid: Record<string, readonly unknown[]>;
  readonly list?: readonly Record<string, unknown>[];
  readonly seeds: readonly number[] | number;
  readonly compareAt?: CompareAt;
  /** Training samples every run sees when `compareAt` is 'samples' (steps = ceil(samples / batch)). */
  readonly samples?: number;
}

/** Options that name where or how output goes, never what is computed: not allowed in a spec, never part of a run id. */
export const NON_CONFIG_KEYS = ['name', 'out', 'resume', 'overwrite', 'report', 'json'] as const;
const TOP_KEYS = ['name', 'base', 'grid', 'list', 'seeds', 'compareAt', 'samples'];

/** Where a value came from, for messages: `spec.yaml line 4` or `--grid`. */
type Where = (path: readonly (string | number)[]) => string;

/** Read a YAML or JSON sweep spec file (JSON is YAML, so one parser reads both, with line numbers). */
export function readSweepSpec(file: string, options: readonly OptionInfo[]): SweepSpec {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { throw new Error(`cannot read sweep spec ${file}: ${(e as Error).message}`); }
  return parseSweepSpec(text, options, file);
}

/** Parse spec text (YAML or JSON); errors name the file, the line and the key. */
export function parseSweepSpec(text: string, options: readonly OptionInfo[], file = 'sweep spec'): SweepSpec {
  if (extname(file).toLowerCase() === '.json') checkJson(text, file);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const at = e.pos ? lines.linePos(e.pos[0]) : undefined;
    throw new Error(`${file}${at ? ` line ${at.line}` : ''}: not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}: ${e.message.split('\n')[0]}`);
  }
  const where: Where = (path) => {
    const node = doc.getIn(path, true) as YamlNode | undefined;
    const pos = node?.range ? lines.linePos(node.range[0]) : undefined;
    return `${file}${pos ? ` line ${pos.line}` : ''} (${path.join('.') || 'top level'})`;
  };
  if (!isMap(doc.contents)) throw new Error(`${file}: a sweep spec is a mapping with keys ${TOP_KEYS.join(', ')}`);
  return checkSpec(doc.toJS() as Record<string, unknown>, options, where);
}

/**
 * Check a spec object and parse every value with its option's own parser, so `lr: 1e-3` and
 * `lr: "0.001"` become the same number. Unknown keys are refused with the list of known ones.
 */
export function checkSpec(raw: Record<string, unknown>, options: readonly OptionInfo[], where: Where = (p) => p.join('.')): SweepSpec {
  for (const k of Object.keys(raw)) if (!TOP_KEYS.includes(k)) throw new Error(`${where([k])}: unknown key "${k}"; a sweep spec has ${TOP_KEYS.join(', ')}`);
  const byKey = optionIndex(options);
  const section = (name: string, obj: unknown, path: (string | number)[]): Record<string, unknown> => {
    if (obj === undefined || obj === null) return {};
    if (typeof obj !== 'object' || Array.isArray(obj)) throw new Error(`${where(path)}: ${name} must be a mapping of option: value`);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      const o = lookupOption(byKey, k, where([...path, k]));
      out[o.key] = parseValue(o, v, where([...path, k]));
    }
    return out;
  };
  const base = section('base', raw.base, ['base']);
  const grid: Record<string, unknown[]> = {};
  if (raw.grid !== undefined && raw.grid !== null) {
    if (typeof raw.grid !== 'object' || Array.isArray(raw.grid)) throw new Error(`${where(['grid'])}: grid must be a mapping of option: [values]`);
    for (const [k, vs] of Object.entries(raw.grid as Record<string, unknown>)) {
      const o = lookupOption(byKey, k, where(['grid', k]));
      if (!Array.isArray(vs) || vs.length === 0) throw new Error(`${where(['grid', k])}: grid values of ${o.flag} must be a non-empty list, like [a, b]`);
      grid[o.key] = vs.map((v, i) => parseValue(o, v, where(['grid', k, i])));
    }
  }
  let list: Record<string, unknown>[] | undefined;
  if (raw.list !== undefined && raw.list !== null) {
    if (!Array.isArray(raw.list) || raw.list.length === 0) throw new Error(`${where(['list'])}: list must be a non-empty list of option mappings`);
    list = raw.list.map((entry, i) => section(`list entry ${i + 1}`, entry, ['list', i]));
    for (const [i, entry] of list.entries()) {
      for (const k of Object.keys(entry)) if (k in grid) throw new Error(`${where(['list', i, k])}: ${k} is both in the grid and in list entry ${i + 1}; put it in one of them`);
    }
  }
  const seeds = checkSeeds(raw.seeds, where(['seeds']));
  const spec: SweepSpec = { base, grid, seeds, ...(list ? { list } : {}), ...(raw.name !== undefined ? { name: String(raw.name) } : {}) };
  return checkCompare({ ...spec, ...(raw.compareAt !== undefined ? { compareAt: raw.compareAt as CompareAt } : {}), ...(raw.samples !== undefined ? { samples: raw.samples as number } : {}) }, where);
}

/** `--grid key=v1,v2` (or `key=16,16|32` where values contain commas) → [option key, parsed values]. */
export function parseGridArg(arg: string, options: readonly OptionInfo[]): [string, unknown[]] {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new Error(`--grid ${JSON.stringify(arg)}: write key=v1,v2 (for example --grid lr=0.01,0.1)`);
  const o = lookupOption(optionIndex(options), arg.slice(0, eq).trim(), `--grid ${arg}`);
  const text = arg.slice(eq + 1);
  // Values that hold commas themselves (--hidden 16,16, --schedule step:every=10,gamma=0.5) are separated with |.
  const parts = (text.includes('|') ? text.split('|') : text.split(',')).map((s) => s.trim());
  if (parts.some((p) => p === '')) throw new Error(`--grid ${arg}: an empty value; write ${o.key}=v1,v2 (or v1|v2 when values contain commas)`);
  return [o.key, parts.map((p) => parseValue(o, p, `--grid ${arg}`))];
}

/** Merge command-line grid axes and a seed count into a spec (the command line wins per key). */
export function withOverrides(spec: SweepSpec, grid: readonly [string, unknown[]][], seeds?: number): SweepSpec {
  const g: Record<string, readonly unknown[]> = { ...spec.grid };
  for (const [k, vs] of grid) {
    if (spec.list?.some((e) => k in e)) throw new Error(`--grid ${k}: the spec's list already sets ${k}; sweep it in one place`);
    g[k] = vs;
  }
  const base = Object.fromEntries(Object.entries(spec.base).filter(([k]) => !(k in g)));
  return { ...spec, base, grid: g, ...(seeds !== undefined ? { seeds: checkSeeds(seeds, '--seeds') } : {}) };
}

/** YAML accepts more than JSON (`{"a": }` is a null there): hold a .json file to JSON's own rules. */
function checkJson(text: string, file: string): void {
  try { JSON.parse(text); } catch (e) {
    const msg = (e as Error).message.split('\n')[0]!, pos = /position (\d+)/.exec(msg); // Node ≥ 22 states the position; 20 not always
    const line = pos ? text.slice(0, Number(pos[1])).split('\n').length : undefined;
    throw new Error(`${file}${line ? ` line ${line}` : ''}: not valid JSON: ${msg}`);
  }
}

function checkSeeds(v: unknown, where: string): readonly number[] | number {
  if (v === undefined || v === null) return [0];
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${where}: seeds must be a count >= 1 (seeds 0..N-1) or a list of integers, got ${v}`);
    return v;
  }
  if (!Array.isArray(v) || v.length === 0 || v.some((s) => !Number.isInteger(s) || s < 0)) throw new Error(`${where}: seeds must be a count >= 1 or a non-empty list of integers >= 0, like [0, 1, 2]`);
  if (new Set(v).size !== v.length) throw new Error(`${where}: seeds has a repeated seed`);
  return v as number[];
}

function checkCompare(spec: SweepSpec, where: Where): SweepSpec {
  const c = spec.compareAt;
  if (c !== undefined && c !== 'samples' && c !== 'steps') throw new Error(`${where(['compareAt'])}: compareAt must be samples or steps, got ${JSON.stringify(c)}`);
  const setsSteps = 'steps' in spec.base || 'steps' in spec.grid || !!spec.list?.some((e) => 'steps' in e);
  if (c === 'samples') {
    if (!(typeof spec.samples === 'number' && Number.isInteger(spec.samples) && spec.samples >= 1)) throw new Error(`${where(['samples'])}: compareAt: samples needs samples: N (the training samples every run sees; steps = ceil(N / batch))`);
    if (setsSteps) throw new Error(`${where(['compareAt'])}: compareAt: samples derives steps from samples and batch; remove steps from the spec`);
  } else if (spec.samples !== undefined) throw new Error(`${where(['samples'])}: samples is used only with compareAt: samples`);
  if (c === 'steps' && !setsSteps) throw new Error(`${where(['compareAt'])}: compareAt: steps needs steps in base, grid or list, so every run stops at a stated step`);
  return spec;
}

function optionIndex(options: readonly OptionInfo[]): Map<string, OptionInfo> {
  const m = new Map<string, OptionInfo>();
  for (const o of options) {
    if ((NON_CONFIG_KEYS as readonly string[]).includes(o.key)) continue;
    m.set(o.key, o);
    m.set(o.flag.replace(/^--(no-)?/, ''), o);
  }
  return m;
}

function lookupOption(byKey: Map<string, OptionInfo>, key: string, where: string): OptionInfo {
  if ((NON_CONFIG_KEYS as readonly string[]).includes(key)) throw new Error(`${where}: "${key}" is set by the sweep itself (runs live in <sweep>/runs/<run id>); remove it`);
  if (key === 'seed') throw new Error(`${where}: set seeds with the top-level seeds: key (a count or a list), not seed`);
  const o = byKey.get(key);
  if (!o) throw new Error(`${where}: "${key}" is not a train option; known: ${[...new Set([...byKey.values()].map((x) => x.key))].filter((k) => k !== 'seed').join(', ')}`);
  return o;
}

function parseValue(o: OptionInfo, v: unknown, where: string): unknown {
  if (o.boolean) {
    if (v === true || v === 'true') return true;
    if (v === false || v === 'false') return false;
    throw new Error(`${where}: ${o.flag} takes true or false, got ${JSON.stringify(v)}`);
  }
  if (v === null || typeof v === 'object') throw new Error(`${where}: ${o.flag} takes one value, got ${JSON.stringify(v)}${Array.isArray(v) ? ' (write a list of widths as a string, like "64,64")' : ''}`);
  const text = String(v).trim();
  if (!o.parse) return text;
  try { return o.parse(text); } catch (e) { throw new Error(`${where}: ${(e as Error).message}`); }
}
