import type { OAuthClient } from '@mcp-auth/core';
import type { AuthzContext } from '../../deps.ts';
import type { IssuedTokens } from '../issue.ts';

export interface GrantContext {
  deps: AuthzContext;
  /** The caller's address, for the audit log. */
  address?: string;
  /** Already authenticated, and registered for this grant type. */
  client: OAuthClient;
  params: Readonly<Record<string, string>>;
}

/** One grant type of the token endpoint (RFC 6749 §4). Throws OAuthError values. */
export type GrantHandler = (ctx: GrantContext) => Promise<IssuedTokens>;
