import { afterEach, describe, expect, it } from 'vitest';
import { AuthorizationResponseError } from './errors.ts';
import { readAuthorizationResponse, startLoopbackListener } from './loopback.ts';
import type { CallbackExpectation, LoopbackListener } from './loopback.ts';

const ISSUER = 'https://auth.example.com';
const expected: CallbackExpectation = { state: 'state-123', issuer: ISSUER };

const callback = (params: Record<string, string>) =>
  new URL(`http://127.0.0.1:1/callback?${new URLSearchParams(params)}`);

describe('readAuthorizationResponse', () => {
  it('returns the code of a response with the right state and issuer', () => {
    expect(
      readAuthorizationResponse(callback({ code: 'c', state: 'state-123', iss: ISSUER }), expected),
    ).toBe('c');
    // iss is optional unless the server promises it (RFC 9207 §2.4).
    expect(readAuthorizationResponse(callback({ code: 'c', state: 'state-123' }), expected)).toBe('c');
  });

  it('refuses a missing or different state', () => {
    expect(() => readAuthorizationResponse(callback({ code: 'c' }), expected)).toThrow(/state mismatch/);
    expect(() => readAuthorizationResponse(callback({ code: 'c', state: 'other' }), expected)).toThrow(
      AuthorizationResponseError,
    );
  });

  it('refuses another issuer, and a missing iss when the server promises one', () => {
    expect(() =>
      readAuthorizationResponse(
        callback({ code: 'c', state: 'state-123', iss: 'https://evil.example' }),
        expected,
      ),
    ).toThrow(/RFC 9207/);
    expect(() =>
      readAuthorizationResponse(callback({ code: 'c', state: 'state-123' }), {
        ...expected,
        issRequired: true,
      }),
    ).toThrow(/lacks the iss/);
  });

  it('reports access_denied with the server description', () => {
    let caught: unknown;
    try {
      readAuthorizationResponse(
        callback({ error: 'access_denied', error_description: 'The user said no', state: 'state-123' }),
        expected,
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AuthorizationResponseError);
    expect((caught as AuthorizationResponseError).oauthError).toBe('access_denied');
    expect((caught as Error).message).toBe('authorization was denied (access_denied: The user said no)');
  });

  it('refuses a response without a code', () => {
    expect(() => readAuthorizationResponse(callback({ state: 'state-123' }), expected)).toThrow(/no code/);
  });
});

describe('startLoopbackListener', () => {
  let listener: LoopbackListener | undefined;
  afterEach(async () => {
    await listener?.close();
    listener = undefined;
  });

  const start = async (
    expectation: () => CallbackExpectation | undefined = () => expected,
    timeoutMs = 10_000,
  ) => {
    listener = await startLoopbackListener({ expect: expectation, timeoutMs });
    return listener;
  };
  const visit = (l: LoopbackListener, params: Record<string, string>) =>
    fetch(`${l.redirectUri}?${new URLSearchParams(params)}`);

  it('listens on 127.0.0.1 with an OS-chosen port and the /callback path', async () => {
    const l = await start();
    expect(l.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(l.redirectUri).not.toMatch(/:0\//);
  });

  it('returns the code of a valid response and tells the browser it can close the tab', async () => {
    const l = await start();
    const response = await visit(l, { code: 'the-code', state: 'state-123', iss: ISSUER });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toContain('You can close this tab');
    await expect(l.waitForCode()).resolves.toBe('the-code');
  });

  it('refuses a response with another state, shows why, and keeps waiting for the real one', async () => {
    const l = await start();
    const forged = await visit(l, { code: 'forged-code', state: 'forged' });
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('state mismatch');
    const real = await visit(l, { code: 'the-code', state: 'state-123' });
    expect(real.status).toBe(200);
    await expect(l.waitForCode()).resolves.toBe('the-code');
  });

  it('reports error=access_denied', async () => {
    const l = await start();
    const response = await visit(l, { error: 'access_denied', state: 'state-123' });
    expect(response.status).toBe(400);
    await expect(l.waitForCode()).rejects.toThrow('authorization was denied (access_denied)');
  });

  it('rejects an iss that is not the issuer', async () => {
    const l = await start();
    await visit(l, { code: 'the-code', state: 'state-123', iss: 'https://mix-up.example' });
    await expect(l.waitForCode()).rejects.toThrow(/names issuer https:\/\/mix-up\.example/);
  });

  it('rejects a redirect that arrives before any authorization started', async () => {
    const l = await start(() => undefined);
    await visit(l, { code: 'the-code', state: 'state-123' });
    await expect(l.waitForCode()).rejects.toThrow(/before any authorization/);
  });

  it('ignores other paths, then accepts exactly one callback', async () => {
    const l = await start();
    const origin = new URL(l.redirectUri).origin;
    expect((await fetch(`${origin}/favicon.ico`)).status).toBe(404);
    expect((await visit(l, { code: 'first', state: 'state-123' })).status).toBe(200);
    await expect(l.waitForCode()).resolves.toBe('first');
    const second = await visit(l, { code: 'second', state: 'state-123' }).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(second).not.toBe(200);
  });

  it('gives up after the timeout', async () => {
    const l = await start(() => expected, 50);
    await expect(l.waitForCode()).rejects.toThrow(/timed out/);
  });
});
