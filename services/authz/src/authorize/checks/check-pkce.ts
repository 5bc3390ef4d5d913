import { invalidRequest } from '@mcp-auth/core';
import { single, type RawParams } from '../params.ts';

// RFC 7636 §4.2: base64url without padding, 43 to 128 characters.
const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43,128}$/;

/**
 * PKCE is required for every client (OAuth 2.1 §4.1.1, MCP authorization), and only S256: `plain`
 * would put the verifier itself in the browser's history.
 */
export function checkPkce(params: RawParams): { codeChallenge: string; codeChallengeMethod: 'S256' } {
  const codeChallenge = single(params, 'code_challenge');
  const method = single(params, 'code_challenge_method');
  if (!codeChallenge) throw invalidRequest('code_challenge is required (PKCE)');
  if (!CODE_CHALLENGE.test(codeChallenge)) {
    throw invalidRequest('code_challenge must be 43 to 128 characters of base64url');
  }
  if (method !== 'S256') {
    throw invalidRequest(
      method
        ? 'code_challenge_method must be S256 (plain is not allowed)'
        : 'code_challenge_method=S256 is required',
    );
  }
  return { codeChallenge, codeChallengeMethod: 'S256' };
}
