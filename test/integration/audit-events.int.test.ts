import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEventType } from '@mcp-auth/core';
import {
  addUser,
  authorize,
  clientPost,
  redeemCode,
  REDIRECT_URI,
  refreshTokens,
  revokeToken,
  tokenSetOf,
  type ClientCredentials,
} from '../support/oauth-flow.ts';
import { startTokenStack, type TokenStack } from './token-stack.ts';

/**
 * Every security event reaches the audit table through the real endpoints: registration (RFC
 * 7591/7592), the login and consent pages, the token endpoint (each grant), RFC 7009 revocation and
 * refresh token reuse.
 */
describe('audit events through the endpoints', () => {
  let stack: TokenStack;
  let client: ClientCredentials & { registrationAccessToken: string };
  const events = async (type: AuditEventType, where: { clientId?: string; userId?: string } = {}) => {
    await stack.audit.flush();
    return stack.prisma.auditEvent.findMany({ where: { type, ...where }, orderBy: { id: 'asc' } });
  };

  beforeAll(async () => {
    stack = await startTokenStack();
    const res = await fetch(`${stack.issuer}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Audited editor',
        redirect_uris: [REDIRECT_URI],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
      }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { client_id: string; registration_access_token: string };
    client = { clientId: body.client_id, registrationAccessToken: body.registration_access_token };
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('client registered, with its metadata and the caller address', async () => {
    const [registered] = await events('client.registered', { clientId: client.clientId });
    expect(registered).toMatchObject({ outcome: 'success', actor: `client:${client.clientId}` });
    expect(registered!.address).toMatch(/127\.0\.0\.1/);
    expect(registered!.detail).toMatchObject({ clientName: 'Audited editor', redirectUris: [REDIRECT_URI] });
  });

  it('login failed (wrong password, unknown user), login succeeded, consent granted, code and refresh tokens issued, reuse detected, revoked', async () => {
    const alice = await addUser(stack.prisma, `alice-${randomBytes(3).toString('hex')}`);
    const aliceId = (await stack.prisma.user.findUniqueOrThrow({ where: { username: alice.username } })).id;
    await expect(
      authorize({
        issuer: stack.issuer,
        client,
        user: { ...alice, password: 'not-the-password' },
        resource: stack.resource,
        scope: 'mcp:tools',
      }),
    ).rejects.toThrow(/login/);
    await expect(
      authorize({
        issuer: stack.issuer,
        client,
        user: { username: 'nobody-here', password: 'whatever-it-is' },
        resource: stack.resource,
        scope: 'mcp:tools',
      }),
    ).rejects.toThrow(/login/);
    const failures = await events('login.failed', { clientId: client.clientId });
    expect(failures.map((e) => (e.detail as { reason: string }).reason)).toEqual([
      'bad_password',
      'unknown_user',
    ]);
    expect(failures.map((e) => e.userId)).toEqual([aliceId, null]);
    expect(failures[0]).toMatchObject({ outcome: 'failure' });
    expect(JSON.stringify(failures.map((e) => e.detail))).not.toContain('not-the-password');

    const code = await authorize({
      issuer: stack.issuer,
      client,
      user: alice,
      resource: stack.resource,
      scope: 'mcp:tools',
    });
    expect(await events('login.succeeded', { userId: aliceId })).toEqual([
      expect.objectContaining({ outcome: 'success', actor: `user:${aliceId}`, clientId: client.clientId }),
    ]);
    const [granted] = await events('consent.granted', { userId: aliceId });
    expect(granted!.detail).toEqual({ resource: stack.resource, scopes: ['mcp:tools'] });

    const first = tokenSetOf(await redeemCode(stack.issuer, client, code));
    const second = tokenSetOf(await refreshTokens(stack.issuer, client, first.refreshToken!));
    const issued = await events('token.issued', { userId: aliceId });
    expect(issued.map((e) => (e.detail as { grantType: string }).grantType)).toEqual([
      'authorization_code',
      'refresh_token',
    ]);
    expect(issued[0]!.detail).toMatchObject({
      resource: stack.resource,
      scope: 'mcp:tools',
      refreshToken: true,
    });
    expect(JSON.stringify(issued.map((e) => e.detail))).not.toContain(first.accessToken);

    // The first refresh token again: reuse, and the grant is revoked.
    expect((await refreshTokens(stack.issuer, client, first.refreshToken!)).status).toBe(400);
    const [reuse] = await events('refresh.reuse_detected', { userId: aliceId });
    expect(reuse).toMatchObject({ outcome: 'failure', clientId: client.clientId });

    expect((await revokeToken(stack.issuer, client, second.accessToken)).status).toBe(200);
    const [revoked] = await events('token.revoked', { userId: aliceId });
    expect(revoked!.detail).toMatchObject({ tokenType: 'access_token', via: 'rfc7009' });
  });

  it('consent denied', async () => {
    const bob = await addUser(stack.prisma, `bob-${randomBytes(3).toString('hex')}`);
    const bobId = (await stack.prisma.user.findUniqueOrThrow({ where: { username: bob.username } })).id;
    // Drive the pages by hand up to the consent form, then deny.
    const verifier = randomBytes(32).toString('base64url');
    const { createHash } = await import('node:crypto');
    const url = new URL('/oauth/authorize', stack.issuer);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: REDIRECT_URI,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      scope: 'mcp:tools',
      resource: stack.resource,
    }).toString();
    const start = await fetch(url, { redirect: 'manual' });
    const cookie = start.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const request = new URL(start.headers.get('location')!).searchParams.get('request')!;
    const csrf = async (path: string) =>
      /name="csrf_token" value="([^"]+)"/.exec(
        await (await fetch(`${stack.issuer}${path}?request=${request}`, { headers: { cookie } })).text(),
      )![1]!;
    const post = (path: string, form: Record<string, string>) =>
      fetch(`${stack.issuer}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form),
      });
    const login = await post('/oauth/login', {
      request,
      csrf_token: await csrf('/oauth/login'),
      username: bob.username,
      password: bob.password,
    });
    expect(login.status).toBe(303);
    const denied = await post('/oauth/consent', {
      request,
      csrf_token: await csrf('/oauth/consent'),
      decision: 'deny',
    });
    expect(new URL(denied.headers.get('location')!).searchParams.get('error')).toBe('access_denied');
    expect(await events('consent.denied', { userId: bobId })).toEqual([
      expect.objectContaining({ outcome: 'success', clientId: client.clientId }),
    ]);
  });

  it('client_credentials tokens issued, with no user', async () => {
    const res = await fetch(`${stack.issuer}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.initialAccessToken}` },
      body: JSON.stringify({
        client_name: 'Batch job',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
      }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { client_id: string; client_secret: string };
    const machine = { clientId: body.client_id, secret: body.client_secret };
    const token = await clientPost(`${stack.issuer}/oauth/token`, machine, {
      grant_type: 'client_credentials',
      resource: stack.resource,
    });
    expect(token.status).toBe(200);
    const [issued] = await events('token.issued', { clientId: machine.clientId });
    expect(issued).toMatchObject({ userId: null, actor: `client:${machine.clientId}` });
    expect(issued!.detail).toMatchObject({ grantType: 'client_credentials', refreshToken: false });
  });

  it('client updated and deleted (RFC 7592)', async () => {
    const headers = {
      'content-type': 'application/json',
      authorization: `Bearer ${client.registrationAccessToken}`,
    };
    const updated = await fetch(`${stack.issuer}/oauth/register/${client.clientId}`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({
        client_id: client.clientId,
        client_name: 'Renamed editor',
        redirect_uris: [REDIRECT_URI],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
      }),
    });
    expect(updated.status).toBe(200);
    const [update] = await events('client.updated', { clientId: client.clientId });
    expect(update!.detail).toMatchObject({ clientName: 'Renamed editor', newSecret: false });

    const deleted = await fetch(`${stack.issuer}/oauth/register/${client.clientId}`, {
      method: 'DELETE',
      headers,
    });
    expect(deleted.status).toBe(204);
    const [deletion] = await events('client.deleted', { clientId: client.clientId });
    expect(deletion).toMatchObject({ outcome: 'success', detail: { via: 'rfc7592' } });
  });
});
