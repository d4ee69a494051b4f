/**
 * DuckDB, loaded on first use. `@duckdb/node-api` (with its native binding, about 70 MB) is an
 * optional peer dependency: only the sweep results store needs it (ingesting runs, `clt sweep
 * query`, `clt sweep export`, the `clt reproduce` verdicts). A sweep runs without it (the run folders
 * hold every result) and its report is then read from the run folders.
 */
type DuckDB = typeof import('@duckdb/node-api');

/** The package the store needs. */
export const DUCKDB_PACKAGE = '@duckdb/node-api';
/**
 * The version this release is built and tested against (the peer range of @clt/experiments and
 * @clt/cli). DuckDB's Node packages only publish prerelease-tagged versions, which a caret range
 * does not span, so the install command names it.
 */
export const DUCKDB_VERSION = '1.5.6-r.1';

/** What the user runs to get the store. */
export const DUCKDB_INSTALL = `npm install ${DUCKDB_PACKAGE}@${DUCKDB_VERSION}`;

/** Thrown by everything that opens the results store when `@duckdb/node-api` cannot be loaded. */
export class StoreUnavailableError extends Error {
  /** `CLT_STORE_UNAVAILABLE`, for callers that tell this error apart from others. */
  readonly code = 'CLT_STORE_UNAVAILABLE';
  /** Why the import failed (the loader's own message). */
  readonly reason: string;
  /**
   * @param reason - the failed import's message
   * @param notInstalled - the package is absent (else: it is there but does not load, e.g. its native binding)
   */
  constructor(reason: string, notInstalled: boolean) {
    super(notInstalled
      ? `the sweep results store needs ${DUCKDB_PACKAGE}, which is not installed; install it with ${DUCKDB_INSTALL} (an optional dependency of @clt/cli and @clt/experiments), then run the command again`
      : `the sweep results store needs ${DUCKDB_PACKAGE}, which is installed but could not be loaded (${reason}); reinstall it with ${DUCKDB_INSTALL}, then run the command again`);
    this.name = 'StoreUnavailableError';
    this.reason = reason;
  }
}

/** The error of a failed import says the package (not one of ITS dependencies) is absent. */
function isNotInstalled(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return (err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND') && (err.message ?? '').includes(`'${DUCKDB_PACKAGE}'`);
}

const defaultLoader = (): Promise<DuckDB> => import('@duckdb/node-api');
let loader: () => Promise<unknown> = defaultLoader;
let loaded: Promise<DuckDB> | undefined;

/**
 * Replace how DuckDB is imported (tests simulate an install without it), or restore the real import
 * with no argument. Forgets a module loaded before.
 */
export function setDuckDBLoader(load?: () => Promise<unknown>): void {
  loader = load ?? defaultLoader;
  loaded = undefined;
}

/** `@duckdb/node-api`, imported once; rejects with a {@link StoreUnavailableError} naming what to install. */
export function loadDuckDB(): Promise<DuckDB> {
  loaded ??= loader().then((m) => m as DuckDB, (e: unknown) => {
    loaded = undefined; // installed meanwhile: the next call tries again
    throw new StoreUnavailableError(String((e as Error)?.message ?? e).split('\n')[0]!, isNotInstalled(e));
  });
  return loaded;
}

/** Whether the results store can be used here (`@duckdb/node-api` loads). */
export async function storeAvailable(): Promise<boolean> {
  return (await storeUnavailableReason()) === undefined;
}

/** The store's error, or undefined when it can be used: for saying once, up front, what is missing. */
export async function storeUnavailableReason(): Promise<StoreUnavailableError | undefined> {
  try {
    await loadDuckDB();
    return undefined;
  } catch (e) {
    if (e instanceof StoreUnavailableError) return e;
    throw e;
  }
}
