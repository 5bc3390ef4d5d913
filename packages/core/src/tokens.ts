import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { AccessTokenClaims } from '@mcp-auth/resource-server';
import type { SigningKey } from './keys.ts';

export interface IssuedAccessToken {
  token: string;
  claims: AccessTokenClaims;
}

export function signAccessToken(
  key: SigningKey,
  input: {
    issuer: string;
    subject: string;
    audience: string;
    clientId: string;
    scopes: readonly string[];
    sid: string;
    ttlSeconds: number;
    /** Absent for grants without a person (client_credentials) and grants older than it. */
    authTime?: Date | null;
    now?: number;
  },
): IssuedAccessToken {
  const iat = Math.floor((input.now ?? Date.now()) / 1000);
  const claims: AccessTokenClaims = {
    iss: input.issuer,
    sub: input.subject,
    aud: input.audience,
    client_id: input.clientId,
    scope: input.scopes.join(' '),
    jti: randomUUID(),
    iat,
    exp: iat + input.ttlSeconds,
    sid: input.sid,
    ...(input.authTime ? { auth_time: Math.floor(input.authTime.getTime() / 1000) } : {}),
  };
  const token = jwt.sign(claims, key.privateKey, {
    algorithm: key.alg,
    keyid: key.kid,
    header: { typ: 'at+jwt', alg: key.alg, kid: key.kid },
  });
  return { token, claims };
}

// Verification is the resource-server library's: the authorization server (introspection, revocation)
// and every resource server check tokens with the same code.
export {
  createAccessTokenVerifier,
  InvalidTokenError,
  verifyAccessToken,
  type AccessTokenClaims,
} from '@mcp-auth/resource-server';
