import { AUDIT_EVENT_TYPES, type Prisma } from '@mcp-auth/core';
import { z } from 'zod';
import { audited } from './audited.ts';
import type { AdminActor, AdminDeps } from './deps.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The filters of `admin audit list` and `GET /admin/v1/audit`, validated in one place. */
export const auditQuerySchema = z
  .object({
    type: z.enum(AUDIT_EVENT_TYPES).optional(),
    outcome: z.enum(['success', 'failure']).optional(),
    /** A username, or a user id (kept in events after the user is deleted). */
    user: z.string().min(1).max(256).optional(),
    client: z.string().min(1).max(2048).optional(),
    /** ISO 8601 date or date-time. */
    since: z.coerce.date().optional(),
    until: z.coerce.date().optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();
export type AuditQuery = z.input<typeof auditQuerySchema>;

export interface AuditEventView {
  id: string;
  at: Date;
  type: string;
  outcome: string;
  actor: string | null;
  address: string | null;
  clientId: string | null;
  userId: string | null;
  detail: unknown;
}

/** The newest events matching every filter given, newest first. */
export async function queryAudit(
  deps: AdminDeps,
  who: AdminActor,
  input: AuditQuery,
): Promise<AuditEventView[]> {
  const query = auditQuerySchema.parse(input);
  return audited(
    deps,
    who,
    'audit.list',
    {
      detail: { filter: { ...query, since: query.since?.toISOString(), until: query.until?.toISOString() } },
    },
    async () => {
      let userId: string | undefined;
      if (query.user) {
        const byName = await deps.prisma.user.findUnique({ where: { username: query.user } });
        userId = byName?.id ?? (UUID.test(query.user) ? query.user : undefined);
        // An unknown name matches no event (rather than every event).
        if (!userId) return [];
      }
      const where: Prisma.AuditEventWhereInput = {
        type: query.type,
        outcome: query.outcome,
        userId,
        clientId: query.client,
        at: query.since || query.until ? { gte: query.since, lte: query.until } : undefined,
      };
      const rows = await deps.prisma.auditEvent.findMany({
        where,
        orderBy: [{ at: 'desc' }, { id: 'desc' }],
        take: query.limit,
      });
      return rows.map((r) => ({ ...r, id: r.id.toString() }));
    },
    (events) => ({ count: events.length }),
  );
}
