import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Option } from 'commander';
import { registeredBackends, resolveBackend, type Availability, type Backend, type BackendEntry } from '@clt/core';
import { BACKEND_MODULES_ENV, envBackendModules, loadBackendModules, resolveBackendModule, type LoadedBackendModule } from './backend-modules.js';

/** The register entries of the backend packages, imported lazily: a missing native binding must not break the CLI. */
export const BACKEND_PACKAGES = ['@clt/backend-onnxruntime', '@clt/backend-tfjs', '@clt/backend-tfjs-node', '@clt/backend-tfjs-node-gpu'] as const;

export const DEFAULT_BACKEND = 'onnxruntime-cpu';

/**
 * Which package registers a backend name. Only @clt/backend-onnxruntime is a dependency of the CLI;
 * the others are optional peers (their native parts weigh hundreds of MB), so a name from one that
 * is not installed must say what to install.
 */
export function packageForBackend(name: string): (typeof BACKEND_PACKAGES)[number] | undefined {
  if (name.startsWith('tfjs-node-gpu')) return '@clt/backend-tfjs-node-gpu';
  if (name.startsWith('tfjs-node')) return '@clt/backend-tfjs-node';
  if (name.startsWith('tfjs-')) return '@clt/backend-tfjs';
  if (name.startsWith('onnxruntime-')) return '@clt/backend-onnxruntime';
  return undefined;
}

/** The package is absent (not: it is there and its code failed), from an import() error. */
export function isNotInstalled(e: unknown, pkg: string): boolean {
  const err = e as { code?: string; message?: string };
  return (err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND') && (err.message ?? '').includes(`'${pkg}`);
}

export const NOT_INSTALLED = 'not installed';

let loaded: Promise<{ pkg: string; error: string }[]> | undefined;
/**
 * What a child process imports to get each backend name again: a package's `/register` entry or a
 * `--backend-module` file URL. Names registered before any of these (core's `reference`) have none.
 */
const sourceOf = new Map<string, string>();

function noteSources(source: string): void {
  for (const e of registeredBackends()) if (!sourceOf.has(e.name)) sourceOf.set(e.name, source);
}

/**
 * Import every backend package's `/register` entry once, then the modules named in
 * CLT_BACKEND_MODULES (a contributor's backend; they load last, so they may replace a name);
 * returns the packages that failed and why. A named module that fails is an error, not a row.
 */
export function loadBackendPackages(): Promise<{ pkg: string; error: string }[]> {
  loaded ??= (async () => {
    const builtIn = new Set(registeredBackends().map((e) => e.name));
    for (const n of builtIn) sourceOf.set(n, '');
    const failed: { pkg: string; error: string }[] = [];
    for (const pkg of BACKEND_PACKAGES) {
      try {
        await importRegister(pkg);
      } catch (e) {
        failed.push({ pkg, error: isNotInstalled(e, pkg) ? `${NOT_INSTALLED} (optional: npm install ${pkg})` : firstLine((e as Error).message ?? String(e)) });
      }
      noteSources(`${pkg}/register`);
    }
    for (const m of await loadBackendModules(envBackendModules())) noteModule(m);
    return failed;
  })();
  return loaded;
}

function noteModule(m: LoadedBackendModule): void {
  for (const n of m.names) sourceOf.set(n, m.url);
}

/**
 * `--backend-module` (repeatable): load the backend packages, then each module, and add the
 * modules' file URLs to CLT_BACKEND_MODULES so every child process (backend probes, sweep
 * workers) registers the same backends. Paths are resolved against `cwd`.
 */
export async function useBackendModules(specifiers: readonly string[], cwd: string = process.cwd()): Promise<LoadedBackendModule[]> {
  if (specifiers.length === 0) return [];
  // A mistyped path fails at once, before the backend packages' native libraries load.
  for (const s of specifiers) resolveBackendModule(s, cwd);
  await loadBackendPackages();
  const mods = await loadBackendModules(specifiers, cwd);
  for (const m of mods) noteModule(m);
  const env = envBackendModules();
  process.env[BACKEND_MODULES_ENV] = [...env, ...mods.map((m) => m.url).filter((u) => !env.includes(u))].join(',');
  return mods;
}

/** The `--backend-module` specifiers of the command being run (set by the program's preAction hook). */
let requested: { specifiers: readonly string[]; cwd: string } = { specifiers: [], cwd: process.cwd() };

/**
 * Record the `--backend-module` specifiers of this command; they load when a backend is first
 * resolved or listed (backendFor, backendTable), i.e. inside the action, so parsing alone never
 * imports code. Replaces the previous request: one command per parse.
 */
export function requestBackendModules(specifiers: readonly string[], cwd: string = process.cwd()): void {
  requested = { specifiers: [...specifiers], cwd };
}

/** The backend packages, then CLT_BACKEND_MODULES, then this command's `--backend-module`s. */
async function loadAllBackends(): Promise<{ pkg: string; error: string }[]> {
  const failed = await loadBackendPackages();
  await useBackendModules(requested.specifiers, requested.cwd);
  return failed;
}

/** Import one backend package's `/register` entry (a variable specifier: the package may be absent). */
export async function importRegister(pkg: string): Promise<void> {
  const entry = `${pkg}/register`;
  await import(entry);
}

/** The backend the user asked for (default onnxruntime-cpu), with every reason if it cannot run. */
export async function backendFor(name: string | undefined): Promise<Backend> {
  const failed = await loadAllBackends();
  try {
    return await resolveBackend(name ?? DEFAULT_BACKEND);
  } catch (e) {
    const pkg = packageForBackend(name ?? DEFAULT_BACKEND);
    if (pkg && failed.some((f) => f.pkg === pkg && f.error.startsWith(NOT_INSTALLED))) {
      throw new Error(`backend '${name ?? DEFAULT_BACKEND}' comes from ${pkg}, which is not installed: run \`npm install ${pkg}\` (an optional dependency of @clt/cli), then the command again`);
    }
    const extra = failed.length ? `\n  packages that did not load: ${failed.map((f) => `${f.pkg} (${f.error})`).join('; ')}` : '';
    throw new Error(`${(e as Error).message}${extra}\n  run \`clt backends\` to see what is available here; a backend from another package loads with --backend-module <package | ./file.mjs>`);
  }
}

