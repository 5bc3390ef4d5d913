import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@mcp-auth/core';
import { environmentOf, loadCompose, service } from '../../scripts/stack/compose.ts';
import { startGateway } from '../../scripts/stack/gateway.ts';
import type { StackProcess } from '../../scripts/stack/process.ts';

/**
 * Request smuggling through the gateway (issue 12): conflicting Content-Length/Transfer-Encoding and
 * friends, sent as raw bytes to nginx with the compose configuration, in front of a recording
 * upstream. Whatever nginx makes of the bytes, the services must see exactly the requests nginx
 * answered — never one more, hidden in a body (the desync that smuggling needs) — and no 5xx.
 */

const SMUGGLED =
  'POST /oauth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}';
const cases: Record<string, string> = {
  'CL.TE: Content-Length shorter than the chunked body': `POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  'TE.CL: chunked hiding a request after the zero chunk': `POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 200\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  'two Transfer-Encodings': `POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\nContent-Length: 5\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  'Transfer-Encoding with a space before the colon': `POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  'obfuscated Transfer-Encoding value': `POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: xchunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  'two different Content-Lengths': `POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nContent-Length: 200\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  'CRLF smuggled in a header value': `POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\rTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  'bare LF line ends': `POST /oauth/token HTTP/1.1\nHost: 127.0.0.1\nContent-Length: 5\nTransfer-Encoding: chunked\n\n0\n\n${SMUGGLED}`,
  'HTTP/1.0 with chunked': `POST /oauth/token HTTP/1.0\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
};

describe('request smuggling through the gateway', () => {
  const seen: string[] = [];
  let upstream: Server;
  let gateway: StackProcess & { url: string };
  let dir: string;

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        seen.push(`${req.method} ${req.url}`);
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_request"}');
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const port = (upstream.address() as { port: number }).port;
    dir = await mkdtemp(join(tmpdir(), 'mcp-auth-smuggling-'));
    gateway = await startGateway({
      env: {
        ...environmentOf(service(await loadCompose(), 'gateway')),
        GATEWAY_REGISTRATION_UPSTREAM: `127.0.0.1:${port}`,
        GATEWAY_AUTHZ_UPSTREAM: `127.0.0.1:${port}`,
        GATEWAY_MCP_UPSTREAM: `127.0.0.1:${port}`,
      },
      port: await freePort(),
      dir,
    });
  });

  afterAll(async () => {
    await gateway?.stop();
    upstream?.closeAllConnections();
    await new Promise((r) => upstream?.close(r));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Sends the bytes, half-closes, and returns every status line the gateway wrote back. */
  const sendRaw = (bytes: string) =>
    new Promise<number[]>((resolve, reject) => {
      const url = new URL(gateway.url);
      const socket = connect(Number(url.port), url.hostname);
      let data = '';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('the gateway did not answer in time'));
      }, 20_000);
      socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve([...data.matchAll(/^HTTP\/1\.[01] (\d{3})/gm)].map((m) => Number(m[1])));
      });
      socket.end(bytes, 'latin1');
    });

  it.each(Object.entries(cases))(
    '%s: the services see only what the gateway answered',
    async (_name, bytes) => {
      const before = seen.length;
      const statuses = await sendRaw(bytes);
      // 501 is RFC 9112 §6.1's answer to a transfer coding the server does not know (nginx's, here):
      // the one 5xx that is the client's doing, and it reaches no service.
      const allowed = (s: number) => s < 500 || (s === 501 && /xchunked/.test(bytes));
      expect(
        statuses.filter((s) => !allowed(s)),
        `statuses ${statuses.join(', ')}`,
      ).toEqual([]);
      // Each request that reached a service got its own answer back through the gateway: nothing
      // reached a service hidden inside another request's body.
      const reached = seen.slice(before);
      expect(reached.length).toBeLessThanOrEqual(statuses.length);
      // A smuggled registration can only have reached registration as a request the client framed
      // itself and the gateway answered (pipelining), never behind a token request's answer alone.
      if (statuses.length <= 1)
        expect(reached.filter((r) => r.startsWith('POST /oauth/register'))).toEqual([]);
    },
  );
});
