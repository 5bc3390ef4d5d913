import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** An unguessable opaque value: 256 bits, base64url. */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

/**
 * A client_id: 128 random bits, base64url, never starting with "-". People type client IDs on
 * command lines, where a leading dash reads as an option (node's parseArgs, which the CLI uses,
 * refuses `--client-id -x…`); one ID in 64 would have started with one.
 */
export function randomClientId(): string {
  for (;;) {
    const id = randomToken(16);
    if (!id.startsWith('-')) return id;
  }
}

/** Tokens, codes and client secrets are stored only as this hash; they are random, so no salt is needed. */
export const sha256 = (value: string): string => createHash('sha256').update(value).digest('base64url');

/**
 * Whether `value` hashes (sha256 above) to `hash`, in constant time. The digests are compared as
 * they are: both are 32 bytes, so no length is learned, and hashing both again (safeEqual) would
 * cost two more hashes on the token endpoint's every client authentication.
 */
export function matchesSha256(value: string, hash: string): boolean {
  const digest = createHash('sha256').update(value).digest();
  const stored = Buffer.from(hash, 'base64url');
  return stored.length === digest.length && timingSafeEqual(digest, stored);
}

/** Constant-time comparison of two strings (of any length). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
