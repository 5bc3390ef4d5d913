import { defineConfig } from 'vitest/config';

// Three projects so a developer can run the fast ones alone (`npm run test:unit`).
// Integration and end-to-end suites get Postgres/Redis from TEST_DATABASE_URL / TEST_REDIS_URL,
// else from testcontainers (Docker), else from servers started for the run; the global setup
// chooses and starts them once for both projects (see test/support/infra-servers.ts).
const infraSetup = 'test/support/infra-setup.ts';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/**/*.test.ts', 'services/**/*.test.ts', 'client/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/*.int.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts'],
          globalSetup: [infraSetup],
          exclude: ['**/node_modules/**'],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e.test.ts', 'test/stack/**/*.e2e.test.ts'],
          globalSetup: [infraSetup],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
