import { createRequire } from 'node:module';
import os from 'node:os';

const require = createRequire(import.meta.url);

/**
 * Where to look a package up: from here, then from each backend package, since with pnpm's strict
 * layout a backend's own dependencies (onnxruntime-node, the tfjs packages) resolve only from it.
 */
const lookups = [require, ...['@clt/backend-onnxruntime', '@clt/backend-tfjs', '@clt/backend-tfjs-node'].flatMap((p) => {
  try {
    return [createRequire(require.resolve(`${p}/package.json`))];
  } catch {
    return [];
  }
})];

function version(pkg: string): string | undefined {
  for (const r of lookups) {
    try {
      return (r(`${pkg}/package.json`) as { version: string }).version;
    } catch {
      // not reachable from this package
    }
  }
  return undefined;
}

/** What the figures were measured on, stored beside every result. */
export function describeMachine() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    versions: Object.fromEntries(
      ['onnxruntime-node', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu', 'webgpu'].map((p) => [p, version(p) ?? 'not installed']),
    ),
  };
}
