import { invalidRequest, OAuthError } from '@mcp-auth/core';
import { single, type RawParams } from '../params.ts';

/** OAuth 2.1 keeps only the authorization code flow (no implicit, no hybrid). */
export function checkResponseType(params: RawParams): 'code' {
  const responseType = single(params, 'response_type');
  if (!responseType) throw invalidRequest('response_type is required');
  if (responseType !== 'code') {
    throw new OAuthError('unsupported_response_type', 'only response_type=code is supported');
  }
  return 'code';
}
