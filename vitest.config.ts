import { defineConfig } from 'vitest/config';

/** What both projects share: the test database (see test/support/global-setup.ts) and processes as workers. */
const shared = { globalSetup: 'test/support/global-setup.ts', pool: 'forks' as const };

/**
 * Two projects. `default` (`npm test`): every test file outside test/system, files in parallel.
 * `system` (`npm run test:system`): the long runs with real processes — fuzzing at full size,
 * crash safety, a database restart — one file at a time, since one of them stops the local
 * PostgreSQL; when both projects run together, `system` starts after `default` has finished.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: 'default',
          include: ['test/**/*.test.ts'],
          exclude: ['test/system/**'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          ...shared,
          name: 'system',
          include: ['test/system/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
