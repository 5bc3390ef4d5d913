import { deleteClients, type OAuthClient } from '@mcp-auth/core';
import { listGrants, type Grant } from '../grants/grants.ts';
import { audited } from './audited.ts';
import type { AdminActor, AdminDeps } from './deps.ts';
import { notFound } from './errors.ts';

/** A client as the admin surface shows it: never its secret or registration token hashes. */
export interface ClientView {
  id: string;
  name: string | null;
  /** `registered` (RFC 7591) or `metadata_document` (CIMD: the id is the document's URL). */
  kind: 'registered' | 'metadata_document';
  tokenEndpointAuthMethod: string;
  grantTypes: string[];
  redirectUris: string[];
  scope: string | null;
  createdAt: Date;
  /** When a token was last issued to it (to the hour), or null if never. */
  lastUsedAt: Date | null;
}

export interface ClientDetail extends ClientView {
  /** The metadata exactly as registered (or as the document said). */
  metadata: unknown;
  grants: Grant[];
}

const view = (c: OAuthClient): ClientView => ({
  id: c.id,
  name: c.clientName,
  kind: c.metadataDocument ? 'metadata_document' : 'registered',
  tokenEndpointAuthMethod: c.tokenEndpointAuthMethod,
  grantTypes: c.grantTypes,
  redirectUris: c.redirectUris,
  scope: c.scope,
  createdAt: c.createdAt,
  lastUsedAt: c.lastUsedAt,
});

async function findClient(deps: AdminDeps, id: string): Promise<OAuthClient> {
  const client = await deps.prisma.oAuthClient.findUnique({ where: { id } });
  if (!client) throw notFound(`client ${id} does not exist`);
  return client;
}

/** Every client, most recently used first (never used last, newest first among them). */
export async function listClients(deps: AdminDeps, who: AdminActor): Promise<ClientView[]> {
  return audited(
    deps,
    who,
    'clients.list',
    {},
    async () =>
      (
        await deps.prisma.oAuthClient.findMany({
          orderBy: [{ lastUsedAt: { sort: 'desc', nulls: 'last' } }, { createdAt: 'desc' }],
        })
      ).map(view),
    (clients) => ({ count: clients.length }),
  );
}

export async function showClient(deps: AdminDeps, who: AdminActor, id: string): Promise<ClientDetail> {
  return audited(deps, who, 'clients.show', { clientId: id }, async () => {
    const client = await findClient(deps, id);
    return {
      ...view(client),
      metadata: client.metadata,
      grants: await listGrants(deps.prisma, { clientId: id }),
    };
  });
}

/**
 * Deletes a client as an RFC 7592 delete would, without its registration token: every token it
 * holds is revoked first (core's deleteClients), then the row and, by cascade, its consents, codes
 * and refresh tokens. A CIMD client can be deleted too; it comes back (with nothing granted) if
 * its document is used again.
 */
export async function deleteClient(
  deps: AdminDeps,
  who: AdminActor,
  id: string,
): Promise<{ client: ClientView }> {
  return audited(deps, who, 'clients.delete', { clientId: id }, async () => {
    const client = await findClient(deps, id);
    const deleted = await deleteClients(deps, [id], { accessTokenTtl: deps.config.accessTokenTtl });
    if (deleted === 0) throw notFound(`client ${id} does not exist`);
    deps.audit.record({
      type: 'client.deleted',
      outcome: 'success',
      actor: who.actor,
      address: who.address,
      clientId: id,
      detail: { via: 'admin' },
    });
    return { client: view(client) };
  });
}
