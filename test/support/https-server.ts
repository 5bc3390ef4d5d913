import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * An https server on loopback with a self-signed certificate made at run time (openssl CLI), for
 * the documents the authorization server fetches (CIMD documents, client JWKS). Nothing here is
 * committed: the key lives in a temporary folder that close() removes.
 */

/** Names the certificate is valid for: loopback, and a fake name tests resolve to loopback. */
export const TEST_HOST = 'cimd.test';

export interface TestCertificate {
  cert: string;
  key: string;
  /** The certificate's file, for NODE_EXTRA_CA_CERTS. */
  certPath: string;
  remove(): Promise<void>;
}

export async function selfSignedCertificate(): Promise<TestCertificate> {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-auth-tls-'));
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=mcp-auth-test',
    '-addext',
    `subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:${TEST_HOST}`,
    '-keyout',
    keyPath,
    '-out',
    certPath,
  ]);
  const [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
  return { cert, key, certPath, remove: () => rm(dir, { recursive: true, force: true }) };
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A JSON answer with the given headers (Cache-Control, say). */
export const json =
  (body: unknown, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };

export interface DocumentServer {
  /** https://127.0.0.1:PORT */
  origin: string;
  port: number;
  /** Serve `handler` at `path` (replacing what was there). */
  route(path: string, handler: Handler): void;
  /** How many requests reached each path. */
  hits(path: string): number;
  totalHits(): number;
  close(): Promise<void>;
}

export async function startDocumentServer(certificate: TestCertificate): Promise<DocumentServer> {
  const routes = new Map<string, Handler>();
  const counts = new Map<string, number>();
  const server: Server = createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const handler = routes.get(path);
    if (handler) handler(req, res);
    else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `https://127.0.0.1:${port}`,
    port,
    route: (path, handler) => void routes.set(path, handler),
    hits: (path) => counts.get(path) ?? 0,
    totalHits: () => [...counts.values()].reduce((a, b) => a + b, 0),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
