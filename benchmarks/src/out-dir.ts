import { fileURLToPath } from 'node:url';

/**
 * Where a run's JSON, Markdown and SVG go unless --out says otherwise: a git-ignored folder in
 * the working directory, so a casual `pnpm bench -- --quick` never rewrites the committed figures.
 */
export const DEFAULT_OUT = 'bench-results';

/** The committed figures under docs/ (relative to the repository, wherever clt-bench is run from). */
export const PUBLISH_OUT = fileURLToPath(new URL('../../docs/benchmarks/local', import.meta.url));

/** The output folder for --out / --publish: --publish writes into docs/benchmarks/local on purpose. */
export function outputFolder(o: { out?: string | undefined; publish?: boolean | undefined }): string {
  if (o.publish && o.out !== undefined)
    throw new Error(`--publish writes to ${PUBLISH_OUT}; it cannot be combined with --out ${o.out} (drop one of them)`);
  if (o.out !== undefined && o.out.trim() === '') throw new Error(`--out must name a folder (it is empty); the default is ${DEFAULT_OUT}`);
  return o.publish ? PUBLISH_OUT : o.out ?? DEFAULT_OUT;
}
