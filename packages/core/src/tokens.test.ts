import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateSigningKeyPem, keySet, publicKeyPem, signingKeyFromPem } from './keys.ts';
import {
  createAccessTokenVerifier,
  InvalidTokenError,
  signAccessToken,
  signAccessTokenOffThread,
  verifyAccessToken,
} from './tokens.ts';

const rs = signingKeyFromPem(generateSigningKeyPem('RS256'), 'RS256');
const es = signingKeyFromPem(generateSigningKeyPem('ES256'), 'ES256');
const keys = keySet([rs, es]);
const expected = { issuer: 'https://as.example', audience: 'https://as.example/mcp' };
const input = {
  issuer: expected.issuer,
  subject: 'user-1',
  audience: expected.audience,
  clientId: 'client-1',
  scopes: ['mcp:tools'],
  sid: 'family-1',
  ttlSeconds: 60,
};
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('access tokens (RFC 9068)', () => {
  it('signed off the event loop: the same header and claims, verified by jsonwebtoken, either algorithm', async () => {
    for (const key of [rs, es]) {
      const { token, claims } = await signAccessTokenOffThread(key, { ...input, authTime: new Date(5_000) });
      const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as unknown;
      expect(header).toEqual({ alg: key.alg, typ: 'at+jwt', kid: key.kid });
      expect(verifyAccessToken(token, keys, expected)).toEqual(claims);
      expect(claims).toMatchObject({ sub: 'user-1', client_id: 'client-1', auth_time: 5 });
      // Signed by this key alone: the other key's verification refuses it.
      const other = key === rs ? es : rs;
      const [h, p] = token.split('.');
      const forged = `${h}.${p}.${signAccessToken(other, input).token.split('.')[2]}`;
      expect(() => verifyAccessToken(forged, keys, expected)).toThrow(InvalidTokenError);
    }
  });

  it('round-trips with either algorithm and carries the claims DESIGN names', () => {
    for (const key of [rs, es]) {
      const { token, claims } = signAccessToken(key, input);
      const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as Record<
        string,
        string
      >;
      expect(header).toEqual({ alg: key.alg, typ: 'at+jwt', kid: key.kid });
      expect(verifyAccessToken(token, keys, expected)).toMatchObject({
        iss: expected.issuer,
        sub: 'user-1',
        aud: expected.audience,
        client_id: 'client-1',
        scope: 'mcp:tools',
        sid: 'family-1',
        jti: claims.jti,
      });
    }
  });

  it.each([
    [
      'another audience',
      () => signAccessToken(rs, { ...input, audience: 'https://other/mcp' }).token,
      /audience/,
    ],
    ['another issuer', () => signAccessToken(rs, { ...input, issuer: 'https://evil' }).token, /issuer/],
    [
      'an expired token',
      () => signAccessToken(rs, { ...input, now: Date.now() - 3_600_000 }).token,
      /expired/,
    ],
    [
      'a tampered payload',
      () => {
        const [h, , s] = signAccessToken(rs, input).token.split('.');
        return `${h}.${b64({ ...input, sub: 'admin' })}.${s}`;
      },
      /invalid signature/,
    ],
    [
      'alg none',
      () => `${b64({ alg: 'none', typ: 'at+jwt', kid: rs.kid })}.${b64({ sub: 'x' })}.`,
      /not allowed/,
    ],
    [
      'HS256 keyed with the public key (alg confusion)',
      () => {
        const head = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: rs.kid })}.${b64({ sub: 'x' })}`;
        return `${head}.${createHmac('sha256', publicKeyPem(rs)).update(head).digest('base64url')}`;
      },
      /not allowed/,
    ],
    [
      'an ES256 header on the RSA key',
      () => {
        const [, p, s] = signAccessToken(rs, input).token.split('.');
        return `${b64({ alg: 'ES256', typ: 'at+jwt', kid: rs.kid })}.${p}.${s}`;
      },
      /does not match the key/,
    ],
    [
      'an unknown kid',
      () => signAccessToken(signingKeyFromPem(generateSigningKeyPem('ES256'), 'ES256'), input).token,
      /unknown signing key/,
    ],
    ['garbage', () => 'not.a.jwt', /malformed/],
  ])('refuses %s', (_name, make, message) => {
    expect(() => verifyAccessToken(make(), keys, expected)).toThrow(InvalidTokenError);
    expect(() => verifyAccessToken(make(), keys, expected)).toThrow(message);
  });
});

describe('the verifier that remembers verified tokens', () => {
  it('returns the same claims again, and still refuses a token once it has expired', () => {
    let clock = Date.now();
    const verify = createAccessTokenVerifier(keys, expected, { now: () => clock });
    const { token } = signAccessToken(rs, { ...input, ttlSeconds: 60 });
    const first = verify(token);
    expect(verify(token)).toBe(first);
    clock += 120_000;
    expect(() => verify(token)).toThrow(/expired/);
  });

  it('remembers only verified tokens: a tampered copy of a remembered one is still refused', () => {
    const verify = createAccessTokenVerifier(keys, expected);
    const { token } = signAccessToken(rs, input);
    verify(token);
    const [h, p, s] = token.split('.');
    expect(() => verify(`${h}.${p}.${s!.slice(0, -2)}AA`)).toThrow(InvalidTokenError);
    expect(() => verify(signAccessToken(rs, { ...input, audience: 'https://other/mcp' }).token)).toThrow(
      /audience/,
    );
  });

  it('forgets the least recently used token beyond its bound', () => {
    const verify = createAccessTokenVerifier(keys, expected, { maxEntries: 2 });
    const [a, b, c] = [1, 2, 3].map(() => signAccessToken(es, input).token);
    const claimsA = verify(a!);
    const claimsB = verify(b!);
    verify(a!); // a is now the most recent; b goes first
    verify(c!);
    expect(verify(a!)).toBe(claimsA);
    // b was forgotten: verified afresh, so equal claims in a new object.
    const again = verify(b!);
    expect(again).toEqual(claimsB);
    expect(again).not.toBe(claimsB);
  });
});
