import { randomUUID, sign } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { AccessTokenClaims } from '@mcp-auth/resource-server';
import type { SigningKey } from './keys.ts';

export interface IssuedAccessToken {
  token: string;
  claims: AccessTokenClaims;
}

export interface AccessTokenInput {
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
}

function accessTokenClaims(input: AccessTokenInput): AccessTokenClaims {
  const iat = Math.floor((input.now ?? Date.now()) / 1000);
  return {
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
}

/** Synchronous: for tools, tests and benchmarks. The token endpoint uses signAccessTokenOffThread. */
export function signAccessToken(key: SigningKey, input: AccessTokenInput): IssuedAccessToken {
  const claims = accessTokenClaims(input);
  const token = jwt.sign(claims, key.privateKey, {
    algorithm: key.alg,
    keyid: key.kid,
    header: { typ: 'at+jwt', alg: key.alg, kid: key.kid },
  });
  return { token, claims };
}

const base64url = (json: object) => Buffer.from(JSON.stringify(json)).toString('base64url');

/**
 * The same token, signed on libuv's thread pool (node:crypto's asynchronous sign) rather than on
 * the event loop: an RS256 signature is most of a token request's CPU, and while it runs the loop
 * keeps parsing and answering other requests; with more than one core the signatures run beside it.
 */
export async function signAccessTokenOffThread(
  key: SigningKey,
  input: AccessTokenInput,
): Promise<IssuedAccessToken> {
  const claims = accessTokenClaims(input);
  const signingInput = `${base64url({ alg: key.alg, typ: 'at+jwt', kid: key.kid })}.${base64url(claims)}`;
  const signature = await new Promise<Buffer>((resolve, reject) =>
    sign(
      'sha256',
      Buffer.from(signingInput),
      // JWS (RFC 7518 §3.4) wants ES256 signatures as r || s, not DER.
      { key: key.privateKey, ...(key.alg === 'ES256' && { dsaEncoding: 'ieee-p1363' as const }) },
      (err, sig) => (err ? reject(err) : resolve(sig)),
    ),
  );
  return { token: `${signingInput}.${signature.toString('base64url')}`, claims };
}

// Verification is the resource-server library's: the authorization server (introspection, revocation)
// and every resource server check tokens with the same code.
export {
  createAccessTokenVerifier,
  InvalidTokenError,
  verifyAccessToken,
  VerifiedTokenCache,
  type AccessTokenClaims,
} from '@mcp-auth/resource-server';
