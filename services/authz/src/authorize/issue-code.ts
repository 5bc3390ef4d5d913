import { randomUUID } from 'node:crypto';
import { randomToken, sha256, type AuthorizationRequest } from '@mcp-auth/core';
import type { AuthzDeps } from '../deps.ts';
import { flowExpired } from './flow.ts';
import { authorizationResponseUrl } from './redirect.ts';

/** What a code is issued for: a stored request (`id`, consumed), or one answered at once (no id). */
export type CodeRequest = Pick<
  AuthorizationRequest,
  'clientId' | 'redirectUri' | 'scopes' | 'resource' | 'codeChallenge' | 'state'
> & { id?: string };

/**
 * Ends an approved authorization request: stores the code (hashed; the token endpoint checks
 * redirect_uri, code_challenge and resource against this row) and answers at the redirect URI.
 * A stored request row is consumed in the same transaction, so a double submit cannot mint two
 * codes. `authTime` is when the user last typed their password (kept for the grant).
 */
export async function issueCode(
  deps: AuthzDeps,
  request: CodeRequest,
  user: { userId: string; authTime: Date | null },
  now = new Date(),
): Promise<string> {
  const code = randomToken();
  const familyId = randomUUID();
  const { userId, authTime } = user;
  await deps.prisma.$transaction(async (tx) => {
    if (request.id !== undefined) {
      const consumed = await tx.authorizationRequest.deleteMany({ where: { id: request.id } });
      if (consumed.count !== 1) throw flowExpired();
    }
    await tx.authorizationCode.create({
      data: {
        codeHash: sha256(code),
        clientId: request.clientId,
        userId,
        redirectUri: request.redirectUri,
        scopes: request.scopes,
        resource: request.resource,
        codeChallenge: request.codeChallenge,
        familyId,
        authTime,
        expiresAt: new Date(now.getTime() + deps.config.authCodeTtl * 1000),
      },
    });
  });
  deps.logger.info(
    { clientId: request.clientId, userId, familyId, scopes: request.scopes },
    'authorization code issued',
  );
  return authorizationResponseUrl(request.redirectUri, {
    code,
    state: request.state ?? undefined,
    iss: deps.config.issuer,
  });
}
