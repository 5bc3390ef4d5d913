/** What bench/run.ts tells each MCP server process (bench/mcp-server.ts) to be. */
export interface ServerSpec {
  /**
   * authorized / unauthorized: the built-in demo tools behind the bearer check, or with none;
   * upstream: an operator's MCP server (the MCP SDK, stateless, no auth); proxy: services/mcp
   * forwarding to `upstreamUrl` after the bearer check.
   */
  mode: 'authorized' | 'unauthorized' | 'upstream' | 'proxy';
  /** PUBLIC_URL of the setup: the tokens' issuer; the resource is `${issuer}/mcp`. */
  issuer: string;
  publicKeyPem: string;
  scopes: string[];
  databaseUrl: string;
  redisUrl: string;
  keyPrefix: string;
  upstreamUrl?: string;
}
