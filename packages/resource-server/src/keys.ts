import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';

/** The algorithms an access token may be signed with; the key decides which, never the token. */
export const SIGNING_ALGORITHMS = ['RS256', 'ES256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export interface VerificationKey {
  kid: string;
  alg: SigningAlgorithm;
  key: KeyObject;
}

/** Public keys by `kid`: several while keys rotate. */
export type KeySet = ReadonlyMap<string, VerificationKey>;

export class KeyError extends Error {
  override name = 'KeyError';
}

/** RFC 7638 thumbprint of the public key: a stable `kid` that needs no bookkeeping. */
export function thumbprint(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const members =
    jwk.kty === 'RSA'
      ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
      : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/** The one algorithm a key may verify: RSA → RS256, EC P-256 → ES256. */
export function algOf(key: KeyObject, source: string): SigningAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new KeyError(`${source}: unsupported key type (use RSA for RS256 or EC P-256 for ES256)`);
}

export function keySet(keys: Iterable<VerificationKey>): KeySet {
  return new Map([...keys].map((k) => [k.kid, k]));
}

/** The signature keys of a JWKS document (RFC 7517); keys for encryption are skipped. */
export function keysFromJwks(doc: unknown, source = 'JWKS'): VerificationKey[] {
  const list = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw new KeyError(`${source}: a JWKS needs a "keys" array`);
  const keys: VerificationKey[] = [];
  for (const jwk of list as Record<string, unknown>[]) {
    if (jwk.use && jwk.use !== 'sig') continue;
    let key: KeyObject;
    try {
      key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    } catch (err) {
      throw new KeyError(
        `${source}: key ${String(jwk.kid)} is not a usable public key (${(err as Error).message})`,
      );
    }
    const alg = algOf(key, source);
    if (jwk.alg && jwk.alg !== alg)
      throw new KeyError(`${source}: key ${String(jwk.kid)} has alg ${String(jwk.alg)}`);
    keys.push({ kid: typeof jwk.kid === 'string' ? jwk.kid : thumbprint(key), alg, key });
  }
  return keys;
}

/** Verification keys from text: a JWKS document, or one or more PEM public keys (or certificates). */
export function parseVerificationKeys(text: string, source = 'public keys'): KeySet {
  const trimmed = text.trim();
  const keys: VerificationKey[] = [];
  if (trimmed.startsWith('{')) {
    let doc: unknown;
    try {
      doc = JSON.parse(trimmed);
    } catch {
      throw new KeyError(`${source}: not valid JSON`);
    }
    keys.push(...keysFromJwks(doc, source));
  } else {
    const blocks = trimmed.match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g) ?? [];
    for (const block of blocks) {
      if (/PRIVATE KEY/.test(block))
        throw new KeyError(`${source}: contains a private key; give only public keys`);
      const key = createPublicKey(block);
      keys.push({ kid: thumbprint(key), alg: algOf(key, source), key });
    }
  }
  if (keys.length === 0) throw new KeyError(`${source}: no usable public key found`);
  return keySet(keys);
}
