import { BASE_SCOPE, IDENTITY_SCOPE } from '@mcp-auth/core';

/** What each scope lets an app do, in words a person can judge on the consent page. */
const DESCRIPTIONS: Record<string, string> = {
  [BASE_SCOPE]: 'See the list of tools on this MCP server and use its basic tools',
  [IDENTITY_SCOPE]: 'See your username on this server',
};

export const describeScope = (scope: string): string => DESCRIPTIONS[scope] ?? scope;
