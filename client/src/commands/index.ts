import type { Command } from '../args.ts';

/**
 * What the top-level help lists, and how to load each command. A command's module (and the MCP SDK,
 * the browser opener, ...) is imported only when that command runs, so `mcp-auth --help` and
 * `mcp-auth status` do not pay for the rest at start (issue 10: under 300 ms).
 */
export interface CommandEntry {
  name: string;
  /** One line for the top-level help. */
  summary: string;
  /** Left out of the top-level help (the conformance driver). */
  hidden?: boolean;
  load(): Promise<Command>;
}

export const commands: readonly CommandEntry[] = [
  {
    name: 'login',
    summary: 'log in (opens the browser) and store the tokens',
    load: async () => (await import('./login.ts')).login,
  },
  {
    name: 'logout',
    summary: 'revoke the tokens at the server and delete them here',
    load: async () => (await import('./logout.ts')).logout,
  },
  {
    name: 'status',
    summary: 'list the servers with stored credentials and when they expire',
    load: async () => (await import('./status.ts')).status,
  },
  { name: 'tools', summary: "list the server's tools", load: async () => (await import('./tools.ts')).tools },
  { name: 'call', summary: 'call a tool', load: async () => (await import('./call.ts')).call },
  {
    name: 'whoami',
    summary: 'show who the server thinks you are',
    load: async () => (await import('./whoami.ts')).whoami,
  },
  {
    name: 'conformance',
    summary: 'client role for the MCP conformance suite',
    hidden: true,
    load: async () => (await import('./conformance.ts')).conformance,
  },
];
