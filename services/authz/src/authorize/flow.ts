import type { Request } from 'express';
import {
  OAuthError,
  matchesSha256,
  safeEqual,
  type AuthorizationRequest,
  type OAuthClient,
  type User,
} from '@mcp-auth/core';
import type { ClientDirectory } from '../clients/directory.ts';
import { describeDestination } from '../pages/destination.ts';
import { readBindingCookie } from './binding-cookie.ts';
import type { RequestStore } from './request-store.ts';

/** An authorization request in progress, as the login and consent steps see it. */
export type Flow = AuthorizationRequest & { client: OAuthClient; user: Pick<User, 'id' | 'username'> | null };

export const flowExpired = () =>
  new OAuthError(
    'invalid_request',
    'Your login session has expired or is unknown. Start again from the app.',
  );

export const csrfFailed = (why: string) =>
  new OAuthError('invalid_request', `CSRF check failed: ${why}`, 403);

/**
 * The request named by `request` (query or form), if it exists and has not expired, with its
 * client and the user signed in for it: at most one statement (RequestStore), and the client
 * record from the directory's cache. `signedIn`: the step needs the user (consent).
 */
export async function loadFlow(
  deps: { clients: Pick<ClientDirectory, 'stored'>; requests: RequestStore },
  requestId: unknown,
  opts: { signedIn?: boolean; now?: Date } = {},
): Promise<Flow> {
  if (typeof requestId !== 'string' || requestId === '' || requestId.length > 128) throw flowExpired();
  const { requests } = deps;
  const row = await requests.read(requestId, opts);
  if (!row) throw flowExpired();
  const { username, ...request } = row;
  if (request.expiresAt <= (opts.now ?? new Date())) {
    await requests.remove(request.id);
    throw flowExpired();
  }
  const client = await deps.clients.stored(request.clientId);
  // Deleting a client or a user deletes its requests (cascade), and disabling a user ends them:
  // these are races with that.
  if (!client || (request.userId !== null && username === null)) throw flowExpired();
  const user = request.userId === null ? null : { id: request.userId, username: username! };
  return { ...request, client, user };
}

/** Only the browser that sent the authorization request may log in and consent for it. */
export function checkBinding(req: Request, flow: Pick<AuthorizationRequest, 'bindingHash'>): void {
  const binding = readBindingCookie(req);
  if (!binding || !matchesSha256(binding, flow.bindingHash)) {
    throw csrfFailed(
      'this sign-in was started in another browser or window, or a newer sign-in replaced it. Start again from the app.',
    );
  }
}

/** The form must carry the token we put in it, so another site cannot post it for the user. */
export function checkCsrf(flow: Pick<AuthorizationRequest, 'csrfToken'>, token: unknown): void {
  if (typeof token !== 'string' || token === '' || !safeEqual(token, flow.csrfToken)) {
    throw csrfFailed(
      'the form is missing its security token or it does not match. Start again from the app.',
    );
  }
}

/** What the pages show about the client and where the answer goes. */
export function clientDisplay(flow: Pick<Flow, 'client' | 'redirectUri'>) {
  const destination = describeDestination(flow.redirectUri);
  return {
    clientName: flow.client.clientName || flow.client.id,
    clientNamed: Boolean(flow.client.clientName),
    clientHost: destination.text,
    clientLocal: destination.local,
    // A metadata-document client is vouched for by the site that serves its document.
    publisher: flow.client.metadataDocument ? new URL(flow.client.id).host : undefined,
  };
}

export const siteOf = (issuer: string) => new URL(issuer).host;
