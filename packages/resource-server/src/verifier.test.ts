import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidTokenError, VerifierUnavailableError } from './challenge.ts';
import { thumbprint } from './keys.ts';
import { jwtVerifier } from './verifier.ts';

/**
 * The verifier against a real JWKS endpoint on loopback, whose keys the tests change as an
 * authorization server rotating its signing key would.
 */
const ISSUER = 'https://as.example';
const AUDIENCE = 'https://as.example/mcp';

interface TestKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: KeyObject;
  publicKey: KeyObject;
}
function newKey(alg: 'RS256' | 'ES256'): TestKey {
  const { privateKey, publicKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { kid: thumbprint(publicKey), alg, privateKey, publicKey };
}

function sign(key: TestKey, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return jwt.sign(
    {
      iss: ISSUER,
      sub: 'alice',
      aud: AUDIENCE,
      client_id: 'client-1',
      scope: 'a b',
      jti: `jti-${Math.random()}`,
      sid: 'family-1',
      iat: now,
      exp: now + 60,
      ...claims,
    },
    key.privateKey,
    { algorithm: key.alg, header: { alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header } },
  );
}

let published: TestKey[] = [];
let fetches = 0;
let jwksUp = true;
let server: Server;
let jwksUri: string;

beforeAll(async () => {
  server = createServer((_req, res) => {
    fetches++;
    if (!jwksUp) {
      res.writeHead(503).end();
      return;
    }
    const keys = published.map((k) => ({
      ...k.publicKey.export({ format: 'jwk' }),
      kid: k.kid,
      alg: k.alg,
      use: 'sig',
    }));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/jwks.json`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const refusal = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidTokenError);
  return (err as Error).message;
};

describe('jwtVerifier with the issuer JWKS URL', () => {
  it('fetches the keys once, follows a rotation by kid, and caps refetches for unknown kids', async () => {
    const first = newKey('RS256');
    const second = newKey('ES256');
    published = [first];
    fetches = 0;
    const verifier = jwtVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri,
      jwks: { requestsPerMinute: 3 },
    });

    const auth = await verifier.verifyAccessToken(sign(first));
    expect(auth).toMatchObject({
      clientId: 'client-1',
      scopes: ['a', 'b'],
      extra: { subject: 'alice', sid: 'family-1' },
    });
    await verifier.verifyAccessToken(sign(first));
    expect(fetches).toBe(1);

    // The issuer starts signing with a new key: the first token naming it makes us refetch.
    published = [first, second];
    await verifier.verifyAccessToken(sign(second));
    expect(fetches).toBe(2);

    // Made-up kids: refused, and the refetches they cause stop at the rate limit.
    for (let i = 0; i < 6; i++) {
      expect(await refusal(verifier.verifyAccessToken(sign(first, {}, { kid: `made-up-${i}` })))).toBe(
        'unknown signing key',
      );
    }
    expect(fetches).toBe(3);
  });

  it('fails closed (unavailable, not accepted) when the JWKS cannot be fetched for a new key', async () => {
    const key = newKey('RS256');
    published = [key];
    jwksUp = false;
    try {
      const verifier = jwtVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUri });
      const err = await verifier.verifyAccessToken(sign(key)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VerifierUnavailableError);
    } finally {
      jwksUp = true;
    }
  });
});

describe('jwtVerifier checks', () => {
  const key = newKey('RS256');
  const verifier = jwtVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: new Map([[key.kid, { kid: key.kid, alg: key.alg, key: key.publicKey }]]),
  });

  it('refuses the wrong typ, alg, issuer, audience, expiry and missing claims', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await refusal(verifier.verifyAccessToken(sign(key, {}, { typ: 'JWT' })))).toMatch(/typ/);
    expect(await refusal(verifier.verifyAccessToken(sign(key, { iss: 'https://evil' })))).toMatch(/issuer/);
    expect(await refusal(verifier.verifyAccessToken(sign(key, { aud: 'https://as.example/other' })))).toMatch(
      /audience/,
    );
    expect(await refusal(verifier.verifyAccessToken(sign(key, { iat: now - 600, exp: now - 300 })))).toMatch(
      /expired/,
    );
    expect(
      await refusal(verifier.verifyAccessToken(sign(key, { iat: now + 3600, exp: now + 4200 }))),
    ).toMatch(/future/);
    expect(await refusal(verifier.verifyAccessToken(sign(key, {}, { crit: ['exp'] })))).toMatch(/critical/);
    expect(await refusal(verifier.verifyAccessToken(sign(key, { sid: undefined })))).toMatch(/sid/);
    // HS256 with the public key as the secret: the key's algorithm decides, never the header.
    const pem = key.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const hs = jwt.sign({ iss: ISSUER, aud: AUDIENCE, sub: 'x' }, pem, {
      algorithm: 'HS256',
      header: { alg: 'HS256', typ: 'at+jwt', kid: key.kid },
    });
    expect(await refusal(verifier.verifyAccessToken(hs))).toMatch(/HS256/);
  });

  it('asks the revocation checker with the claims, every time, and fails closed when it cannot answer', async () => {
    const asked: string[] = [];
    let fail = false;
    const revoking = jwtVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: new Map([[key.kid, { kid: key.kid, alg: key.alg, key: key.publicKey }]]),
      revocation: {
        isRevoked: async (t) => {
          if (fail) throw new Error('redis down');
          asked.push(`${t.jti}|${t.sub}|${t.iat}`);
          return t.sub === 'signed-out';
        },
      },
    });
    const token = sign(key);
    await revoking.verifyAccessToken(token);
    await revoking.verifyAccessToken(token);
    expect(asked).toHaveLength(2);
    expect(await refusal(revoking.verifyAccessToken(sign(key, { sub: 'signed-out' })))).toBe('token revoked');
    fail = true;
    expect(await revoking.verifyAccessToken(token).catch((e: unknown) => e)).toBeInstanceOf(
      VerifierUnavailableError,
    );
  });
});
