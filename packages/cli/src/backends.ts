import { registeredBackends, resolveBackend, type Availability, type Backend } from '@clt/core';

/** The register entries of the backend packages, imported lazily: a missing native binding must not break the CLI. */
export const BACKEND_PACKAGES = ['@clt/backend-onnxruntime', '@clt/backend-tfjs', '@clt/backend-tfjs-node', '@clt/backend-tfjs-node-gpu'] as const;

export const DEFAULT_BACKEND = 'onnxruntime-cpu';

let loaded: Promise<{ pkg: string; error: string }[]> | undefined;

/** Import every backend package's `/register` entry once; returns the packages that failed and why. */
export function loadBackendPackages(): Promise<{ pkg: string; error: string }[]> {
  loaded ??= (async () => {
    const failed: { pkg: string; error: string }[] = [];
    for (const pkg of BACKEND_PACKAGES) {
      const entry = `${pkg}/register`;
      try {
        await import(entry);
      } catch (e) {
        failed.push({ pkg, error: firstLine((e as Error).message ?? String(e)) });
      }
    }
    return failed;
  })();
  return loaded;
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

/** Availability of every registered backend (each is created and asked; failures become reasons). */
export async function backendTable(): Promise<{ rows: BackendRow[]; packageFailures: { pkg: string; error: string }[] }> {
  const packageFailures = await loadBackendPackages();
  const rows: BackendRow[] = [];
  for (const e of registeredBackends()) {
    let a: Availability, dtypes: readonly string[] = [];
    try {
      const b = await e.factory();
      a = await b.availability();
      dtypes = b.dtypes;
      await b.dispose().catch(() => undefined);
    } catch (err) {
      a = { available: false, reason: firstLine((err as Error).message ?? String(err)) };
    }
    rows.push({ name: e.name, available: a.available, priority: e.priority, detail: a.available ? a.detail ?? '' : a.reason, description: e.description ?? '', dtypes });
  }
  return { rows, packageFailures };
}

function firstLine(s: string): string {
  const l = s.split('\n')[0] ?? s;
  return l.length > 300 ? `${l.slice(0, 297)}...` : l;
}
