import type { AuditLog, Logger, PrismaClient, RateLimitBackend, RevocationStore } from '@mcp-auth/core';
import type { RegistrationConfig } from './config.ts';

/** Everything the registration service needs; main.ts wires real ones, tests their own. */
export interface RegistrationDeps {
  config: RegistrationConfig;
  prisma: PrismaClient;
  logger: Logger;
  /** Where deleting a client revokes the tokens it still holds. */
  revocation: RevocationStore;
  /** Where the registration limit counts: Redis, shared by every replica; unset, in this process. */
  rateLimits?: RateLimitBackend;
  /**
   * Where client registered/updated/deleted events go (packages/core/src/audit.ts); unset, a
   * batched writer on prisma. main.ts passes its own so that it can flush it on shutdown.
   */
  audit?: AuditLog;
}

/** The deps with what createApp fills in. */
export interface RegistrationContext extends RegistrationDeps {
  audit: AuditLog;
}
