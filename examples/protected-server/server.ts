// An MCP server of your own, protected by mcp-auth with @mcp-auth/resource-server: express, the MCP
// SDK's McpServer, and the library's middleware in front of it. Run it with
//   ISSUER=http://localhost:8080 RESOURCE=http://localhost:3000/mcp node --import tsx examples/protected-server/server.ts
// and register RESOURCE as a server in mcp-auth's policy file (or ask tokens for it with RFC 8707).
import { Redis } from 'ioredis';
import express from 'express';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  callerOf,
  jwtVerifier,
  originGuard,
  protectedResourceMetadataRouter,
  redisRevocationChecker,
  requireBearerAuth,
  requireMessageScopes,
  resourceMetadataUrlFor,
  type AuthInfo,
} from '@mcp-auth/resource-server';

const issuer = process.env.ISSUER ?? 'http://localhost:8080';
const resource = process.env.RESOURCE ?? 'http://localhost:3000/mcp';
const port = Number(process.env.PORT ?? (new URL(resource).port || 3000));
const path = new URL(resource).pathname;

// Revocation through mcp-auth's Redis set when REDIS_URL is given; else tokens live until they expire.
const redis = process.env.REDIS_URL ? new Redis(process.env.REDIS_URL) : undefined;
const verifier = jwtVerifier({
  issuer,
  audience: resource,
  jwksUri: `${issuer}/oauth/jwks.json`,
  revocation: redis && redisRevocationChecker({ redis, keyPrefix: process.env.REDIS_KEY_PREFIX }),
});
const resourceMetadataUrl = resourceMetadataUrlFor(resource);

const app = express();
app.use(
  protectedResourceMetadataRouter({
    resource,
    authorizationServers: [issuer],
    scopesSupported: ['notes:read', 'notes:write'],
  }),
);
app.use(path, originGuard({ resource }));
app.post(
  path,
  requireBearerAuth({ verifier, requiredScopes: ['notes:read'], resourceMetadataUrl }),
  express.json(),
  requireMessageScopes({
    required: ['notes:read'],
    tools: new Map([['add_note', ['notes:write']]]),
    resourceMetadataUrl,
  }),
  async (req, res) => {
    // Stateless: a server per request, as the SDK's examples do.
    const server = new McpServer({ name: 'notes', version: '1.0.0' });
    server.registerTool('whoami', { description: 'Who is calling' }, (extra) => ({
      content: [{ type: 'text', text: callerOf(extra.authInfo as AuthInfo).subject }],
    }));
    server.registerTool(
      'add_note',
      { description: 'Needs notes:write', inputSchema: { text: z.string() } },
      ({ text }) => ({
        content: [{ type: 'text', text: `added: ${text}` }],
      }),
    );
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    res.on('close', () => void transport.close());
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  },
);

const listener = app.listen(port, '127.0.0.1', () =>
  console.log(`notes MCP server listening at ${resource}`),
);
process.on('SIGTERM', () => {
  listener.close();
  listener.closeAllConnections();
  redis?.disconnect();
});