export interface BackendRow {
  readonly name: string;
  readonly available: boolean;
  readonly priority: number;
  readonly detail: string;
  readonly description: string;
  readonly dtypes: readonly string[];
}

/** Create one registered backend and ask it whether it can run here; failures become reasons. */
export async function probeEntry(e: BackendEntry): Promise<BackendRow> {
  let a: Availability, dtypes: readonly string[] = [];
  try {
    const b = await e.factory();
    a = await b.availability();
    dtypes = b.dtypes;
    await b.dispose().catch(() => undefined);
  } catch (err) {
    a = { available: false, reason: firstLine((err as Error).message ?? String(err)) };
  }
  return { name: e.name, available: a.available, priority: e.priority, detail: a.available ? a.detail ?? '' : a.reason, description: e.description ?? '', dtypes };
}

export interface BackendTableOptions {
  /**
   * Probe each backend package in its own child process (default true). Native GPU stacks write
   * straight to the process's stderr while they look for a device (Dawn: "Couldn't load Vulkan",
   * TensorFlow: absl/oneDNN lines), which no JavaScript can intercept; a child's stderr is captured
   * instead. It also keeps ONNX Runtime's Dawn and dawn.node out of one process.
   */
  readonly isolate?: boolean;
  /** Pass what the native libraries print through to this process's stderr (`clt backends --verbose`). */
  readonly nativeLogs?: boolean;
}

