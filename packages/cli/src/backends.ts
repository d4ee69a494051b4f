import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { registeredBackends, resolveBackend, type Availability, type Backend, type BackendEntry } from '@clt/core';

/** The register entries of the backend packages, imported lazily: a missing native binding must not break the CLI. */
export const BACKEND_PACKAGES = ['@clt/backend-onnxruntime', '@clt/backend-tfjs', '@clt/backend-tfjs-node', '@clt/backend-tfjs-node-gpu'] as const;

export const DEFAULT_BACKEND = 'onnxruntime-cpu';

let loaded: Promise<{ pkg: string; error: string }[]> | undefined;
/** Which package's `/register` entry added each backend name (filled by loadBackendPackages). */
const packageOf = new Map<string, string>();

/** Import every backend package's `/register` entry once; returns the packages that failed and why. */
export function loadBackendPackages(): Promise<{ pkg: string; error: string }[]> {
  loaded ??= (async () => {
    const failed: { pkg: string; error: string }[] = [];
    for (const pkg of BACKEND_PACKAGES) {
      try {
        await importRegister(pkg);
      } catch (e) {
        failed.push({ pkg, error: firstLine((e as Error).message ?? String(e)) });
      }
      for (const e of registeredBackends()) if (!packageOf.has(e.name)) packageOf.set(e.name, pkg);
    }
    return failed;
  })();
  return loaded;
}

/** Import one backend package's `/register` entry (a variable specifier: the package may be absent). */
export async function importRegister(pkg: string): Promise<void> {
  const entry = `${pkg}/register`;
  await import(entry);
}

/** The backend the user asked for (default onnxruntime-cpu), with every reason if it cannot run. */
export async function backendFor(name: string | undefined): Promise<Backend> {
  const failed = await loadBackendPackages();
  try {
    return await resolveBackend(name ?? DEFAULT_BACKEND);
  } catch (e) {
    const extra = failed.length ? `\n  packages that did not load: ${failed.map((f) => `${f.pkg} (${f.error})`).join('; ')}` : '';
    throw new Error(`${(e as Error).message}${extra}\n  run \`clt backends\` to see what is available here`);
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
  const packageFailures = await loadBackendPackages();
  const entries = registeredBackends();
  const child = options.isolate === false ? undefined : probeScript();
  const probed = new Map<string, BackendRow>();
  if (child) {
    // One child per package, all at once: each loads only its own native libraries.
    const groups = new Map<string, BackendEntry[]>();
    for (const e of entries) {
      const pkg = packageOf.get(e.name);
      if (pkg) groups.set(pkg, [...(groups.get(pkg) ?? []), e]);
    }
    const results = await Promise.all([...groups].map(([pkg, es]) => probeInChild(child, pkg, es, !!options.nativeLogs)));
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
 * Probe the backends of one package in a child process. A child that crashes (a native abort) or
 * hangs makes each of its backends unavailable with that as the reason, which is the truth.
 */
function probeInChild(script: string, pkg: string, entries: readonly BackendEntry[], nativeLogs: boolean): Promise<BackendRow[]> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [script, pkg, ...entries.map((e) => e.name)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d: Buffer) => { out += d; });
    p.stderr.on('data', (d: Buffer) => { err += d; if (nativeLogs) process.stderr.write(d); });
    const timer = setTimeout(() => p.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    const fail = (why: string): BackendRow[] => entries.map((e) => ({
      name: e.name, available: false, priority: e.priority, description: e.description ?? '', dtypes: [],
      detail: `probing ${pkg} in a child process failed: ${why}${lastLine(err) ? `; its last stderr line: ${lastLine(err)}` : ''} (run \`clt backends --verbose\` to see everything it printed)`,
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
