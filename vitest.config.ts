import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The resource-server library is published built (dist/); tests read its source, as tsconfig's
// `paths` make tsc, tsx and esbuild do.
const resolve = {
  alias: {
    '@mcp-auth/resource-server': fileURLToPath(
      new URL('./packages/resource-server/src/index.ts', import.meta.url),
    ),
  },
};

// Three projects so a developer can run the fast ones alone (`npm run test:unit`).
// Integration and end-to-end suites get Postgres/Redis from TEST_DATABASE_URL / TEST_REDIS_URL,
// else from testcontainers (Docker), else from servers started for the run; the global setup
// chooses and starts them once for both projects (see test/support/infra-servers.ts).
const infraSetup = 'test/support/infra-setup.ts';

export default defineConfig({
  test: {
    projects: [
      {
        resolve,
        test: {
          name: 'unit',
          include: [
            'packages/**/*.test.ts',
            'services/**/*.test.ts',
            'client/**/*.test.ts',
            'test/helm/**/*.test.ts',
          ],
          exclude: ['**/node_modules/**', '**/*.int.test.ts'],
        },
      },
      {
        resolve,
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
        resolve,
        test: {
          name: 'e2e',
          include: [
            'test/e2e/**/*.e2e.test.ts',
            'test/stack/**/*.e2e.test.ts',
            'test/faults/**/*.e2e.test.ts',
            'test/hostile/**/*.e2e.test.ts',
          ],
          globalSetup: [infraSetup],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