/** Availability of every registered backend (each is created and asked; failures become reasons). */
export async function backendTable(options: BackendTableOptions = {}): Promise<{ rows: BackendRow[]; packageFailures: { pkg: string; error: string }[] }> {
  const packageFailures = await loadAllBackends();
  const entries = registeredBackends();
  const child = options.isolate === false ? undefined : probeScript();
  const probed = new Map<string, BackendRow>();
  if (child) {
    // One child per package or module, all at once: each loads only its own native libraries.
    // Built-in names (core's reference: no native code) are probed here.
    const groups = new Map<string, BackendEntry[]>();
    for (const e of entries) {
      const source = sourceOf.get(e.name);
      if (source) groups.set(source, [...(groups.get(source) ?? []), e]);
    }
    const results = await Promise.all([...groups].map(([source, es]) => probeInChild(child, source, es, !!options.nativeLogs)));
    for (const r of results.flat()) probed.set(r.name, r);
  }
  const rows: BackendRow[] = [];
  for (const e of entries) rows.push(probed.get(e.name) ?? (await probeEntry(e)));
  return { rows, packageFailures };
}

/** The compiled child-process entry, or undefined when it is not built (then probes run in-process). */
function probeScript(): string | undefined {
  const here = fileURLToPath(new URL('./backend-probe.js', import.meta.url));
  if (existsSync(here)) return here;
  // Tests run this module from src/; the child is the built one.
  const built = fileURLToPath(new URL('../dist/backend-probe.js', import.meta.url));
  return existsSync(built) ? built : undefined;
}

/** Marks the child's result line on its stdout, which native libraries might also write to. */
export const PROBE_RESULT_PREFIX = 'clt-backend-probe-result ';
const PROBE_TIMEOUT_MS = 180_000;

/**
 * Probe the backends of one package (`source`: what to import) in a child process. A child that crashes (a native abort) or
 * hangs makes each of its backends unavailable with that as the reason, which is the truth.
 */
function probeInChild(script: string, source: string, entries: readonly BackendEntry[], nativeLogs: boolean): Promise<BackendRow[]> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [script, source, ...entries.map((e) => e.name)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d: Buffer) => { out += d; });
    p.stderr.on('data', (d: Buffer) => { err += d; if (nativeLogs) process.stderr.write(d); });
    const timer = setTimeout(() => p.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    const fail = (why: string): BackendRow[] => entries.map((e) => ({
      name: e.name, available: false, priority: e.priority, description: e.description ?? '', dtypes: [],
      detail: `probing ${source} in a child process failed: ${why}${lastLine(err) ? `; its last stderr line: ${lastLine(err)}` : ''} (run \`clt backends --verbose\` to see everything it printed)`,
    }));
    p.on('error', (e) => { clearTimeout(timer); resolve(fail(e.message)); });
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith(PROBE_RESULT_PREFIX));
      if (!line) return resolve(fail(signal ? `killed by ${signal}${signal === 'SIGKILL' ? ` (no answer in ${PROBE_TIMEOUT_MS / 1000} s)` : ''}` : `exit code ${code} without a result`));
      const got = JSON.parse(line.slice(PROBE_RESULT_PREFIX.length)) as { rows: BackendRow[] };
      // A backend the child did not answer for (it registered differently there) keeps a reason too.
      resolve(entries.map((e) => got.rows.find((r) => r.name === e.name) ?? fail('no answer for this backend')[0]!));
    });
  });
}

function lastLine(s: string): string {
  return firstLine(s.trim().split('\n').filter((l) => l.trim()).pop() ?? '');
}

function firstLine(s: string): string {
  const l = s.split('\n')[0] ?? s;
  return l.length > 300 ? `${l.slice(0, 297)}...` : l;
}

/** The `--backend-module` option, the same on `clt` and each command that takes --backend. */
export function backendModuleOption(): Option {
  return new Option('--backend-module <specifier>', `load a backend from another package before backends are resolved: a package name or a path to an ES module that calls registerBackend from @clt/core (repeatable; also ${BACKEND_MODULES_ENV}=a,b). It runs that module's code: name only modules you trust`)
    .argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
}
