import { cp, mkdtemp, rm, writeFile, appendFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TestDatabase } from '../../../test/support/infra.ts';
import { MigrationError, runMigrations } from './migrate.ts';
import { defaultMigrationsDir } from './paths.ts';

/** startPostgres() migrates; these tests need empty databases, so they drop the schema first. */
async function emptyDatabase(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  await c.end();
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('migration runner', () => {
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    db = await startPostgres();
    dir = await mkdtemp(join(tmpdir(), 'mcp-auth-migrations-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await db?.stop();
  });

  it('applies every migration once, recorded in Prisma’s table format', async () => {
    await emptyDatabase(db.url);
    const first = await runMigrations(db.url, defaultMigrationsDir);
    expect(first.applied.length).toBeGreaterThan(0);
    const second = await runMigrations(db.url, defaultMigrationsDir);
    expect(second).toEqual({ applied: [], alreadyApplied: first.applied.length });
    const rows = await query<{
      migration_name: string;
      checksum: string;
      finished_at: Date;
      applied_steps_count: number;
    }>(db.url, 'SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations');
    expect(rows.map((r) => r.migration_name).sort()).toEqual(first.applied);
    for (const r of rows) {
      expect(r.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(r.finished_at).toBeInstanceOf(Date);
      expect(r.applied_steps_count).toBe(1);
    }
    expect(await query(db.url, 'SELECT 1 FROM oauth_clients')).toEqual([]);
  });

  it('lets concurrent starters race safely: each migration is applied exactly once', async () => {
    await emptyDatabase(db.url);
    const results = await Promise.all([1, 2, 3, 4].map(() => runMigrations(db.url, defaultMigrationsDir)));
    const appliedCounts = results.map((r) => r.applied.length).sort();
    expect(appliedCounts.slice(0, 3)).toEqual([0, 0, 0]);
    expect(appliedCounts[3]).toBeGreaterThan(0);
    const [row] = await query<{ count: string }>(db.url, 'SELECT count(*) FROM _prisma_migrations');
    expect(Number(row?.count)).toBe(appliedCounts[3]);
  });

  it('refuses to start when an applied migration was changed afterwards', async () => {
    await emptyDatabase(db.url);
    const copy = join(dir, 'changed');
    await cp(defaultMigrationsDir, copy, { recursive: true });
    const { applied } = await runMigrations(db.url, copy);
    await appendFile(join(copy, applied[0]!, 'migration.sql'), '\n-- edited after the fact\n');
    await expect(runMigrations(db.url, copy)).rejects.toThrow(MigrationError);
    await expect(runMigrations(db.url, copy)).rejects.toThrow(/was modified after it was applied/);
  });

  it('rolls back a failing migration and leaves it unrecorded, so a fixed file can be applied', async () => {
    await emptyDatabase(db.url);
    const copy = join(dir, 'failing');
    await cp(defaultMigrationsDir, copy, { recursive: true });
    await mkdir(join(copy, '29991231000000_broken'));
    await writeFile(
      join(copy, '29991231000000_broken', 'migration.sql'),
      'CREATE TABLE ok_part (id int);\nSELECT nope;',
    );
    await expect(runMigrations(db.url, copy)).rejects.toThrow(/29991231000000_broken failed/);
    expect(await query(db.url, "SELECT 1 FROM pg_tables WHERE tablename = 'ok_part'")).toEqual([]);
    await writeFile(join(copy, '29991231000000_broken', 'migration.sql'), 'CREATE TABLE ok_part (id int);');
    const { applied } = await runMigrations(db.url, copy);
    expect(applied).toEqual(['29991231000000_broken']);
  });
});
