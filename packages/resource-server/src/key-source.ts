import { createPublicKey } from 'node:crypto';
import { JwksClient } from 'jwks-rsa';
import { VerifierUnavailableError } from './challenge.ts';
import { algOf, parseVerificationKeys, type KeySet, type VerificationKey } from './keys.ts';

/** Where the verifier finds the public key a token's `kid` names. */
export interface KeySource {
  /** Undefined: no such key (the token is refused). Throws VerifierUnavailableError when it cannot tell. */
  getKey(kid: string): VerificationKey | undefined | Promise<VerificationKey | undefined>;
}

/** Fixed keys: a KeySet, or the text of a PEM file (one or more public keys) or a JWKS document. */
export function staticKeys(keys: KeySet | string): KeySource {
  const set = typeof keys === 'string' ? parseVerificationKeys(keys) : keys;
  return { getKey: (kid) => set.get(kid) };
}

export interface RemoteJwksOptions {
  /** How long a fetched key is used before the JWKS is asked again (default 10 minutes). */
  cacheMaxAgeMs?: number;
  /**
   * Refetches of the JWKS for a `kid` it did not know, per minute (default 10): a key rotation
   * is picked up at once, while tokens with made-up `kid`s cannot make us hammer the issuer.
   */
  requestsPerMinute?: number;
  /** Per fetch (default 5 s). */
  timeoutMs?: number;
}

/**
 * The authorization server's JWKS URL (RFC 7517), fetched on first use and cached; a `kid` not
 * in the cache triggers a rate-limited refetch, so rotating the signing key needs nothing here.
 * Fetching, caching and the rate limit are jwks-rsa's; the algorithm still comes from the key.
 */
export function remoteJwks(jwksUri: string, options: RemoteJwksOptions = {}): KeySource {
  const maxAge = options.cacheMaxAgeMs ?? 600_000;
  const client = new JwksClient({
    jwksUri,
    cache: true,
    cacheMaxAge: maxAge,
    cacheMaxEntries: 20,
    rateLimit: true,
    jwksRequestsPerMinute: options.requestsPerMinute ?? 10,
    timeout: options.timeoutMs ?? 5000,
  });
  // In front of jwks-rsa's own cache: the hot path (a known kid) stays synchronous.
  const known = new Map<string, { key: VerificationKey; until: number }>();
  return {
    getKey(kid) {
      const hit = known.get(kid);
      if (hit && hit.until > Date.now()) return hit.key;
      return client.getSigningKey(kid).then(
        (signing) => {
          const publicKey = createPublicKey(signing.getPublicKey());
          // A key of a type we do not verify with (say, RSA-PSS) names no key of ours.
          if (publicKey.asymmetricKeyType !== 'rsa' && publicKey.asymmetricKeyType !== 'ec') return undefined;
          const key = { kid, alg: algOf(publicKey, jwksUri), key: publicKey };
          known.set(kid, { key, until: Date.now() + maxAge });
          return key;
        },
        (err: Error) => {
          // An unknown kid, or one asked too often: the token is simply not ours.
          if (err.name === 'SigningKeyNotFoundError' || err.name === 'JwksRateLimitError') return undefined;
          throw new VerifierUnavailableError(
            `cannot fetch the issuer's keys from ${jwksUri}: ${err.message}`,
          );
        },
      );
    },
  };
}
