/** What bench/run.ts tells each MCP server process (bench/mcp-server.ts) to be. */
export interface ServerSpec {
  mode: 'authorized' | 'unauthorized';
  /** PUBLIC_URL of the setup: the tokens' issuer; the resource is `${issuer}/mcp`. */
  issuer: string;
  publicKeyPem: string;
  scopes: string[];
  databaseUrl: string;
  redisUrl: string;
  keyPrefix: string;
}
