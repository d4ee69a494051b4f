/**
 * Contributor backends: `--backend-module <specifier>` (repeatable) and `CLT_BACKEND_MODULES`
 * (comma-separated) name ES modules that call core's `registerBackend` when imported. Used by `clt`
 * and `clt-bench`. Loading a module runs its code with the user's rights — that is the point: the
 * user names it, exactly as with `node --import`. Nothing is ever loaded that was not named.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { registeredBackends, type BackendEntry } from '@clt/core';

export const BACKEND_MODULES_ENV = 'CLT_BACKEND_MODULES';

export interface LoadedBackendModule {
  /** As the user wrote it. */
  readonly specifier: string;
  /** The file URL it resolved to (what a child process imports). */
  readonly url: string;
  /** The backend names its import registered (or re-registered). */
  readonly names: readonly string[];
}

/** The specifiers in `CLT_BACKEND_MODULES` (comma-separated, blanks ignored). */
export function envBackendModules(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env[BACKEND_MODULES_ENV] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** Node's rule: a path starts with ./, ../, / (or a drive letter) or file:; anything else names a package. */
function isPath(spec: string): boolean {
  return spec.startsWith('./') || spec.startsWith('../') || spec === '.' || spec === '..' || isAbsolute(spec) || spec.startsWith('file:');
}

/**
 * The file URL `specifier` names: a path (./x.mjs, /abs/x.mjs, file:…) relative to `cwd`, or a
 * package name (optionally with a subpath) found in the node_modules folders from `cwd` up, and
 * failing that next to clt itself (a global install). Throws a message naming the specifier and
 * the folder it was resolved from.
 */
export function resolveBackendModule(specifier: string, cwd: string = process.cwd()): string {
  if (!specifier.trim()) throw new Error('--backend-module needs a package name or a path to an ES module (e.g. ./my-backend.mjs)');
  if (isPath(specifier)) {
    const file = specifier.startsWith('file:') ? fileURLToPath(specifier) : resolve(cwd, specifier);
    if (!existsSync(file) || !statSync(file).isFile())
      throw new Error(`--backend-module ${specifier}: no file at ${file} (resolved from ${cwd}); pass a path to the ES module that registers your backend, relative to the current folder`);
    return pathToFileURL(file).href;
  }
  const found = resolvePackage(specifier, cwd) ?? resolvePackage(specifier, dirname(fileURLToPath(import.meta.url)));
  if (found) return pathToFileURL(found).href;
  // `my-backend.mjs` without ./ is a package name to Node; accept it as a file when no such package exists.
  const local = resolve(cwd, specifier);
  if (/\.[cm]?js$/.test(specifier) && existsSync(local) && statSync(local).isFile()) return pathToFileURL(local).href;
  throw new Error(`--backend-module ${specifier}: cannot find package "${specifier}" from ${cwd} (looked in node_modules from there up, and next to clt); `
    + `install it there (npm install ${packageName(specifier)}), or pass a path to its ES module (./path/to/register.mjs; a path must start with ./, ../ or /)`);
}

function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/**
 * Node's ESM package resolution, reduced to what a backend package needs: walk up the
 * node_modules folders, then its `exports` (string, subpath map, `import`/`node`/`default`
 * conditions) or `main`. `require.resolve` cannot be used: an ESM-only package (exports with only
 * an `import` condition, like @clt/core itself) is "not exported" to it.
 */
function resolvePackage(spec: string, from: string): string | undefined {
  const name = packageName(spec);
  const sub = `.${spec.slice(name.length)}`;
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const pkgDir = join(dir, 'node_modules', name);
    const manifest = join(pkgDir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: unknown; main?: string };
      const target = pkg.exports !== undefined ? exportTarget(pkg.exports, sub) : sub === '.' ? pkg.main ?? 'index.js' : sub;
      if (target === undefined) throw new Error(`--backend-module ${spec}: package ${name} (${pkgDir}) does not export "${sub}" for import; check its package.json "exports"`);
      const file = resolve(pkgDir, target);
      if (existsSync(file)) return file;
      throw new Error(`--backend-module ${spec}: package ${name} points at ${file}, which does not exist (is the package built?)`);
    }
    if (dirname(dir) === dir) return undefined;
  }
}

function exportTarget(exports: unknown, sub: string): string | undefined {
  const isMap = (o: unknown): o is Record<string, unknown> => typeof o === 'object' && o !== null && !Array.isArray(o);
  const pick = (t: unknown): string | undefined => {
    if (typeof t === 'string') return t;
    if (Array.isArray(t)) return t.map(pick).find((x) => x !== undefined);
    if (isMap(t)) for (const c of ['import', 'node', 'default']) if (c in t) { const r = pick(t[c]); if (r !== undefined) return r; }
    return undefined;
  };
  if (!isMap(exports) || !Object.keys(exports).some((k) => k.startsWith('.'))) return sub === '.' ? pick(exports) : undefined;
  return pick(exports[sub]);
}

const loaded = new Map<string, LoadedBackendModule>();

/**
 * Import each module (once per process) and check it registered at least one backend. A module
 * that registers nothing is an error: the user asked for a backend and would otherwise get
 * "unknown backend" with no hint why.
 */
export async function loadBackendModules(specifiers: readonly string[], cwd: string = process.cwd()): Promise<LoadedBackendModule[]> {
  const out: LoadedBackendModule[] = [];
  for (const specifier of specifiers) {
    const url = resolveBackendModule(specifier, cwd);
    const done = loaded.get(url);
    if (done) { out.push(done); continue; }
    const before = new Map<string, BackendEntry>(registeredBackends().map((e) => [e.name, e]));
    try {
      await import(url);
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      // The usual first stumble: a module outside any project that has @clt/core installed.
      const hint = /Cannot find package '@clt\//.test(msg) ? '; install @clt/core where the module can import it (npm install @clt/core in its folder or a parent), or put the module inside a project that has it' : '';
      throw new Error(`--backend-module ${specifier}: importing ${fileURLToPath(url)} failed: ${msg}${hint}`);
    }
    // registerBackend makes a new entry each call, so a re-registered name counts as registered.
    const names = registeredBackends().filter((e) => before.get(e.name) !== e).map((e) => e.name);
    if (names.length === 0)
      throw new Error(`--backend-module ${specifier}: ${fileURLToPath(url)} loaded but registered no backend; when imported it must call registerBackend('<name>', () => new YourBackend(), { priority }) from @clt/core (see docs/writing-a-backend.md)`);
    const m = { specifier, url, names };
    loaded.set(url, m);
    out.push(m);
  }
  return out;
}

/** Every module loaded so far in this process (for `clt backends` and its child probes). */
export function loadedBackendModules(): LoadedBackendModule[] {
  return [...loaded.values()];
}
