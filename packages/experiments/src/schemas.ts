import { fileURLToPath } from 'node:url';

/** The published JSON Schemas (files in the package's schemas/ folder). */
export const SCHEMA_NAMES = ['summary', 'metrics-record', 'runs-table', 'probes-table'] as const;
/** The name of a published JSON Schema, one of {@link SCHEMA_NAMES}, as {@link schemaPath} takes it. */
export type SchemaName = (typeof SCHEMA_NAMES)[number];

/** Absolute path of a published schema, e.g. schemaPath('summary') → …/schemas/summary.schema.json. */
export function schemaPath(name: SchemaName): string {
  return fileURLToPath(new URL(`../schemas/${name}.schema.json`, import.meta.url));
}
