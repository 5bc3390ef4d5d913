import type {
  AuditLog,
  ClientChangeFeed,
  GuardedFetcher,
  Logger,
  PrismaClient,
  RateLimitBackend,
  RevocationStore,
  SigningKey,
  VerificationKey,
  VerifiedTokenCache,
} from '@mcp-auth/core';
import type { RequestStore } from './authorize/request-store.ts';
import type { ClientDirectory } from './clients/directory.ts';
import type { AuthzConfig } from './config.ts';
import type { UpstreamClient } from './upstream/upstream-client.ts';

/** Everything the authorization server needs; main.ts wires real ones, tests their own. */
export interface AuthzDeps {
  config: AuthzConfig;
  prisma: PrismaClient;
  signingKey: SigningKey;
  /**
   * Public keys of signing keys retired by a rotation: tokens they signed stay valid until they
   * expire, so they are published in the JWKS and recognised by revocation and introspection.
   */
  previousKeys?: readonly VerificationKey[];
  logger: Logger;
  /** Where revocations go: Postgres then Redis (standalone), or Postgres alone (embedded). */
  revocation: RevocationStore;
  /** Where the login throttle counts: Redis, shared by every replica; unset, in this process. */
  rateLimits?: RateLimitBackend;
  /**
   * How client documents (CIMD, jwks_uri) are fetched. Default: the guarded fetcher with
   * CIMD_ALLOW_PRIVATE_NETWORK; tests inject one that trusts their CA or resolves fake names.
   */
  outbound?: GuardedFetcher;
  /**
   * Client changes announced by Postgres (listenForClientChanges). With it, client records are
   * cached in this process; without it (most tests), every request reads them from the database.
   */
  clientChanges?: ClientChangeFeed;
  /** Where security events go (packages/core/src/audit.ts); unset, a batched writer on prisma. */
  audit?: AuditLog;
}

/** The deps plus what createApp builds from them once and every endpoint shares (its caches). */
export interface AuthzContext extends AuthzDeps {
  clients: ClientDirectory;
  audit: AuditLog;
  /** Access tokens verified before, for introspection and revocation (see token/find-token.ts). */
  verifiedTokens: VerifiedTokenCache;
  /** The authorization requests in progress (login and consent), with this process's copies. */
  requests: RequestStore;
  /** The upstream OpenID Connect provider (its discovered metadata is cached), when configured. */
  upstream?: UpstreamClient | undefined;
}
