import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { z } from 'zod';

/**
 * The public keys a private_key_jwt client (RFC 7523) authenticates with: a JWK Set given inline
 * (`jwks`) or fetched from `jwks_uri`. The same rules wherever keys come from: registration, a
 * Client ID Metadata Document, or the jwks_uri document itself.
 */

/**
 * Asymmetric signature algorithms accepted on client assertions. Never `none` and never HS*: an
 * HMAC "key" would be a shared secret, which these clients by definition do not have (and a
 * published JWK used as an HMAC secret is the classic algorithm-confusion attack).
 */
export const CLIENT_ASSERTION_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

export type ClientAssertionAlgorithm = (typeof CLIENT_ASSERTION_ALGORITHMS)[number];

export const CLIENT_JWKS_LIMITS = { keys: 10, bytes: 16 * 1024 } as const;

// Members that only private or symmetric keys have: a client must publish none of them.
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

export type ClientJwk = JsonWebKey & { kid?: string; alg?: string; use?: string; kty: string };
export interface ClientJwks {
  keys: ClientJwk[];
}

const jwk = z
  .object({
    kty: z.enum(['RSA', 'EC', 'OKP'], { error: 'kty must be RSA, EC or OKP (asymmetric keys only)' }),
    kid: z.string().min(1).max(200).optional(),
    use: z.literal('sig', { error: 'use must be "sig" when present' }).optional(),
    alg: z
      .enum(CLIENT_ASSERTION_ALGORITHMS, {
        error: `alg must be one of ${CLIENT_ASSERTION_ALGORITHMS.join(', ')}`,
      })
      .optional(),
  })
  .loose()
  .superRefine((key, ctx) => {
    const secret = SECRET_MEMBERS.find((m) => m in key);
    if (secret) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a public key (it has the private member "${secret}")`,
      });
      return;
    }
    try {
      createPublicKey({ key: key as JsonWebKey, format: 'jwk' });
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not a usable public key' });
    }
  });

/** A JWK Set of public signing keys, as a client may publish it. */
export const clientJwksSchema = z
  .object({
    keys: z
      .array(jwk)
      .min(1, 'must contain at least one key')
      .max(CLIENT_JWKS_LIMITS.keys, `must contain at most ${CLIENT_JWKS_LIMITS.keys} keys`),
  })
  .refine((set) => JSON.stringify(set).length <= CLIENT_JWKS_LIMITS.bytes, {
    message: `must be at most ${CLIENT_JWKS_LIMITS.bytes} bytes`,
  })
  .transform((set) => set as ClientJwks);
