import { createHmac, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { publicKeyPem, toJwk, type SigningKey } from '@mcp-auth/core';

/**
 * Forged and bent access tokens, each of which a resource server must refuse (RFC 8725 "JWT Best
 * Current Practices", RFC 9068): an unsigned token, one signed HMAC with the RSA public key as the
 * secret (HS/RS confusion), kid tricks and key-bearing headers (jku, x5u, jwk), tokens our real
 * key signed but with a claim that makes them invalid for this resource, and real tokens
 * truncated, tampered or revoked.
 */

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

export interface JwtContext {
  /** The authorization server's real key: what a forger does not have. */
  key: SigningKey;
  issuer: string;
  resource: string;
  subject: string;
  clientId: string;
  /** A real token issued by a real flow, and one issued and then revoked. */
  valid: string;
  revoked: string;
}

function claims(ctx: JwtContext, over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: ctx.issuer,
    sub: ctx.subject,
    aud: ctx.resource,
    client_id: ctx.clientId,
    scope: 'mcp:tools',
    jti: randomUUID(),
    iat: now,
    exp: now + 600,
    sid: randomUUID(),
    ...over,
  };
}

function rs256(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

function hmac(
  alg: string,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret: string | Buffer,
) {
  const input = `${b64({ ...header, alg })}.${b64(payload)}`;
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg] ?? 'sha256';
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`;
}

/** name → token. Every one must be refused wherever a bearer token is accepted. */
export function jwtAttacks(ctx: JwtContext): Record<string, string> {
  const real = (h: Record<string, unknown>, over: Record<string, unknown> = {}) =>
    rs256({ alg: 'RS256', typ: 'at+jwt', kid: ctx.key.kid, ...h }, claims(ctx, over), ctx.key.privateKey);
  const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const attackerJwk = { ...attacker.publicKey.export({ format: 'jwk' }), kid: ctx.key.kid };
  const byAttacker = (h: Record<string, unknown>) =>
    rs256({ alg: 'RS256', typ: 'at+jwt', kid: ctx.key.kid, ...h }, claims(ctx), attacker.privateKey);
  const pem = publicKeyPem(ctx.key);
  const hsHeader = { typ: 'at+jwt', kid: ctx.key.kid };
  const [vh, vp, vs] = ctx.valid.split('.') as [string, string, string];
  const validPayload = JSON.parse(Buffer.from(vp, 'base64url').toString()) as Record<string, unknown>;
  const now = Math.floor(Date.now() / 1000);

  return {
    'alg none': `${b64({ alg: 'none', typ: 'at+jwt', kid: ctx.key.kid })}.${b64(claims(ctx))}.`,
    'alg None': `${b64({ alg: 'None', typ: 'at+jwt' })}.${b64(claims(ctx))}.`,
    'alg NONE with a signature': `${b64({ alg: 'NONE', typ: 'at+jwt' })}.${b64(claims(ctx))}.${vs}`,
    'no alg': `${b64({ typ: 'at+jwt', kid: ctx.key.kid })}.${b64(claims(ctx))}.${vs}`,
    'HS256 keyed with the RSA public key PEM': hmac('HS256', hsHeader, claims(ctx), pem),
    'HS256 keyed with the PEM without its last newline': hmac('HS256', hsHeader, claims(ctx), pem.trimEnd()),
    'HS384 keyed with the RSA public key PEM': hmac('HS384', hsHeader, claims(ctx), pem),
    'HS512 keyed with the RSA public key PEM': hmac('HS512', hsHeader, claims(ctx), pem),
    'HS256 keyed with the JWK modulus': hmac('HS256', hsHeader, claims(ctx), String(toJwk(ctx.key).n)),
    'HS256 keyed with the JWKS JSON': hmac(
      'HS256',
      hsHeader,
      claims(ctx),
      JSON.stringify({ keys: [toJwk(ctx.key)] }),
    ),
    'kid path traversal, HS256 with an empty key': hmac(
      'HS256',
      { typ: 'at+jwt', kid: '../../../../../../dev/null' },
      claims(ctx),
      '',
    ),
    'kid path traversal, RS256 by the attacker': byAttacker({ kid: '../../../../etc/passwd' }),
    'kid SQL injection': byAttacker({ kid: "' OR '1'='1" }),
    'kid unknown, attacker key': byAttacker({ kid: 'no-such-key' }),
    'kid unknown, real key': real({ kid: 'no-such-key' }),
    'kid as an object': real({ kid: { $ne: null } }),
    'kid with a NUL': real({ kid: `${ctx.key.kid}\u0000` }),
    'attacker key, real kid': byAttacker({}),
    'attacker key in an embedded jwk header': byAttacker({ jwk: attackerJwk }),
    'attacker key behind a jku header': byAttacker({ jku: 'http://127.0.0.1:9/jwks.json' }),
    'attacker key behind an x5u header': byAttacker({ x5u: 'http://127.0.0.1:9/cert.pem' }),
    'wrong aud': real({}, { aud: 'http://127.0.0.1:9/other-resource' }),
    'aud missing': real({}, { aud: undefined }),
    'wrong iss': real({}, { iss: 'http://127.0.0.1:9' }),
    expired: real({}, { iat: now - 7200, exp: now - 3600 }),
    'nbf in the future': real({}, { nbf: now + 3600 }),
    'iat in the future': real({}, { iat: now + 3600, exp: now + 4200 }),
    'no exp': real({}, { exp: undefined }),
    'exp as a string': real({}, { exp: String(now + 600) }),
    'typ JWT (an ID token shape)': real({ typ: 'JWT' }),
    'typ missing': real({ typ: undefined }),
    'unknown crit header': real({ crit: ['x-must-understand'], 'x-must-understand': true }),
    revoked: ctx.revoked,
    'truncated signature': ctx.valid.slice(0, -6),
    'signature dropped': `${vh}.${vp}.`,
    'two segments': `${vh}.${vp}`,
    'four segments': `${ctx.valid}.${vs}`,
    'payload tampered, signature kept': `${vh}.${b64({ ...validPayload, scope: 'mcp:tools mcp:admin' })}.${vs}`,
    'payload with a longer lifetime, signature kept': `${vh}.${b64({ ...validPayload, exp: now + 10 ** 8 })}.${vs}`,
    'header and payload swapped': `${vp}.${vh}.${vs}`,
    'standard base64 with padding': ctx.valid.replace(/-/g, '+').replace(/_/g, '/') + '==',
    // NUL itself cannot travel in a header; its escape can.
    'valid token with an escaped NUL appended': `${ctx.valid}%00`,
    'empty payload object': real({}, Object.fromEntries(Object.keys(claims(ctx)).map((k) => [k, undefined]))),
  };
}
