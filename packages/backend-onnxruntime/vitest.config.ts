import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

// Tests import @clt/core from source so they run without a prior build; `pnpm build` still
// type-checks this package against core's published types.
const core = (p: string) => fileURLToPath(new URL(`../core/src/${p}`, import.meta.url));
export default defineConfig({
  resolve: { alias: [
    { find: /^@clt\/core\/testing$/, replacement: core('testing/index.ts') },
    { find: /^@clt\/core$/, replacement: core('index.ts') },
  ] },
  test: { globalSetup: ['../../scripts/vitest-temp-root.mjs'], include: ['src/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
});
