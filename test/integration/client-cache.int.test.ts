import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ALL_CLIENTS,
  createLogger,
  createPrisma,
  generateSigningKeyPem,
  listenForClientChanges,
  PostgresRevocationStore,
  randomToken,
  signingKeyFromPem,
  type ClientChangeFeed,
  type PrismaClient,
} from '@mcp-auth/core';
import { createApp as createAuthzApp } from '../../services/authz/src/app.ts';
import { createApp as createRegistrationApp } from '../../services/registration/src/app.ts';
import { testAuthzConfig } from '../support/authz-config.ts';
import { startPostgres, type TestDatabase } from '../support/infra.ts';
import { clientPost, type ClientCredentials } from '../support/oauth-flow.ts';

/**
 * Two replicas of the authorization server on one database, each caching client records, and
 * registration beside the first: a change made through one must reach the other's cache.
 */
const ISSUER = 'https://issuer.test';
const RESOURCE = `${ISSUER}/mcp`;
const config = testAuthzConfig(ISSUER, RESOURCE);
const logger = createLogger('client-cache-test', 'silent');
const initialAccessToken = randomToken(32);

interface Replica {
  base: string;
  server: Server;
  prisma: PrismaClient;
  changes: ClientChangeFeed;
}

let db: TestDatabase;
let a: Replica;
let b: Replica;

async function startReplica(withRegistration: boolean): Promise<Replica> {
  const prisma = createPrisma(db.url, { max: 2 });
  const changes = listenForClientChanges(db.url, logger);
  const revocation = new PostgresRevocationStore(prisma);
  const app = express();
  if (withRegistration) {
    app.use(
      createRegistrationApp({
        config: {
          issuer: ISSUER,
          accessTokenTtl: config.accessTokenTtl,
          initialAccessToken,
          policy: config.policy,
        },
        prisma,
        logger,
        revocation,
      }),
    );
  }
  const signingKey = signingKeyFromPem(generateSigningKeyPem('RS256'), 'RS256');
  app.use(createAuthzApp({ config, prisma, signingKey, logger, revocation, clientChanges: changes }));
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, server, prisma, changes };
}

/** Resolves when the replica's feed announces the client (or everything), registered before the change. */
const announcement = (replica: Replica, clientId: string) =>
  new Promise<void>((resolve) => {
    const off = replica.changes.subscribe((id) => {
      if (id === clientId || id === ALL_CLIENTS) {
        off();
        resolve();
      }
    });
  });

const token = (replica: Replica, client: ClientCredentials, scope: string) =>
  clientPost(`${replica.base}/oauth/token`, client, { grant_type: 'client_credentials', scope });

/** Changes the row with triggers off for this session: a change nobody announces. */
async function silently(sql: string, params: unknown[]) {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    await c.query('SET session_replication_role = replica');
    await c.query(sql, params);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  db = await startPostgres();
  a = await startReplica(true);
  b = await startReplica(false);
  await vi.waitFor(() => expect(a.changes.live && b.changes.live).toBe(true), { timeout: 10_000 });
});

afterAll(async () => {
  for (const r of [a, b]) {
    if (!r) continue;
    r.server.closeAllConnections();
    await new Promise((resolve) => r.server.close(resolve));
    await r.changes.close();
    await r.prisma.$disconnect();
  }
  await db?.stop();
});

async function registerJob() {
  const res = await fetch(`${a.base}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${initialAccessToken}` },
    body: JSON.stringify({
      client_name: 'job',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'mcp:tools mcp:identity',
    }),
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as Record<string, string>;
  return {
    client: { clientId: body.client_id!, secret: body.client_secret! },
    // The registration URI names the public issuer; the replica is reached on loopback.
    uri: body.registration_client_uri!.replace(ISSUER, a.base),
    registrationAccessToken: body.registration_access_token!,
    body,
  };
}

describe('client records cached per replica', () => {
  it('are cached: a change that is not announced is not seen', async () => {
    const { client } = await registerJob();
    // The first token records the client as used (lastUsedAt), a change every replica hears of.
    const used = announcement(b, client.clientId);
    expect((await token(b, client, 'mcp:identity')).status).toBe(200);
    await used;
    expect((await token(b, client, 'mcp:identity')).status).toBe(200);
    await silently(`UPDATE "oauth_clients" SET "scope" = 'mcp:tools' WHERE "id" = $1`, [client.clientId]);
    // Served from B's cache: the scope it still holds.
    expect((await token(b, client, 'mcp:identity')).status).toBe(200);
    // A replica that never read it sees the database.
    expect((await token(a, client, 'mcp:identity')).body.error).toBe('invalid_scope');
  });

  it('see an update made through another replica (RFC 7592 PUT)', async () => {
    const job = await registerJob();
    expect((await token(b, job.client, 'mcp:identity')).status).toBe(200);
    const seen = announcement(b, job.client.clientId);
    const put = await fetch(job.uri, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${job.registrationAccessToken}` },
      body: JSON.stringify({
        client_id: job.client.clientId,
        client_name: 'job',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: 'mcp:tools',
      }),
    });
    expect(put.status).toBe(200);
    await seen;
    expect((await token(b, job.client, 'mcp:identity')).body.error).toBe('invalid_scope');
    expect((await token(b, job.client, 'mcp:tools')).status).toBe(200);
  });

  it('see a delete made through another replica (RFC 7592 DELETE)', async () => {
    const job = await registerJob();
    expect((await token(b, job.client, 'mcp:tools')).status).toBe(200);
    const seen = announcement(b, job.client.clientId);
    const deleted = await fetch(job.uri, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${job.registrationAccessToken}` },
    });
    expect(deleted.status).toBe(204);
    await seen;
    const refused = await token(b, job.client, 'mcp:tools');
    expect({ status: refused.status, error: refused.body.error }).toEqual({
      status: 401,
      error: 'invalid_client',
    });
  });

  it('are dropped and not kept while the notifications are lost, and cached again once back', async () => {
    const { client } = await registerJob();
    expect((await token(b, client, 'mcp:identity')).status).toBe(200);
    const dropped = announcement(b, ALL_CLIENTS);
    // The server ends B's listening session, as a failover or a restart of Postgres would.
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      const { rowCount } = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND query = 'LISTEN oauth_client_changed' AND pid <> pg_backend_pid()`,
      );
      expect(rowCount).toBe(2);
    } finally {
      await admin.end();
    }
    await dropped;
    await silently(`UPDATE "oauth_clients" SET "scope" = 'mcp:tools' WHERE "id" = $1`, [client.clientId]);
    // Whether or not B has reconnected yet, it must read the row again.
    expect((await token(b, client, 'mcp:identity')).body.error).toBe('invalid_scope');
    await vi.waitFor(() => expect(b.changes.live).toBe(true), { timeout: 10_000 });
    const seen = announcement(b, client.clientId);
    await a.prisma.oAuthClient.update({
      where: { id: client.clientId },
      data: { scope: 'mcp:tools mcp:identity' },
    });
    await seen;
    expect((await token(b, client, 'mcp:identity')).status).toBe(200);
  });
});
