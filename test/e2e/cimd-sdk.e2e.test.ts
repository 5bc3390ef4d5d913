import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auth, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/browser.ts';
import {
  json,
  selfSignedCertificate,
  startDocumentServer,
  type DocumentServer,
  type TestCertificate,
} from '../support/https-server.ts';
import { startPostgres, type TestDatabase } from '../support/infra.ts';
import { freePort, start, type Running } from '../support/processes.ts';

/**
 * The MCP SDK's own client logs in with a Client ID Metadata Document and calls a tool, against
 * the real all-in-one server in its own process. The document is served over https on 127.0.0.1
 * with a self-signed certificate that the server trusts only through NODE_EXTRA_CA_CERTS (read at
 * process start, hence the child process), with CIMD_ALLOW_PRIVATE_NETWORK=true letting it fetch
 * from loopback. The person's part (login, consent) happens in Chromium.
 */

/** What an MCP client keeps between steps, in memory. */
class MemoryProvider implements OAuthClientProvider {
  authorizationUrl?: URL;
  private info?: OAuthClientInformationMixed;
  private saved?: OAuthTokens;
  private verifier = '';

  constructor(
    readonly clientMetadataUrl: string,
    private readonly callback: string,
  ) {}

  get redirectUrl() {
    return this.callback;
  }
  get clientMetadata(): OAuthClientMetadata {
    return { client_name: 'SDK CIMD test client', redirect_uris: [this.callback] };
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

let db: TestDatabase;
let certificate: TestCertificate;
let documents: DocumentServer;
let callbackServer: Server;
let callbackUrl: string;
let received: URLSearchParams | undefined;
let dataDir: string;
let server: Running;
let browser: Browser;
let mcpUrl: string;
let admin: { username: string; password: string };
let clientId: string;

beforeAll(async () => {
  db = await startPostgres();
  certificate = await selfSignedCertificate();
  documents = await startDocumentServer(certificate);

  // The client's loopback redirect listener (RFC 8252), as a native MCP client runs one.
  callbackServer = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // Only the redirect itself: the browser asks for /favicon.ico afterwards.
    if (url.pathname === '/callback') received = url.searchParams;
    res.writeHead(200, { 'content-type': 'text/plain' }).end('You can close this window.');
  });
  await new Promise<void>((resolve) => callbackServer.listen(0, '127.0.0.1', resolve));
  callbackUrl = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/callback`;

  clientId = `${documents.origin}/clients/sdk-test.json`;
  documents.route(
    '/clients/sdk-test.json',
    json(
      {
        client_id: clientId,
        client_name: 'SDK CIMD test client',
        redirect_uris: [callbackUrl],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      },
      { 'cache-control': 'max-age=300' },
    ),
  );

  dataDir = await mkdtemp(join(tmpdir(), 'mcp-auth-cimd-'));
  const port = await freePort();
  server = start(process.execPath, ['--import', 'tsx', 'services/embedded/src/main.ts'], {
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    DATABASE_URL: db.url,
    LOG_LEVEL: 'warn',
    CIMD_ALLOW_PRIVATE_NETWORK: 'true',
    NODE_EXTRA_CA_CERTS: certificate.certPath,
  });
  await server.waitFor(/mcp-auth is running at/, 120_000);
  const [, password] = await server.waitFor(/password: (\S+)/);
  admin = { username: 'admin', password: password! };
  mcpUrl = `http://127.0.0.1:${port}/mcp`;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  callbackServer?.closeAllConnections();
  await new Promise((resolve) => callbackServer?.close(resolve));
  await documents?.close();
  await certificate?.remove();
  await db?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('the MCP SDK client with a Client ID Metadata Document', () => {
  it('says loudly at start that private-network fetches are allowed', () => {
    expect(server.output()).toMatch(/CIMD_ALLOW_PRIVATE_NETWORK=true/);
  });

  it('logs in with its document URL as client_id, without registering, and calls a tool', async () => {
    const provider = new MemoryProvider(clientId, callbackUrl);
    expect(await auth(provider, { serverUrl: mcpUrl })).toBe('REDIRECT');
    const authorizationUrl = provider.authorizationUrl!;
    expect(authorizationUrl.searchParams.get('client_id')).toBe(clientId);

    const page = await browser.newPage();
    await page.goto(authorizationUrl.toString());
    await page.getByLabel(/username/i).fill(admin.username);
    await page.getByLabel(/password/i).fill(admin.password);
    await Promise.all([page.waitForNavigation(), page.locator('form button[type="submit"]').first().click()]);
    // The consent page names the site that published the document as the one to trust.
    await expect(page.locator('.host.publisher').textContent()).resolves.toBe(new URL(clientId).host);
    await Promise.all([
      page.waitForURL(/\/callback\?/),
      page.locator('button[name="decision"][value="approve"]').click(),
    ]);
    await page.close();

    expect(Object.fromEntries(received ?? [])).toHaveProperty('code');
    const code = received?.get('code');
    expect(await auth(provider, { serverUrl: mcpUrl, authorizationCode: code! })).toBe('AUTHORIZED');
    expect(provider.tokens()?.access_token).toBeTruthy();

    const client = new Client({ name: 'cimd-e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider }));
    try {
      const result = await client.callTool({ name: 'echo', arguments: { text: 'hello through CIMD' } });
      expect(result.content).toEqual([{ type: 'text', text: 'hello through CIMD' }]);
    } finally {
      await client.close();
    }
    // The server fetched the document over https, trusting the certificate only through
    // NODE_EXTRA_CA_CERTS; the cache served the rest of the flow.
    expect(documents.hits('/clients/sdk-test.json')).toBe(1);
  });
});
