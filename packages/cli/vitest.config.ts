import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

// Tests import @clt/core and the backends from source so they run without a prior build and share
// ONE copy of core (one backend registry); `pnpm build` still type-checks against published types.
const src = (pkg: string, p: string) => fileURLToPath(new URL(`../${pkg}/src/${p}`, import.meta.url));
export default defineConfig({
  resolve: { alias: [
    { find: /^@clt\/core\/testing$/, replacement: src('core', 'testing/index.ts') },
    { find: /^@clt\/core$/, replacement: src('core', 'index.ts') },
    { find: /^@clt\/backend-onnxruntime\/register$/, replacement: src('backend-onnxruntime', 'register.ts') },
    { find: /^@clt\/backend-onnxruntime$/, replacement: src('backend-onnxruntime', 'index.ts') },
    { find: /^@clt\/backend-tfjs\/register$/, replacement: src('backend-tfjs', 'register.ts') },
    { find: /^@clt\/backend-tfjs$/, replacement: src('backend-tfjs', 'index.ts') },
  ] },
  test: { globalSetup: ['../../scripts/vitest-temp-root.mjs'], include: ['src/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
});
