// `node --import ./no-duckdb.mjs …`: this process resolves `@duckdb/node-api` (and its binding
// packages) as an install without them would: Node's ERR_MODULE_NOT_FOUND, same code and message.
// The tests use it to run the CLI as a user who did not install the optional results store.
import { register } from 'node:module';

const hook = `
export async function resolve(specifier, context, next) {
  if (specifier === '@duckdb/node-api' || specifier.startsWith('@duckdb/')) {
    const e = new Error("Cannot find package '" + specifier + "' imported from " + (context.parentURL ? new URL(context.parentURL).pathname : 'the command line'));
    e.code = 'ERR_MODULE_NOT_FOUND';
    throw e;
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
