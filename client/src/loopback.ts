import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthorizationResponseError, CliError } from './errors.ts';

/** What the redirect back from the authorization server must carry to be accepted. */
export interface CallbackExpectation {
  /** The `state` sent in the authorization request (RFC 6749 §10.12: binds the response to this login). */
  state: string;
  /** The authorization server's RFC 8414 `issuer`, when its metadata is known (RFC 9207). */
  issuer?: string;
  /** The server advertises `authorization_response_iss_parameter_supported`: then `iss` must be present. */
  issRequired?: boolean;
}

export const CALLBACK_PATH = '/callback';

/**
 * Checks an authorization response (the redirect URI the browser was sent to) and returns its code.
 * Order matters: `state` first, so a forged or stray response cannot even report an error; then RFC 9207
 * `iss`, which defends against mix-up attacks for error responses too; then the error; then the code.
 */
export function readAuthorizationResponse(url: URL, expected: CallbackExpectation): string {
  const params = url.searchParams;
  if (params.get('state') !== expected.state) {
    throw new AuthorizationResponseError(
      'the authorization response does not belong to this login (state mismatch); start the login again',
    );
  }
  const iss = params.get('iss');
  if (iss !== null && expected.issuer !== undefined && iss !== expected.issuer) {
    throw new AuthorizationResponseError(
      `the authorization response names issuer ${iss}, expected ${expected.issuer} (RFC 9207); refusing it`,
    );
  }
  if (iss === null && expected.issRequired) {
    throw new AuthorizationResponseError(
      `the authorization response lacks the iss parameter that ${expected.issuer ?? 'its server'} promises (RFC 9207)`,
    );
  }
  const error = params.get('error');
  if (error !== null) {
    const description = params.get('error_description');
    const reason =
      error === 'access_denied' ? 'authorization was denied' : 'the authorization server refused the login';
    throw new AuthorizationResponseError(
      `${reason} (${error}${description ? `: ${description}` : ''})`,
      error,
    );
  }
  const code = params.get('code');
  if (!code) throw new AuthorizationResponseError('the authorization response carries no code');
  return code;
}

export interface LoopbackListener {
  /** `http://127.0.0.1:<port>/callback`: the redirect URI to register and send. */
  readonly redirectUri: string;
  /** Resolves with the authorization code; rejects when the response is refused, on timeout, or on close. */
  waitForCode(): Promise<string>;
  close(): Promise<void>;
}

export interface LoopbackOptions {
  /** Read when the redirect arrives: the state and issuer of the authorization in progress, if any. */
  expect: () => CallbackExpectation | undefined;
  timeoutMs: number;
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const page = (title: string, message: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · mcp-auth</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1f2328}</style>
</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>
<p>You can close this tab and return to the terminal.</p></body></html>
`;

/**
 * Starts the RFC 8252 §7.3 loopback redirect listener on 127.0.0.1 with a port the OS picks. It accepts
 * exactly one request to /callback carrying this login's `state` (anything else, such as a favicon or a
 * forged response, is refused and ignored), answers the browser with a short page and closes.
 */
export async function startLoopbackListener(options: LoopbackOptions): Promise<LoopbackListener> {
  let settle: { resolve: (code: string) => void; reject: (error: Error) => void } | undefined;
  const code = new Promise<string>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // The caller may not be waiting yet when a failure arrives; it still sees it when it does.
  code.catch(() => undefined);
  let done = false;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (done || req.method !== 'GET' || url.pathname !== CALLBACK_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    const pending = options.expect();
    if (pending && url.searchParams.get('state') !== pending.state) {
      // Not the answer to this login (another local process, or a web page that found the port):
      // it must not be able to end the login, so it is refused and the listener keeps waiting.
      res
        .writeHead(400, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
        .end(
          page('Not this login', 'This response does not belong to the login in progress (state mismatch).'),
        );
      return;
    }
    done = true;
    let status = 200;
    let body: string;
    let outcome: () => void;
    try {
      const expected = options.expect();
      if (!expected) {
        throw new AuthorizationResponseError('a redirect arrived before any authorization was started');
      }
      const received = readAuthorizationResponse(url, expected);
      body = page('Logged in', 'mcp-auth received the authorization.');
      outcome = () => settle?.resolve(received);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      status = 400;
      body = page('Login failed', failure.message);
      outcome = () => settle?.reject(failure);
    }
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // The URL carries the code: no referrer, nothing loaded from anywhere.
      'referrer-policy': 'no-referrer',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
      connection: 'close',
    });
    res.end(body, () => {
      outcome();
      void shutdown();
    });
  });

  let closed: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      clearTimeout(timer);
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closed;
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const redirectUri = `http://127.0.0.1:${port}${CALLBACK_PATH}`;

  const seconds = Math.round(options.timeoutMs / 1000);
  const timer = setTimeout(() => {
    settle?.reject(
      new CliError(`timed out after ${seconds} s waiting for the browser to come back to ${redirectUri}`),
    );
    void shutdown();
  }, options.timeoutMs);

  return {
    redirectUri,
    waitForCode: () => code,
    close: async () => {
      settle?.reject(new CliError('the login was abandoned before the browser came back'));
      await shutdown();
    },
  };
}
