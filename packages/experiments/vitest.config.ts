import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

// Tests import @clt/core from source so they run without a prior build (as in @clt/cli).
const src = (pkg: string, p: string) => fileURLToPath(new URL(`../${pkg}/src/${p}`, import.meta.url));
export default defineConfig({
  resolve: { alias: [{ find: /^@clt\/core$/, replacement: src('core', 'index.ts') }] },
  test: { globalSetup: ['../../scripts/vitest-temp-root.mjs'], include: ['src/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
});
