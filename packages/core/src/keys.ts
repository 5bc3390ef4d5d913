import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const SIGNING_ALGORITHMS = ['RS256', 'ES256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export interface VerificationKey {
  kid: string;
  alg: SigningAlgorithm;
  key: KeyObject;
}
export interface SigningKey extends VerificationKey {
  privateKey: KeyObject;
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

/** Rejects keys that do not fit the algorithm (a P-384 key for ES256, a short RSA key). */
function checkKeyFitsAlg(key: KeyObject, alg: SigningAlgorithm, source: string): void {
  const d = key.asymmetricKeyDetails;
  if (alg === 'RS256' && (key.asymmetricKeyType !== 'rsa' || (d?.modulusLength ?? 0) < 2048)) {
    throw new KeyError(`${source}: RS256 needs an RSA key of at least 2048 bits`);
  }
  if (alg === 'ES256' && (key.asymmetricKeyType !== 'ec' || d?.namedCurve !== 'prime256v1')) {
    throw new KeyError(`${source}: ES256 needs an EC key on P-256`);
  }
}

function algOf(key: KeyObject, source: string): SigningAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new KeyError(`${source}: unsupported key type (use RSA for RS256 or EC P-256 for ES256)`);
}

export function signingKeyFromPem(pem: string, alg: SigningAlgorithm, source = 'private key'): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (err) {
    throw new KeyError(`${source}: not a PEM private key (${(err as Error).message})`);
  }
  checkKeyFitsAlg(privateKey, alg, source);
  const key = createPublicKey(privateKey);
  return { kid: thumbprint(key), alg, key, privateKey };
}

export function generateSigningKeyPem(alg: SigningAlgorithm): string {
  const { privateKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

export const PRIVATE_KEY_FILE = 'signing-key.pem';
export const PUBLIC_KEY_FILE = 'signing-key.pub.pem';

/**
 * The authorization server's signing key: from `privateKeyPath` when given, else from the data
 * directory, where it is generated (mode 0600) on first start. The public half is written beside
 * it so that resource servers on the same machine can be pointed at it.
 */
export async function loadOrCreateSigningKey(opts: {
  alg: SigningAlgorithm;
  privateKeyPath?: string | undefined;
  dataDir: string;
}): Promise<{ key: SigningKey; created: boolean }> {
  if (opts.privateKeyPath) {
    const pem = await readFile(opts.privateKeyPath, 'utf8').catch((err: Error) => {
      throw new KeyError(`cannot read signing key ${opts.privateKeyPath}: ${err.message}`);
    });
    return { key: signingKeyFromPem(pem, opts.alg, opts.privateKeyPath), created: false };
  }
  const path = join(opts.dataDir, PRIVATE_KEY_FILE);
  const existing = await readFile(path, 'utf8').catch(() => undefined);
  if (existing) return { key: signingKeyFromPem(existing, opts.alg, path), created: false };
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  const pem = generateSigningKeyPem(opts.alg);
  // 'wx': if another process created the key meanwhile, fail and use theirs.
  const wrote = await writeFile(path, pem, { mode: 0o600, flag: 'wx' }).then(
    () => true,
    () => false,
  );
  const finalPem = wrote ? pem : await readFile(path, 'utf8');
  const key = signingKeyFromPem(finalPem, opts.alg, path);
  await writeFile(join(opts.dataDir, PUBLIC_KEY_FILE), publicKeyPem(key), { mode: 0o644 });
  return { key, created: wrote };
}

export const publicKeyPem = (k: VerificationKey): string =>
  k.key.export({ format: 'pem', type: 'spki' }).toString();

export function toJwk(k: VerificationKey): Record<string, unknown> {
  return { ...k.key.export({ format: 'jwk' }), kid: k.kid, alg: k.alg, use: 'sig' };
}

export const jwks = (keys: Iterable<VerificationKey>) => ({ keys: [...keys].map(toJwk) });

export function keySet(keys: Iterable<VerificationKey>): KeySet {
  return new Map([...keys].map((k) => [k.kid, k]));
}

/** Verification keys from text: a JWKS document, or one or more PEM public keys (or certificates). */
export function parseVerificationKeys(text: string, source = 'public keys'): KeySet {
  const trimmed = text.trim();
  const keys: VerificationKey[] = [];
  if (trimmed.startsWith('{')) {
    let doc: { keys?: Record<string, unknown>[] };
    try {
      doc = JSON.parse(trimmed) as typeof doc;
    } catch {
      throw new KeyError(`${source}: not valid JSON`);
    }
    if (!Array.isArray(doc.keys)) throw new KeyError(`${source}: a JWKS needs a "keys" array`);
    for (const jwk of doc.keys) {
      if (jwk.use && jwk.use !== 'sig') continue;
      const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
      const alg = algOf(key, source);
      if (jwk.alg && jwk.alg !== alg)
        throw new KeyError(`${source}: key ${String(jwk.kid)} has alg ${String(jwk.alg)}`);
      keys.push({ kid: typeof jwk.kid === 'string' ? jwk.kid : thumbprint(key), alg, key });
    }
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

export async function loadVerificationKeys(path: string): Promise<KeySet> {
  const text = await readFile(path, 'utf8').catch((err: Error) => {
    throw new KeyError(`cannot read public keys ${path}: ${err.message}`);
  });
  return parseVerificationKeys(text, path);
}
