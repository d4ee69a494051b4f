import type { BackendEntry } from '../backend/registry.js';
import { ReferenceBackend } from './backend.js';

/**
 * The float64 `reference` backend as a registry entry. Opt-in (negative priority): it is exact but
 * slow, so `resolveBackend()` never picks it by default, while `resolveBackend('reference')` and
 * `clt train --backend reference` work. The registry seeds itself with this entry, so no import is
 * needed; this file only defines it (it must not import the registry's values: that would be a cycle).
 */
export const REFERENCE_ENTRY: BackendEntry = {
  name: 'reference',
  factory: () => new ReferenceBackend(),
  priority: -100,
  description: 'float64 interpreter in plain TypeScript: exact and slow, the oracle the other backends are checked against (opt-in)',
};
