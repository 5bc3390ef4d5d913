// `npm run test:conformance:proxy`: the official MCP conformance suite's server scenarios, run
// against an MCP SDK server (test/support/upstream-mcp.ts) through the authorizing proxy. The suite
// sends no token, so a small loopback hop in front adds one (a valid token for the proxied
// resource); everything else — the bearer check, the Origin check, the scope check, the forwarding —
// is the proxy as deployed. Scenarios that need tools the upstream does not have (the suite's own
// "everything" server names them) fail for that reason, not the proxy's; the summary says which.
// Arguments go to the suite (e.g. --scenario tools-list).
import { spawn } from 'node:child_process';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createLogger,
  generateSigningKeyPem,
  keySet,
  signAccessToken,
  signingKeyFromPem,
} from '@mcp-auth/core';
import { createApp } from '../services/mcp/src/app.ts';
import { mcpConfigFrom } from '../services/mcp/src/config.ts';
import { startUpstreamMcp } from '../test/support/upstream-mcp.ts';

const runner = process.env.MCP_CONFORMANCE ?? '../shared/tools/mcp-conformance';
const upstream = await startUpstreamMcp({ stateful: true, record: false });
const key = signingKeyFromPem(generateSigningKeyPem('RS256'), 'RS256');

// The hop the suite talks to is the public face here: its origin is the one pages would have.
const tokenAdder = createServer();
await new Promise<void>((resolve) => tokenAdder.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(tokenAdder.address() as AddressInfo).port}/mcp`;

const proxy = createServer();
await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
const publicUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
const app = createApp({
  config: mcpConfigFrom({
    PUBLIC_URL: publicUrl,
    MCP_UPSTREAM_URL: upstream.url,
    MCP_ALLOWED_ORIGINS: [new URL(url).origin],
  }),
  keys: keySet([key]),
  logger: createLogger('conformance-proxy', 'warn'),
});
proxy.on('request', app);

const { token } = signAccessToken(key, {
  issuer: publicUrl,
  subject: 'conformance',
  audience: `${publicUrl}/mcp`,
  clientId: 'conformance-suite',
  scopes: ['mcp:tools'],
  sid: 'conformance',
  ttlSeconds: 3600,
});
// The suite's client → this hop (adds the bearer token, nothing else) → the proxy.
tokenAdder.on('request', (req, res) => {
  const upstreamReq = request(
    `${publicUrl}${req.url}`,
    {
      method: req.method,
      headers: { ...req.headers, host: new URL(publicUrl).host, authorization: `Bearer ${token}` },
    },
    (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      upstreamRes.pipe(res);
    },
  );
  upstreamReq.on('error', () => res.destroy());
  res.on('close', () => upstreamReq.destroy());
  req.pipe(upstreamReq);
});
const suite = spawn(runner, ['server', '--url', url, ...process.argv.slice(2)], { stdio: 'inherit' });
const code = await new Promise<number | null>((resolve) => {
  suite.on('exit', resolve);
  suite.on('error', (err) => {
    console.error(`conformance: cannot run ${runner} (set MCP_CONFORMANCE): ${err.message}`);
    resolve(1);
  });
});
tokenAdder.closeAllConnections();
proxy.closeAllConnections();
await Promise.all([
  new Promise((r) => tokenAdder.close(r)),
  new Promise((r) => proxy.close(r)),
  app.closeUpstreams(),
  upstream.close(),
]);
process.exit(code ?? 1);
