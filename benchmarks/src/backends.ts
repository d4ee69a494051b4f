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
 * Every registered backend with its availability (the float64 reference first). `only` restricts
 * to the named ones; an unknown name is reported as unavailable with the list of known names.
 */
export async function discoverBackends(only?: readonly string[]): Promise<BackendStatus[]> {
  await registerAll();
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
  const known = out.map((s) => s.name);
  return only.map((n) => out.find((s) => s.name === n) ?? { name: n, available: false, reason: `unknown backend (known: ${known.join(', ')})` });
}
