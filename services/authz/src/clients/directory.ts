import {
  cacheLifetimeSeconds,
  clientJwksSchema,
  CLIENT_JWKS_LIMITS,
  DocumentCache,
  OutboundFetchError,
  type CacheBounds,
  type ClientChangeFeed,
  type ClientJwks,
  type GuardedFetcher,
  type Logger,
  type OAuthClient,
  type Policy,
  type PrismaClient,
} from '@mcp-auth/core';
import { metadataColumns } from '@mcp-auth/registration/client-metadata';
import { ClientCache } from './client-cache.ts';
import {
  checkMetadataDocumentUrl,
  isMetadataDocumentClientId,
  MetadataDocumentError,
  validateMetadataDocument,
} from './metadata-document.ts';

/**
 * Where the authorization server finds clients: registered ones in the database, and
 * metadata-document clients (CIMD) at their URL, mirrored into the database so that requests,
 * codes, consents and refresh tokens can reference them like any other client.
 */
export interface ClientDirectory {
  /**
   * The client, or null when no such client is registered. For a metadata-document client id,
   * rejects with MetadataDocumentError when its document cannot be fetched or is not valid.
   */
  find(clientId: string): Promise<OAuthClient | null>;
  /**
   * The client's stored record (a registration, or a metadata document's mirror) as it is now,
   * never fetching a document: for a flow that started with this client, whose document was
   * checked then. Registered clients come from the same cache as `find`.
   */
  stored(clientId: string): Promise<OAuthClient | null>;
  /**
   * A private_key_jwt client's public keys: inline, or from its jwks_uri (cached). `refresh`
   * refetches a jwks_uri copy older than a minute, for an assertion signed by an unknown key.
   */
  keys(client: OAuthClient, opts?: { refresh?: boolean }): Promise<ClientJwks>;
}

/**
 * Documents live by their Cache-Control, but at least a minute (so a client cannot make us fetch
 * on every request) and at most an hour (so a changed redirect URI or key takes effect soon). A
 * document that cannot be refetched is used for five more minutes, then the client stops working.
 */
export const CLIENT_DOCUMENT_CACHE: CacheBounds = {
  minSeconds: 60,
  maxSeconds: 3600,
  staleSeconds: 300,
  maxEntries: 1000,
};

/** The draft's recommended cap for a metadata document (§6.4). */
export const MAX_METADATA_DOCUMENT_BYTES = 5 * 1024;

const REFRESH_KEYS_AFTER_SECONDS = 60;

export function createClientDirectory(deps: {
  prisma: PrismaClient;
  logger: Logger;
  fetcher: GuardedFetcher;
  policy: Pick<Policy, 'scopes'>;
  /** Announces client changes; without it, every lookup reads the database. */
  changes?: ClientChangeFeed;
  now?: () => number;
}): ClientDirectory {
  const { prisma, logger, fetcher, policy } = deps;
  const registered = deps.changes ? new ClientCache(deps.changes) : undefined;

  /** A registered client's row; cached, since every token and introspection request needs it. */
  async function findRow(clientId: string): Promise<OAuthClient | null> {
    const cached = registered?.get(clientId);
    if (cached) return cached;
    const readStartedAt = registered?.beforeRead() ?? 0;
    const row = await prisma.oAuthClient.findUnique({ where: { id: clientId } });
    // A metadata-document mirror is kept fresh by its document's cache instead.
    if (row && !row.metadataDocument) registered?.store(row, readStartedAt);
    return row;
  }

  const documents = new DocumentCache<OAuthClient>(
    async (clientId) => {
      const url = checkMetadataDocumentUrl(clientId);
      const res = await fetchDocument(fetcher, clientId, MAX_METADATA_DOCUMENT_BYTES);
      const metadata = validateMetadataDocument(clientId, res.body, policy);
      const lifetimeSeconds = cacheLifetimeSeconds(clientId, res.headers);
      // The row is refreshed from the document each time it is fetched. It never has a secret or
      // a registration access token, so RFC 7592 management refuses it.
      const columns = {
        ...metadataColumns(metadata),
        secretHash: null,
        secretExpiresAt: null,
        registrationAccessTokenHash: null,
        metadataDocument: true,
      };
      const value = await prisma.oAuthClient.upsert({
        where: { id: clientId },
        create: { id: clientId, ...columns },
        update: columns,
      });
      logger.info({ clientId, host: url.host, lifetimeSeconds }, 'client metadata document fetched');
      return { value, lifetimeSeconds };
    },
    CLIENT_DOCUMENT_CACHE,
    {
      now: deps.now,
      onStale: (clientId, err) =>
        logger.warn(
          { clientId, err: describe(err) },
          'client metadata document refresh failed; using the stale copy',
        ),
    },
  );

  const jwksDocuments = new DocumentCache<ClientJwks>(
    async (uri) => {
      const res = await fetchDocument(fetcher, uri, CLIENT_JWKS_LIMITS.bytes);
      const parsed = clientJwksSchema.safeParse(res.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new MetadataDocumentError(`jwks_uri: ${issue?.path.join('.')} ${issue?.message ?? 'invalid'}`);
      }
      return { value: parsed.data, lifetimeSeconds: cacheLifetimeSeconds(uri, res.headers) };
    },
    CLIENT_DOCUMENT_CACHE,
    {
      now: deps.now,
      onStale: (uri, err) =>
        logger.warn({ uri, err: describe(err) }, 'client jwks_uri refresh failed; using the stale copy'),
    },
  );

  return {
    async find(clientId) {
      const row = await findRow(clientId);
      if (!isMetadataDocumentClientId(clientId)) return row;
      // The operator may register a document URL as an ordinary client (the draft's
      // "pre-registering"): then the registration is what counts, and nothing is fetched.
      if (row && !row.metadataDocument) return row;
      return documents.get(clientId);
    },

    stored: findRow,

    async keys(client, opts = {}) {
      if (client.jwksUri) {
        return jwksDocuments.get(
          client.jwksUri,
          opts.refresh ? { maxAgeSeconds: REFRESH_KEYS_AFTER_SECONDS } : {},
        );
      }
      const inline = clientJwksSchema.safeParse(client.jwks);
      if (!inline.success) throw new MetadataDocumentError('the client has no usable jwks');
      return inline.data;
    },
  };
}

/** Fetch failures become MetadataDocumentError, worded for whoever reads the error. */
async function fetchDocument(fetcher: GuardedFetcher, url: string, maxBytes: number) {
  try {
    return await fetcher.getJson(url, { maxBytes });
  } catch (err) {
    if (err instanceof OutboundFetchError)
      throw new MetadataDocumentError(`${url} could not be fetched: ${err.message}`);
    throw err;
  }
}

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));
