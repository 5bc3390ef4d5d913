import { createAuditLog, createGuardedFetcher, VerifiedTokenCache } from '@mcp-auth/core';
import { createClientDirectory } from './clients/directory.ts';
import type { AuthzContext, AuthzDeps } from './deps.ts';
import { RequestStore } from './authorize/request-store.ts';
import { createUpstreamClient } from './upstream/upstream-client.ts';

/**
 * What the endpoints share, built once per app: the client directory holds the caches of client
 * metadata documents and keys, so every endpoint must see the same one.
 */
export function createAuthzContext(deps: AuthzDeps): AuthzContext {
  const allowPrivateNetwork = deps.config.outboundAllowPrivateNetwork;
  if (allowPrivateNetwork) {
    deps.logger.warn(
      'CIMD_ALLOW_PRIVATE_NETWORK=true: client metadata documents and client keys may be fetched from loopback and private addresses. For development and tests only: in production it lets anyone make this server send requests into its own network.',
    );
  }
  const clients = createClientDirectory({
    prisma: deps.prisma,
    logger: deps.logger,
    policy: deps.config.policy,
    fetcher: deps.outbound ?? createGuardedFetcher({ allowPrivateNetwork }),
    changes: deps.clientChanges,
  });
  const audit = deps.audit ?? createAuditLog({ prisma: deps.prisma, logger: deps.logger });
  // No clock tolerance: a remembered token counts only until its own `exp`.
  const verifiedTokens = new VerifiedTokenCache(10_000, 0);
  const upstream = deps.config.upstreamOidc && createUpstreamClient(deps.config.upstreamOidc, deps.logger);
  const requests = new RequestStore(deps.prisma);
  return { ...deps, clients, audit, verifiedTokens, upstream, requests };
}
