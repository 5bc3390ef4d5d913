import * as oidc from 'openid-client';
import { OAuthError, type Logger } from '@mcp-auth/core';
import type { UpstreamOidcConfig } from './upstream-config.ts';

export const upstreamUnavailable = (name: string) =>
  new OAuthError(
    'temporarily_unavailable',
    `${name} cannot be reached at the moment, so signing in with it is not possible. Try again in a few minutes.`,
    503,
  );

/** The provider's metadata, discovered on first use and kept; a failed discovery is retried next time. */
export interface UpstreamClient {
  readonly settings: UpstreamOidcConfig;
  configuration(): Promise<oidc.Configuration>;
}

// Discovery and token requests must not hang a person's sign-in on a provider that does not answer.
const TIMEOUT_MS = 10_000;

export function createUpstreamClient(settings: UpstreamOidcConfig, logger: Logger): UpstreamClient {
  let discovered: Promise<oidc.Configuration> | undefined;
  const discover = async () => {
    const auth = settings.clientSecret ? oidc.ClientSecretBasic(settings.clientSecret) : oidc.None();
    return oidc.discovery(new URL(settings.issuer), settings.clientId, undefined, auth, {
      // http only for a loopback issuer or behind UPSTREAM_OIDC_ALLOW_HTTP (checked at start).
      ...(settings.allowHttp ? { execute: [oidc.allowInsecureRequests] } : {}),
      // Also every later request made with this configuration (the token request).
      timeout: TIMEOUT_MS / 1000,
    });
  };
  return {
    settings,
    configuration() {
      discovered ??= discover().catch((err: unknown) => {
        discovered = undefined;
        logger.warn({ err, issuer: settings.issuer }, 'upstream identity provider discovery failed');
        throw upstreamUnavailable(settings.displayName);
      });
      return discovered;
    },
  };
}
