import type { RequestHandler } from 'express';
import {
  describeScope,
  invalidRequest,
  parseInput,
  serverForResource,
  type AuditEntry,
} from '@mcp-auth/core';
import { z } from 'zod';
import type { AuthzContext, AuthzDeps } from '../deps.ts';
import { consentPage } from '../pages/consent-page.ts';
import { formTargetOf, sendPage } from '../pages/send-page.ts';
import { checkBinding, checkCsrf, clientDisplay, loadFlow, siteOf, type Flow } from './flow.ts';
import { issueCode } from './issue-code.ts';
import { errorResponseUrl, redirectTo } from './redirect.ts';

const consentForm = z.object({
  request: z.string().optional(),
  csrf_token: z.string().optional(),
  decision: z.string().optional(),
});
const decision = z.enum(['approve', 'deny']);

const loginUrl = (deps: AuthzDeps, flow: Flow) =>
  `${deps.config.issuer}/oauth/login?request=${encodeURIComponent(flow.id)}`;

/** `GET /oauth/consent?request=…`: only once someone has logged in for this request. */
export function showConsent(deps: AuthzContext): RequestHandler {
  return async (req, res) => {
    const flow = await loadFlow(deps, req.query.request, { signedIn: true });
    checkBinding(req, flow);
    if (!flow.user) return redirectTo(res, loginUrl(deps, flow));
    const page = consentPage({
      site: siteOf(deps.config.issuer),
      requestId: flow.id,
      csrfToken: flow.csrfToken,
      ...clientDisplay(flow),
      username: flow.user.username,
      switchAccountUrl: loginUrl(deps, flow),
      resource: flow.resource,
      serverName: serverForResource(deps.config.policy, flow.resource)?.name,
      scopes: flow.scopes.map((name) => ({ name, description: describeScope(deps.config.policy, name) })),
    });
    sendPage(res, 200, page, { formTargets: formTargetOf(flow.redirectUri) });
  };
}

/** The audit record of a person's answer on the consent page. */
const consentEvent = (
  type: 'consent.granted' | 'consent.denied',
  flow: Flow,
  userId: string,
  address: string | undefined,
): AuditEntry => ({
  type,
  outcome: 'success',
  actor: `user:${userId}`,
  address,
  clientId: flow.clientId,
  userId,
  detail: { resource: flow.resource, scopes: flow.scopes },
});

/** `POST /oauth/consent`: Allow issues a code and remembers the consent; Deny answers access_denied. */
export function submitConsent(deps: AuthzContext): RequestHandler {
  return async (req, res) => {
    const form = parseInput(consentForm, req.body ?? {});
    const flow = await loadFlow(deps, form.request, { signedIn: true });
    checkBinding(req, flow);
    checkCsrf(flow, form.csrf_token);
    if (!flow.user) return redirectTo(res, loginUrl(deps, flow));
    const choice = parseInput(decision, form.decision, () =>
      invalidRequest('decision must be approve or deny'),
    );

    if (choice === 'deny') {
      await deps.requests.remove(flow.id);
      deps.logger.info({ userId: flow.user.id, clientId: flow.clientId }, 'consent denied');
      deps.audit.record(consentEvent('consent.denied', flow, flow.user.id, req.ip));
      const denied = { error: 'access_denied', description: 'The user denied the request' };
      return redirectTo(res, errorResponseUrl(flow.redirectUri, denied, flow.state, deps.config.issuer));
    }
    const key = { userId: flow.user.id, clientId: flow.clientId, resource: flow.resource };
    // The code and the remembered consent in one statement. A double-clicked Allow: the submit that
    // lost the request writes nothing, records nothing and answers "expired".
    const issued = await issueCode(
      deps,
      flow,
      { userId: flow.user.id, authTime: flow.authTime },
      new Date(),
      {
        key,
        scopes: flow.scopes,
        lifetimeSeconds: deps.config.consentLifetime,
      },
    );
    deps.audit.record(consentEvent('consent.granted', flow, flow.user.id, req.ip));
    redirectTo(res, issued);
  };
}
