import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

// Tests import @clt/core and @clt/backend-tfjs from source so they run without a prior build;
// `pnpm build` still type-checks this package against their published types.
const src = (pkg: string, p: string) => fileURLToPath(new URL(`../${pkg}/src/${p}`, import.meta.url));
export default defineConfig({
  resolve: { alias: [
    { find: /^@clt\/core\/testing$/, replacement: src('core', 'testing/index.ts') },
    { find: /^@clt\/core$/, replacement: src('core', 'index.ts') },
    { find: /^@clt\/backend-tfjs$/, replacement: src('backend-tfjs', 'index.ts') },
  ] },
  test: { globalSetup: ['../../scripts/vitest-temp-root.mjs'], include: ['src/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
});
