import type { PrismaClient } from './db.ts';
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

/** A queued row: the JSON detail already serialized, absent fields as SQL NULL. */
interface QueuedEvent {
  type: string;
  outcome: string;
  actor: string | null;
  address: string | null;
  clientId: string | null;
  userId: string | null;
  detail: string | null;
}

const column = <K extends keyof QueuedEvent>(batch: QueuedEvent[], key: K) => batch.map((e) => e[key]);

/**
 * One INSERT of the whole batch, with one parameter per column whatever the batch's size. Not
 * `createMany`: Prisma compiles a query plan per distinct row count (its WebAssembly query compiler),
 * which cost about a tenth of the token endpoint's CPU, since every token is one event and every
 * batch has another size. `at` takes the column's default, as before.
 */
function insertBatch(prisma: PrismaClient, batch: QueuedEvent[]): Promise<number> {
  return prisma.$executeRaw`
    INSERT INTO "audit_events" ("type", "outcome", "actor", "address", "clientId", "userId", "detail")
    SELECT * FROM unnest(
      ${column(batch, 'type')}::text[], ${column(batch, 'outcome')}::text[],
      ${column(batch, 'actor')}::text[], ${column(batch, 'address')}::text[],
      ${column(batch, 'clientId')}::text[], ${column(batch, 'userId')}::text[],
      ${column(batch, 'detail')}::text[]::jsonb[]
    )`;
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
  let queue: QueuedEvent[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const write = async () => {
    timer = undefined;
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    try {
      await insertBatch(prisma, batch);
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
        actor: event.actor ?? null,
        address: event.address ?? null,
        clientId: event.clientId ?? null,
        userId: event.userId ?? null,
        detail: event.detail === undefined ? null : JSON.stringify(event.detail),
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
