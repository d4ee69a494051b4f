import { defineConfig } from 'vitest/config';
export default defineConfig({
  test: {
    globalSetup: ['../../scripts/vitest-temp-root.mjs'],
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    // Type-level tests (*.test-d.ts): compiled by tsc against tsconfig.json (which includes src),
    // never executed. Each `test` in them counts in the report like a runtime test. A type error
    // anywhere in src (test files included) fails the run.
    typecheck: { enabled: true, include: ['src/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});
