import { defineConfig } from 'prisma/config';

// No datasource URL here: `prisma generate` needs none, and the project's own migration runner
// (packages/core/src/migrate.ts) applies prisma/migrations with DATABASE_URL at run time.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
