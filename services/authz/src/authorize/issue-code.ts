import { randomUUID } from 'node:crypto';
import { randomToken, sha256, type AuthorizationRequest } from '@mcp-auth/core';
import type { AuthzDeps } from '../deps.ts';
import { flowExpired } from './flow.ts';
import { authorizationResponseUrl } from './redirect.ts';

/**
 * Ends an approved authorization request: stores the code (hashed; the token endpoint checks
 * redirect_uri, code_challenge and resource against this row) and answers at the redirect URI.
 * The request row is consumed in the same transaction, so a double submit cannot mint two codes.
 */
export async function issueCode(
  deps: AuthzDeps,
  flow: AuthorizationRequest,
  userId: string,
  now = new Date(),
): Promise<string> {
  const code = randomToken();
  const familyId = randomUUID();
  await deps.prisma.$transaction(async (tx) => {
    const consumed = await tx.authorizationRequest.deleteMany({ where: { id: flow.id } });
    if (consumed.count !== 1) throw flowExpired();
    await tx.authorizationCode.create({
      data: {
        codeHash: sha256(code),
        clientId: flow.clientId,
        userId,
        redirectUri: flow.redirectUri,
        scopes: flow.scopes,
        resource: flow.resource,
        codeChallenge: flow.codeChallenge,
        familyId,
        expiresAt: new Date(now.getTime() + deps.config.authCodeTtl * 1000),
      },
    });
  });
  deps.logger.info(
    { clientId: flow.clientId, userId, familyId, scopes: flow.scopes },
    'authorization code issued',
  );
  return authorizationResponseUrl(flow.redirectUri, {
    code,
    state: flow.state ?? undefined,
    iss: deps.config.issuer,
  });
}
