import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startPostgres, type TestDatabase } from '../../../test/support/infra.ts';
import { startTcpProxy } from '../../../test/support/tcp-proxy.ts';
import { createAuditLog } from './audit.ts';
import { createPrisma, type PrismaClient } from './db.ts';

describe('audit log', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  const logger = pino({ level: 'silent' });

  beforeAll(async () => {
    db = await startPostgres();
    prisma = createPrisma(db.url);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.stop();
  });

  it('writes queued events to the table on flush, with every field', async () => {
    const audit = createAuditLog({ prisma, logger, flushIntervalMs: 60_000 });
    audit.record({
      type: 'login.failed',
      outcome: 'failure',
      actor: 'user:alice',
      address: '127.0.0.1',
      clientId: 'c1',
      detail: { reason: 'bad password' },
    });
    audit.record({ type: 'token.issued', outcome: 'success', clientId: 'c1', userId: 'u1' });
    expect(await prisma.auditEvent.count()).toBe(0);
    await audit.flush();
    const rows = await prisma.auditEvent.findMany({ orderBy: { id: 'asc' } });
    expect(rows.map((r) => r.type)).toEqual(['login.failed', 'token.issued']);
    expect(rows[0]).toMatchObject({
      outcome: 'failure',
      actor: 'user:alice',
      address: '127.0.0.1',
      clientId: 'c1',
      detail: { reason: 'bad password' },
    });
    // Absent fields are NULL, not the string "null" or a JSON null.
    expect(rows[1]).toMatchObject({ actor: null, address: null, userId: 'u1', detail: null });
    expect(rows[1]!.at).toBeInstanceOf(Date);
  });

  it('writes by itself after the interval', async () => {
    const audit = createAuditLog({ prisma, logger, flushIntervalMs: 20 });
    audit.record({ type: 'client.deleted', outcome: 'success', clientId: 'timer' });
    await expect.poll(() => prisma.auditEvent.count({ where: { clientId: 'timer' } })).toBe(1);
  });

  it('keeps events across a database outage and writes them when it is back', async () => {
    const url = new URL(db.url);
    const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    const through = createPrisma(db.url.replace(`:${url.port || 5432}/`, `:${proxy.port}/`));
    try {
      const audit = createAuditLog({ prisma: through, logger, flushIntervalMs: 60_000 });
      await proxy.cut();
      audit.record({ type: 'admin.action', outcome: 'success', actor: 'admin:ops' });
      await audit.flush();
      expect(await prisma.auditEvent.count({ where: { actor: 'admin:ops' } })).toBe(0);
      await proxy.restore();
      await audit.flush();
      expect(await prisma.auditEvent.count({ where: { actor: 'admin:ops' } })).toBe(1);
    } finally {
      await through.$disconnect();
      await proxy.close();
    }
  });
});
