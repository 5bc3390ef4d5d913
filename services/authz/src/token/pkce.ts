import { sha256 } from '@mcp-auth/core';

// RFC 7636 §4.1: 43–128 characters of the unreserved set.
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/**
 * RFC 7636 §4.6 with S256, the only method we accept: the challenge this verifier answers,
 * base64url(SHA-256(verifier)) (core sha256 is exactly that transform of the ASCII verifier), to be
 * compared with the stored one; null for a malformed verifier, which matches nothing. It fails like
 * a wrong one (invalid_grant): it could never answer a challenge made from a well-formed verifier,
 * and the code is spent either way. The challenge is not secret (the authorization request carried
 * it in the open), so a plain comparison will do.
 */
export const s256ChallengeOf = (verifier: string): string | null =>
  VERIFIER.test(verifier) ? sha256(verifier) : null;
