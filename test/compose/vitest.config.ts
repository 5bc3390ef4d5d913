import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// `npm run test:compose`: the compose suite needs a Docker engine, so it is not part of `npm test`
// (no project of the root vitest.config.ts includes *.compose.test.ts).
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../../', import.meta.url)),
    include: ['test/compose/**/*.compose.test.ts'],
    // Building the image and starting eight containers takes minutes on a cold cache.
    testTimeout: 180_000,
    hookTimeout: 900_000,
    fileParallelism: false,
  },
});
