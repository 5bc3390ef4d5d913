import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// Verification keys are the resource-server library's (one definition for both sides).
import {
  KeyError,
  parseVerificationKeys,
  thumbprint,
  type KeySet,
  type SigningAlgorithm,
  type VerificationKey,
} from '@mcp-auth/resource-server';
export {
  algOf,
  KeyError,
  keySet,
  parseVerificationKeys,
  SIGNING_ALGORITHMS,
  thumbprint,
  type KeySet,
  type SigningAlgorithm,
  type VerificationKey,
} from '@mcp-auth/resource-server';

export interface SigningKey extends VerificationKey {
  privateKey: KeyObject;
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

export async function loadVerificationKeys(path: string): Promise<KeySet> {
  const text = await readFile(path, 'utf8').catch((err: Error) => {
    throw new KeyError(`cannot read public keys ${path}: ${err.message}`);
  });
  return parseVerificationKeys(text, path);
}
