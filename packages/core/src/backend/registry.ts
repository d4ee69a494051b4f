import type { Backend } from './contract.js';
import { REFERENCE_ENTRY } from '../reference/register.js';

/** A lazily constructed backend: the factory may import native code, so it runs only on demand. */
export interface BackendEntry {
  readonly name: string;
  readonly factory: () => Backend | Promise<Backend>;
  /** Higher wins when no name is asked for; negative means opt-in only (never chosen by default). */
  readonly priority: number;
  readonly description?: string;
}

interface RegistryState {
  readonly entries: Map<string, BackendEntry>;
  readonly failures: Map<string, string>;
  readonly instances: Map<string, Backend>;
}

/**
 * One registry per process, kept on globalThis: a contributor's backend package (loaded by
 * `clt --backend-module`) may resolve its own copy of @clt/core (another node_modules, a bundled
 * copy, dist next to src in tests); with module-local maps its registerBackend would fill a
 * registry the CLI never reads, and the backend would silently not exist.
 */
const REGISTRY_KEY = Symbol.for('@clt/core/backend-registry');
const state = ((globalThis as Record<symbol, unknown>)[REGISTRY_KEY] ??= {
  entries: new Map(), failures: new Map(), instances: new Map(),
}) as RegistryState;
const { entries, failures, instances } = state;
// Built in, so every copy of core can name it; registered once (a second copy of core keeps the first's instance).
if (!entries.has(REFERENCE_ENTRY.name)) entries.set(REFERENCE_ENTRY.name, REFERENCE_ENTRY);

/**
 * Register a backend factory under `name`, replacing any entry of that name and forgetting its cached
 * instance or failure. The factory runs only when the backend is first resolved. `priority` (default 0)
 * orders the default choice of {@link resolveBackend}, highest first; a negative priority makes it
 * opt-in only (used only when asked for by name).
 */
export function registerBackend(name: string, factory: BackendEntry['factory'], options: { priority?: number; description?: string } = {}): void {
  entries.set(name, { name, factory, priority: options.priority ?? 0, description: options.description });
  failures.delete(name);
  instances.delete(name);
}

/** Every registered backend entry, the built-in reference backend included, highest priority first. */
export function registeredBackends(): BackendEntry[] {
  return [...entries.values()].sort((a, b) => b.priority - a.priority);
}

async function tryCreate(e: BackendEntry): Promise<Backend> {
  const cached = instances.get(e.name);
  if (cached) return cached;
  const failed = failures.get(e.name);
  if (failed) throw new Error(failed);
  let b: Backend;
  let a: Awaited<ReturnType<Backend['availability']>>;
  try {
    b = await e.factory();
    // A throwing availability() is a failure like any other: cached, so the factory is not re-run.
    a = await b.availability();
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    failures.set(e.name, msg);
    throw err;
  }
  if (!a.available) {
    failures.set(e.name, a.reason);
    throw new Error(a.reason);
  }
  instances.set(e.name, b);
  return b;
}

/**
 * The first usable backend among `names` (in order), or by priority among non-negative ones if
 * none are given. Failures are cached; if nothing works, one error lists every reason.
 */
export async function resolveBackend(names?: string | readonly string[]): Promise<Backend> {
  const wanted = typeof names === 'string' ? [names] : names;
  if (wanted !== undefined && (!Array.isArray(wanted) || wanted.some((n) => typeof n !== 'string')))
    throw new Error(`resolveBackend: names must be a backend name or an array of names (e.g. ['onnxruntime-cpu', 'reference']), got ${JSON.stringify(names)}`);
  const list = wanted?.length ? wanted : registeredBackends().filter((e) => e.priority >= 0).map((e) => e.name);
  // Nothing to try (no names given and none registered): say so, instead of "no usable backend:" and no reasons.
  if (list.length === 0)
    throw new Error(`no usable backend: no backend names were given and no backend is registered for default use (registered, opt-in only: ${[...entries.keys()].join(', ') || 'none'}); `
      + `import a backend package's /register entry (e.g. import '@clt/backend-onnxruntime/register') or pass names like ['onnxruntime-cpu']`);
  const reasons: string[] = [];
  for (const n of list) {
    const e = entries.get(n);
    if (!e) {
      reasons.push(`[${n}] unknown backend (registered: ${[...entries.keys()].join(', ') || 'none'}; import its package's /register entry, or with the clt CLI pass --backend-module <package or ./file.mjs>)`);
      continue;
    }
    try {
      return await tryCreate(e);
    } catch (err) {
      reasons.push(`[${n}] ${(err as Error).message}`);
    }
  }
  throw new Error(`no usable backend:\n  ${reasons.join('\n  ')}`);
}
