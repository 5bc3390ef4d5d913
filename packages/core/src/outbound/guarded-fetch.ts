import { lookup as dnsLookup } from 'node:dns/promises';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import ipaddr from 'ipaddr.js';
import { refusedAddress, type AddressPolicy } from './address-policy.ts';

/**
 * The one way the servers fetch a URL that someone else chose (a client's metadata document, its
 * jwks_uri). Such URLs are an SSRF vector: a client could point us at our own database, a cloud
 * metadata service or anything else on the internal network. So:
 * - https only, no user information in the URL;
 * - the host name is resolved once, here, and every address it resolves to must be public
 *   (address-policy.ts); the connection then goes to the checked address through a custom
 *   `lookup`, so a second resolution (DNS rebinding) cannot swap in another address;
 * - no redirects (a 3xx is an error: following one would skip the checks), 200 only;
 * - a deadline for the whole exchange and a size cap on the body;
 * - JSON only (`application/json` or `application/…+json`), uncompressed.
 *
 * Node's `https` rather than `fetch`: the built-in fetch takes no `lookup`, and this is the only
 * place the project needs one.
 */

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to all its addresses. Tests inject one that answers without DNS. */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

/** Why a fetch was refused or failed; `message` says it for a person. */
export type OutboundFailure =
  | 'url'
  | 'resolve'
  | 'address'
  | 'network'
  | 'timeout'
  | 'redirect'
  | 'status'
  | 'content_type'
  | 'too_large'
  | 'invalid_json';

export class OutboundFetchError extends Error {
  override name = 'OutboundFetchError';
  constructor(
    readonly failure: OutboundFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface GuardedFetcherOptions extends AddressPolicy {
  resolve?: Resolver;
  /**
   * Extra trusted CA certificates (PEM), on top of Node's own. For in-process tests against a
   * server with a self-signed certificate; a process started with NODE_EXTRA_CA_CERTS needs none.
   */
  ca?: readonly string[];
  /** For the whole exchange: connect, TLS, headers and body. */
  timeoutMs?: number;
}

export interface JsonResponse {
  body: unknown;
  headers: IncomingHttpHeaders;
}

export interface GuardedFetcher {
  /** GET `url`, expecting a JSON body of at most `maxBytes`. Rejects with OutboundFetchError. */
  getJson(url: string, limits: { maxBytes: number }): Promise<JsonResponse>;
}

export const DEFAULT_OUTBOUND_TIMEOUT_MS = 5000;

export function createGuardedFetcher(opts: GuardedFetcherOptions): GuardedFetcher {
  const resolve = opts.resolve ?? systemResolver;
  const ca = opts.ca?.length ? [...rootCertificates, ...opts.ca] : undefined;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_OUTBOUND_TIMEOUT_MS;

  return {
    async getJson(raw, { maxBytes }) {
      const url = parseFetchableUrl(raw);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const address = await checkedAddress(host, resolve, opts);
      return send(url, host, address, { ca, timeoutMs, maxBytes });
    },
  };
}

function parseFetchableUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundFetchError('url', 'not a valid URL');
  }
  if (url.protocol !== 'https:') throw new OutboundFetchError('url', 'only https URLs are fetched');
  if (url.username || url.password) {
    throw new OutboundFetchError('url', 'the URL must not contain user information');
  }
  return url;
}

/**
 * The address to connect to: the host itself when it is an IP literal (the URL parser has turned
 * numeric spellings such as 2130706433 or 0x7f.1 into dotted quads by now), else every address
 * the name resolves to must be allowed, and the first one is used.
 */
async function checkedAddress(
  host: string,
  resolve: Resolver,
  policy: AddressPolicy,
): Promise<ResolvedAddress> {
  let addresses: readonly ResolvedAddress[];
  if (ipaddr.isValid(host)) {
    addresses = [{ address: host, family: host.includes(':') ? 6 : 4 }];
  } else {
    try {
      addresses = await resolve(host);
    } catch (err) {
      throw new OutboundFetchError('resolve', `${host} could not be resolved (${errorCode(err)})`);
    }
  }
  const first = addresses[0];
  if (!first) throw new OutboundFetchError('resolve', `${host} has no address`);
  for (const { address } of addresses) {
    const refused = refusedAddress(address, policy);
    if (refused) throw new OutboundFetchError('address', `${host}: ${refused}, which is not fetched`);
  }
  return first;
}

function send(
  url: URL,
  host: string,
  address: ResolvedAddress,
  limits: { ca: string[] | undefined; timeoutMs: number; maxBytes: number },
): Promise<JsonResponse> {
  // Answers Node's connection with the address checked above, in both shapes Node asks for
  // (`all: true` when it races IPv4 and IPv6).
  const lookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [address]);
    else callback(null, address.address, address.family);
  };
  return new Promise((resolvePromise, reject) => {
    const req = https.request(
      {
        host,
        port: url.port || 443,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers: { accept: 'application/json', 'accept-encoding': 'identity', 'user-agent': 'mcp-auth' },
        lookup,
        agent: false,
        ...(limits.ca && { ca: limits.ca }),
      },
      (res) => readJson(res, limits.maxBytes).then(resolvePromise, (err: unknown) => fail(err)),
    );
    const timer = setTimeout(
      () => fail(new OutboundFetchError('timeout', `no complete answer within ${limits.timeoutMs} ms`)),
      limits.timeoutMs,
    );
    let settled = false;
    function fail(err: unknown) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(
        err instanceof OutboundFetchError
          ? err
          : new OutboundFetchError('network', `could not fetch ${url.host}: ${errorCode(err)}`),
      );
    }
    req.on('error', fail);
    req.on('close', () => clearTimeout(timer));
    req.end();
  });
}

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

function readJson(res: IncomingMessage, maxBytes: number): Promise<JsonResponse> {
  const status = res.statusCode ?? 0;
  const refuse = (failure: OutboundFailure, message: string) => {
    res.resume();
    return Promise.reject(new OutboundFetchError(failure, message));
  };
  if (status >= 300 && status < 400) {
    return refuse('redirect', `answered ${status} (a redirect); redirects are not followed`);
  }
  if (status !== 200) return refuse('status', `answered ${status}, not 200`);
  const mediaType = (res.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (!JSON_MEDIA_TYPE.test(mediaType)) {
    return refuse('content_type', `answered content-type "${mediaType || 'none'}", not JSON`);
  }
  const encoding = res.headers['content-encoding'];
  if (encoding && encoding.toLowerCase() !== 'identity') {
    return refuse('content_type', `answered a ${encoding}-encoded body; only identity is accepted`);
  }
  const tooLarge = () => new OutboundFetchError('too_large', `the document is larger than ${maxBytes} bytes`);
  if (Number(res.headers['content-length'] ?? 0) > maxBytes) return refuse('too_large', tooLarge().message);

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        res.destroy(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    res.on('error', reject);
    res.on('end', () => {
      try {
        const text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
        resolve({ body: JSON.parse(text) as unknown, headers: res.headers });
      } catch {
        reject(new OutboundFetchError('invalid_json', 'the body is not valid JSON'));
      }
    });
  });
}

const errorCode = (err: unknown): string => {
  const e = err as { code?: unknown; message?: unknown } | null;
  return typeof e?.code === 'string' ? e.code : typeof e?.message === 'string' ? e.message : 'error';
};
