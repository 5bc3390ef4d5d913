import type { Logger, PrismaClient, RateLimitBackend, RevocationStore } from '@mcp-auth/core';
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
}
