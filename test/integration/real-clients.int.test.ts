import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAllInOneServer, type AllInOneServer } from '../support/all-in-one-server.ts';
import {
  addUser,
  authorize,
  callMcp,
  redeemCode,
  tokenSetOf,
  type ClientCredentials,
  type User,
} from '../support/oauth-flow.ts';

/**
 * Each fixture is the registration request (RFC 7591) a widely used MCP client sends, as found in
 * its public code or bug reports (the `comment` says where), and the redirect URI it then comes
 * back on: a loopback client usually on another port than the one it registered.
 */
interface ClientFixture {
  comment: string;
  client: string;
  registration: Record<string, unknown> & { redirect_uris: string[]; token_endpoint_auth_method?: string };
  authorize_redirect_uri: string;
}

const dir = new URL('../fixtures/clients/', import.meta.url);
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => [f, JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as ClientFixture] as const);

let server: AllInOneServer;
let user: User;

beforeAll(async () => {
  server = await startAllInOneServer();
  user = await addUser(server.prisma, 'alice');
});

afterAll(async () => {
  await server?.close();
});

describe('the registrations real MCP clients send', () => {
  it('are all here, each saying where it was found', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(8);
    for (const [, f] of fixtures) expect(f.comment.length).toBeGreaterThan(40);
  });

  it.each(fixtures)('%s: registers, signs in, comes back on its redirect and gets a token', async (_, f) => {
    const registered = await fetch(`${server.base}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(f.registration),
    });
    const info = (await registered.json()) as Record<string, unknown>;
    expect(registered.status, JSON.stringify(info)).toBe(201);
    expect(info.redirect_uris).toEqual(f.registration.redirect_uris);
    expect(info.client_name).toBe(f.registration.client_name);

    const method = f.registration.token_endpoint_auth_method;
    const client: ClientCredentials = {
      clientId: String(info.client_id),
      secret: typeof info.client_secret === 'string' ? info.client_secret : undefined,
      secretIn: method === 'client_secret_post' ? 'body' : 'header',
    };
    expect(client.secret === undefined).toBe(method === 'none');

    const resource = `${server.base}/mcp`;
    const code = await authorize({
      issuer: server.base,
      client,
      user,
      resource,
      scope: 'mcp:tools',
      redirectUri: f.authorize_redirect_uri,
    });
    const tokens = tokenSetOf(await redeemCode(server.base, client, code, f.authorize_redirect_uri));
    expect(tokens.scope).toBe('mcp:tools');
    expect(tokens.refreshToken).toBeDefined();
    expect((await callMcp(resource, tokens.accessToken)).status).toBe(200);

    // The token endpoint recorded the use, which keeps the client from retention's housekeeping.
    const row = await server.prisma.oAuthClient.findUniqueOrThrow({ where: { id: client.clientId } });
    expect(row.lastUsedAt).not.toBeNull();
  });
});
