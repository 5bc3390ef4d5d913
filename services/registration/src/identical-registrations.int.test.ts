import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLogger,
  createPrisma,
  loadPolicy,
  PostgresRevocationStore,
  randomToken,
  type PrismaClient,
} from '@mcp-auth/core';
import { startPostgres, type TestDatabase } from '../../../test/support/infra.ts';
import { createApp } from './app.ts';
import { IDENTICAL_UNUSED_KEPT } from './identical-registrations.ts';

const issuer = 'https://auth.example.test';

let db: TestDatabase;
let prisma: PrismaClient;
let server: Server;
let base: string;

beforeAll(async () => {
  db = await startPostgres();
  prisma = createPrisma(db.url, { max: 4 });
  // Behind one proxy hop, as the services run behind the gateway: X-Forwarded-For is the address.
  const root = express();
  root.set('trust proxy', 1);
  root.use(
    createApp({
      // Many registrations from one address: the per-address rate limit is another test's subject.
      config: {
        issuer,
        accessTokenTtl: 900,
        policy: loadPolicy({ PUBLIC_URL: issuer }),
        registrationsPerMinute: 10_000,
      },
      prisma,
      revocation: new PostgresRevocationStore(prisma),
      logger: createLogger('registration-test', 'silent'),
    }),
  );
  server = root.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await prisma?.$disconnect();
  await db?.stop();
});

async function register(body: Record<string, unknown>, from = '203.0.113.7'): Promise<string> {
  const res = await fetch(`${base}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { client_id?: string };
  if (res.status !== 201 || !json.client_id) throw new Error(`registration failed: ${res.status}`);
  return json.client_id;
}

const exists = async (id: string) => (await prisma.oAuthClient.count({ where: { id } })) === 1;

describe('repeated identical registrations', () => {
  const cursor = {
    client_name: 'Cursor',
    redirect_uris: ['cursor://anysphere.cursor-mcp/oauth/callback', 'http://localhost:8787/callback'],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
  };

  it(`keep the newest ${IDENTICAL_UNUSED_KEPT} never-used ones and remove older never-used ones`, async () => {
    const ids: string[] = [];
    for (let i = 0; i < IDENTICAL_UNUSED_KEPT + 5; i++) ids.push(await register(cursor));
    for (const id of ids.slice(0, 5)) expect(await exists(id)).toBe(false);
    for (const id of ids.slice(5)) expect(await exists(id)).toBe(true);
    // Each registrant got its own client: nobody was handed another's registration.
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('never remove a used client, one with a sign-in in progress, or a different registration', async () => {
    const body = { ...cursor, client_name: 'Cursor (kept)' };
    const used = await register(body);
    await prisma.oAuthClient.update({ where: { id: used }, data: { lastUsedAt: new Date() } });
    const signingIn = await register(body);
    await prisma.authorizationRequest.create({
      data: {
        id: randomToken(),
        clientId: signingIn,
        redirectUri: cursor.redirect_uris[0]!,
        scopes: ['mcp:tools'],
        codeChallenge: 'x',
        codeChallengeMethod: 'S256',
        resource: `${issuer}/mcp`,
        bindingHash: 'x',
        csrfToken: 'x',
        expiresAt: new Date(Date.now() + 600_000),
      },
    });
    // Same software from another address, and another redirect set from this one.
    const elsewhere = await register(body, '198.51.100.9');
    const otherPort = await register({ ...body, redirect_uris: ['http://localhost:8788/callback'] });
    // The software_id, when sent, is what identifies the software (mcp-remote sends one).
    const named = await register({ ...body, software_id: 'b7a1c3' });

    for (let i = 0; i < IDENTICAL_UNUSED_KEPT + 3; i++) await register(body);
    for (const id of [used, signingIn, elsewhere, otherPort, named]) expect(await exists(id)).toBe(true);
    const unusedLeft = await prisma.oAuthClient.count({
      where: { clientName: 'Cursor (kept)', lastUsedAt: null, authorizationRequests: { none: {} } },
    });
    // The bounded ones (this address, this software and redirects) plus the three different ones.
    expect(unusedLeft).toBe(IDENTICAL_UNUSED_KEPT + 3);
  });

  it('are bounded by software_id whatever the name says', async () => {
    const ids: string[] = [];
    for (let i = 0; i < IDENTICAL_UNUSED_KEPT + 2; i++) {
      ids.push(await register({ ...cursor, client_name: `Run ${i}`, software_id: 'same-software' }));
    }
    expect(await exists(ids[0]!)).toBe(false);
    expect(await exists(ids[1]!)).toBe(false);
    expect(await exists(ids.at(-1)!)).toBe(true);
  });

  it('stop being bounded with their original once updated (RFC 7592)', async () => {
    const res = await fetch(`${base}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '192.0.2.1' },
      body: JSON.stringify(cursor),
    });
    const { client_id: id, registration_access_token: token } = (await res.json()) as Record<string, string>;
    const put = await fetch(`${base}/oauth/register/${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ ...cursor, client_id: id }),
    });
    expect(put.status).toBe(200);
    for (let i = 0; i < IDENTICAL_UNUSED_KEPT + 1; i++) await register(cursor, '192.0.2.1');
    expect(await exists(id!)).toBe(true);
  });
});
