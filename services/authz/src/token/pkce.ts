import { matchesSha256, sha256 } from '@mcp-auth/core';

// RFC 7636 §4.1: 43–128 characters of the unreserved set.
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/**
 * RFC 7636 §4.6 with S256, the only method we accept: base64url(SHA-256(verifier)) equals the
 * stored challenge. A malformed verifier simply fails verification (invalid_grant), like a wrong
 * one: it can never match a challenge made from a well-formed verifier, and the code is spent
 * either way.
 */
export function verifyPkceS256(verifier: string, challenge: string): boolean {
  if (!VERIFIER.test(verifier)) return false;
  // core sha256 is exactly the S256 transform: base64url of the digest of the ASCII verifier.
  return matchesSha256(verifier, challenge);
}

/** The S256 challenge this verifier answers (what verifyPkceS256 compares), or null if malformed. */
export const s256ChallengeOf = (verifier: string): string | null =>
  VERIFIER.test(verifier) ? sha256(verifier) : null;
