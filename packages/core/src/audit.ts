import type { Prisma, PrismaClient } from './db.ts';
import type { Logger } from './logger.ts';

/**
 * The security events the audit log records. One name per fact, dotted by subject; new kinds are
 * added here so every writer and reader (admin CLI/API, logs) shares the spelling.
 */
export const AUDIT_EVENT_TYPES = [
  'login.succeeded',
  'login.failed',
  'consent.granted',
  'consent.denied',
  'consent.withdrawn',
  'token.issued',
  'token.revoked',
  'refresh.reuse_detected',
  'client.registered',
  'client.updated',
  'client.deleted',
  'user.signed_out',
  'admin.action',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export interface AuditEntry {
  type: AuditEventType;
  outcome: 'success' | 'failure';
  /** Who acted: `user:<id>`, `client:<id>`, `admin:<name>` or `system`. */
  actor?: string;
  /** The caller's network address. */
  address?: string;
  clientId?: string;
  userId?: string;
  /** Event-specific facts. Never secrets, passwords or tokens. */
  detail?: Record<string, unknown>;
}

export interface AuditLog {
  /**
   * Queues the event and logs it at once. It reaches the table within `flushIntervalMs` (or when
   * the queue is full): writing on the request path would add a database round trip to every
   * token, which is the hottest endpoint.
   */
  record(event: AuditEntry): void;
  /** Writes what is queued; call it before closing the database. */
  flush(): Promise<void>;
}

export interface AuditLogOptions {
  prisma: PrismaClient;
  logger: Logger;
  flushIntervalMs?: number;
  maxQueued?: number;
}

/**
 * A batched writer: events queue in memory and go to the table in one INSERT per flush. What is
 * still queued when the process is killed (at most one interval's worth) exists only in the log
 * stream, which has the same facts; a graceful stop flushes first. A write that fails is logged
 * and retried with the next batch, up to `maxQueued` events, so an outage of the database does not
 * grow memory without bound.
 */
export function createAuditLog(options: AuditLogOptions): AuditLog {
  const { prisma, logger } = options;
  const interval = options.flushIntervalMs ?? 200;
  const maxQueued = options.maxQueued ?? 10_000;
  let queue: Prisma.AuditEventCreateManyInput[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const write = async () => {
    timer = undefined;
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    try {
      await prisma.auditEvent.createMany({ data: batch });
    } catch (error) {
      const room = Math.max(0, maxQueued - queue.length);
      const kept = batch.slice(-room);
      queue = [...kept, ...queue];
      logger.error(
        { err: error, events: batch.length, dropped: batch.length - kept.length },
        'audit: write failed; retrying with the next batch',
      );
      schedule();
    }
  };
  const schedule = () => {
    if (timer) return;
    timer = setTimeout(() => {
      writing = writing.then(write);
    }, interval);
    timer.unref();
  };

  return {
    record(event) {
      logger.info({ audit: event }, `audit: ${event.type} ${event.outcome}`);
      if (queue.length >= maxQueued) queue.shift();
      queue.push({
        type: event.type,
        outcome: event.outcome,
        actor: event.actor,
        address: event.address,
        clientId: event.clientId,
        userId: event.userId,
        detail: event.detail as Prisma.InputJsonValue | undefined,
      });
      if (queue.length >= 500) {
        if (timer) clearTimeout(timer);
        timer = undefined;
        writing = writing.then(write);
      } else schedule();
    },
    async flush() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      writing = writing.then(write);
      await writing;
    },
  };
}
