/**
 * Child-process entry of `clt backends` (see backendTable in backends.ts): argv = what to import
 * (a backend package's `/register` entry, or the file URL of a `--backend-module`), then the
 * backend names it registers. Imports it, probes each backend, and prints one result line on
 * stdout. Whatever the native libraries print to stderr stays with the parent, which shows it only
 * when asked (`--verbose`).
 */
import { registeredBackends } from '@clt/core';
import { PROBE_RESULT_PREFIX, probeEntry, type BackendRow } from './backends.js';

const [source, ...names] = process.argv.slice(2);
const rows: BackendRow[] = [];
if (source) {
  // A variable specifier: the package may be absent (then the parent reports the exit).
  await import(source);
  for (const e of registeredBackends()) if (names.includes(e.name)) rows.push(await probeEntry(e));
}
process.stdout.write(`${PROBE_RESULT_PREFIX}${JSON.stringify({ rows })}\n`);
// Native libraries (Dawn, TensorFlow) can keep the event loop alive; the answer is out, so leave.
process.exit(0);
