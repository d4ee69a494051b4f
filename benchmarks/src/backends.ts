import { ReferenceBackend, registeredBackends, type Backend } from '@clt/core';

/**
 * The packages whose `/register` entry adds backends to the core registry. Static import strings,
 * so a bundler (the GPU-machine bundle) can follow them.
 */
export const BACKEND_PACKAGES: Record<string, () => Promise<unknown>> = {
  '@clt/backend-onnxruntime': () => import('@clt/backend-onnxruntime/register'),
  '@clt/backend-tfjs': () => import('@clt/backend-tfjs/register'),
  '@clt/backend-tfjs-node': () => import('@clt/backend-tfjs-node/register'),
  '@clt/backend-tfjs-node-gpu': () => import('@clt/backend-tfjs-node-gpu/register'),
};

export interface BackendStatus {
  readonly name: string;
  readonly available: boolean;
  /** Why not, in words a user can act on. */
  readonly reason?: string;
  /** Asked for by name but registered by nothing loaded. */
  readonly unknown?: boolean;
  readonly backend?: Backend;
}

/** Import every backend package's register entry; a package that fails to import is reported, not fatal. */
export async function registerAll(): Promise<string[]> {
  const problems: string[] = [];
  for (const [p, load] of Object.entries(BACKEND_PACKAGES)) {
    try {
      await load();
    } catch (err) {
      problems.push(`${p}: ${(err as Error).message}`);
    }
  }
  return problems;
}

/**
 * Import the modules of `--backend-module` and CLT_BACKEND_MODULES (after the packages, so a
 * contributor's backend may replace a name). Errors name the specifier and the folder it was
 * resolved from. Loaded only when named: the loader comes from @clt/cli, shared with `clt`.
 */
export async function loadModules(cliModules: readonly string[] = [], cwd: string = process.cwd()): Promise<string[]> {
  const { envBackendModules, loadBackendModules } = await import('@clt/cli/backend-modules');
  const specs = [...envBackendModules(), ...cliModules];
  if (specs.length === 0) return [];
  return (await loadBackendModules(specs, cwd)).flatMap((m) => m.names);
}

/**
 * Every registered backend with its availability (the float64 reference first). `only` restricts
 * to the named ones; an unknown name is reported as unavailable (`unknown: true`) with the list of
 * registered names. `modules` are loaded first (see loadModules).
 */
export async function discoverBackends(only?: readonly string[], options: { modules?: readonly string[] } = {}): Promise<BackendStatus[]> {
  await registerAll();
  await loadModules(options.modules);
  const entries = registeredBackends();
  const out: BackendStatus[] = [{ name: 'reference', available: true, backend: new ReferenceBackend() }];
  for (const e of entries) {
    // Only instantiate what was asked for: two GPU stacks (ORT's Dawn and dawn.node) in one
    // process can abort it, and native factories are slow to start.
    if (e.name === 'reference' || (only?.length && !only.includes(e.name))) continue;
    try {
      const b = await e.factory();
      const a = await b.availability();
      out.push(a.available ? { name: e.name, available: true, backend: b } : { name: e.name, available: false, reason: a.reason });
    } catch (err) {
      out.push({ name: e.name, available: false, reason: (err as Error).message });
    }
  }
  if (!only?.length) return out;
  const known = entries.map((e) => e.name);
  return only.map((n) => out.find((s) => s.name === n) ?? {
    name: n, available: false, unknown: true,
    reason: `unknown backend (registered: ${known.join(', ')}); a backend from another package loads with --backend-module <package | ./file.mjs>`,
  });
}
