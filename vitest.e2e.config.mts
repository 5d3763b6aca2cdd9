import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    globalSetup: ['test/e2e/globalSetup.ts'],
    testTimeout: 180_000,
    hookTimeout: 600_000,
    fileParallelism: false,
    // UI timing in a shared 2-core machine: one retry, reported as such by vitest.
    retry: 1,
    pool: 'forks',
    reporters: ['verbose'],
  },
});
