import type { AuditLog, Logger, PrismaClient, RevocationStore } from '@mcp-auth/core';
import { removeUnusedClients, type ClientRetention } from './clients/retention.ts';

export interface HousekeepingResult {
  authorizationCodes: number;
  authorizationRequests: number;
  refreshTokens: number;
  revocations: number;
  sessions: number;
  clientAssertions: number;
  consents: number;
  /** Audit events older than AUDIT_RETENTION. */
  auditEvents: number;
}

/** One key for every replica sharing the database. */
const LOCK_KEY = 'mcp-auth:housekeeping';

/**
 * Deletes what can no longer be used: authorization codes and requests past their expiry (a code
 * replayed later is simply unknown, which is invalid_grant all the same), refresh tokens past
 * theirs, revocation records past the expiry of the last token they cover (the Redis keys
 * expire by themselves), sign-in sessions past their idle or absolute end, remembered consents
 * past CONSENT_LIFETIME, and audit events older than AUDIT_RETENTION.
 *
 * Several replicas run this on the same schedule. The deletes would be safe together (each is
 * idempotent), but they would scan and lock the same rows for nothing, so a transaction-scoped
 * advisory lock lets one replica work per round and the others skip it: `try`, never waiting, and
 * released by the commit even if that replica dies mid-way. Returns undefined when skipped.
 */
export async function runHousekeeping(
  prisma: PrismaClient,
  now = new Date(),
  options: { auditRetentionSeconds?: number } = {},
): Promise<HousekeepingResult | undefined> {
  return prisma.$transaction(
    async (tx) => {
      const [lock] = await tx.$queryRaw<{ locked: boolean }[]>`
        SELECT pg_try_advisory_xact_lock(hashtext(${LOCK_KEY})) AS locked`;
      if (!lock?.locked) return undefined;
      const expired = { expiresAt: { lt: now } };
      const codes = await tx.authorizationCode.deleteMany({ where: expired });
      const requests = await tx.authorizationRequest.deleteMany({ where: expired });
      const refresh = await tx.refreshToken.deleteMany({ where: expired });
      const revocations = await tx.revocation.deleteMany({ where: expired });
      const sessions = await tx.session.deleteMany({ where: expired });
      // A used client assertion's jti is kept only until the assertion itself expires.
      const assertions = await tx.clientAssertion.deleteMany({ where: expired });
      // Consents past CONSENT_LIFETIME are asked again anyway; the row would only mislead.
      const consents = await tx.consent.deleteMany({ where: expired });
      // AUDIT_RETENTION; 0 keeps the audit log for ever (the operator archives it elsewhere).
      const auditRetention = options.auditRetentionSeconds ?? 0;
      const auditEvents =
        auditRetention > 0
          ? await tx.auditEvent.deleteMany({
              where: { at: { lt: new Date(now.getTime() - auditRetention * 1000) } },
            })
          : { count: 0 };
      return {
        authorizationCodes: codes.count,
        authorizationRequests: requests.count,
        refreshTokens: refresh.count,
        revocations: revocations.count,
        sessions: sessions.count,
        clientAssertions: assertions.count,
        consents: consents.count,
        auditEvents: auditEvents.count,
      };
    },
    // A first run after a long stop may have much to delete; the expiresAt indexes keep it bounded.
    { maxWait: 10_000, timeout: 120_000 },
  );
}

export interface Housekeeping {
  /** Stops the schedule and waits for a round in progress, so the database can be closed after. */
  stop(): Promise<void>;
}

/**
 * Runs at start and then every `intervalSeconds`; failures are logged and retried next round. With
 * `clients`, the replica that did the round also removes clients unused for the retention period.
 */
export function startHousekeeping(
  deps: { prisma: PrismaClient; logger: Logger; auditRetentionSeconds?: number; audit?: AuditLog },
  intervalSeconds: number,
  clients?: ClientRetention & { revocation: RevocationStore },
): Housekeeping {
  let running: Promise<void> | undefined;
  const removeClients = async () => {
    if (!clients) return;
    const removed = await removeUnusedClients(
      { prisma: deps.prisma, revocation: clients.revocation, logger: deps.logger, audit: deps.audit },
      clients,
    );
    if (removed > 0) deps.logger.info({ removed }, 'housekeeping: unused clients removed');
  };
  const round = () => {
    running ??= runHousekeeping(deps.prisma, new Date(), {
      auditRetentionSeconds: deps.auditRetentionSeconds,
    })
      .then(async (result) => {
        if (!result) return deps.logger.debug('housekeeping: another replica holds this round');
        if (Object.values(result).some((n) => n > 0)) {
          deps.logger.info(result, 'housekeeping: expired records deleted');
        }
        await removeClients();
      })
      .catch((err: unknown) => deps.logger.warn({ err }, 'housekeeping failed; retrying next round'))
      .finally(() => {
        running = undefined;
      });
  };
  const first = setTimeout(round, 0);
  const timer = setInterval(round, intervalSeconds * 1000);
  // Never what keeps the process alive.
  first.unref();
  timer.unref();
  return {
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
