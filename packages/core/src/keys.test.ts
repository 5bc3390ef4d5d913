import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateSigningKeyPem,
  jwks,
  KeyError,
  loadOrCreateSigningKey,
  parseVerificationKeys,
  publicKeyPem,
  signingKeyFromPem,
  PRIVATE_KEY_FILE,
} from './keys.ts';

describe('signing keys', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcp-auth-keys-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('generates a key on first start (mode 0600) and reuses it afterwards', async () => {
    const first = await loadOrCreateSigningKey({ alg: 'RS256', dataDir: dir });
    expect(first.created).toBe(true);
    expect((await stat(join(dir, PRIVATE_KEY_FILE))).mode & 0o777).toBe(0o600);
    const again = await loadOrCreateSigningKey({ alg: 'RS256', dataDir: dir });
    expect(again.created).toBe(false);
    expect(again.key.kid).toBe(first.key.kid);
  });

  it('reads a key named by path, and refuses one that does not fit the algorithm', async () => {
    const path = join(dir, 'ec.pem');
    await writeFile(path, generateSigningKeyPem('ES256'));
    const { key } = await loadOrCreateSigningKey({ alg: 'ES256', privateKeyPath: path, dataDir: dir });
    expect(key.alg).toBe('ES256');
    await expect(
      loadOrCreateSigningKey({ alg: 'RS256', privateKeyPath: path, dataDir: dir }),
    ).rejects.toThrow(/RS256 needs an RSA key/);
    await expect(
      loadOrCreateSigningKey({ alg: 'RS256', privateKeyPath: join(dir, 'missing.pem'), dataDir: dir }),
    ).rejects.toThrow(KeyError);
    const short = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      format: 'pem',
      type: 'pkcs8',
    });
    expect(() => signingKeyFromPem(short.toString(), 'RS256')).toThrow(/at least 2048 bits/);
  });

  it('publishes only public members in the JWKS, and parses PEM and JWKS back to the same kid', () => {
    const key = signingKeyFromPem(generateSigningKeyPem('RS256'), 'RS256');
    const doc = jwks([key]);
    const [jwk] = doc.keys;
    expect(jwk).toMatchObject({ kty: 'RSA', kid: key.kid, alg: 'RS256', use: 'sig' });
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(jwk).not.toHaveProperty(member);
    expect([...parseVerificationKeys(JSON.stringify(doc)).keys()]).toEqual([key.kid]);
    expect([...parseVerificationKeys(publicKeyPem(key)).keys()]).toEqual([key.kid]);
  });

  it('refuses a private key where public keys are expected', async () => {
    const pem = generateSigningKeyPem('ES256');
    expect(() => parseVerificationKeys(pem)).toThrow(/contains a private key/);
    expect(() => parseVerificationKeys('not a key')).toThrow(/no usable public key/);
    expect(await readFile(join(dir, 'signing-key.pub.pem'), 'utf8')).toMatch(/BEGIN PUBLIC KEY/);
  });
});
