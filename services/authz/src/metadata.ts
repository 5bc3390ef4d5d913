import type { Router } from 'express';
import {
  CLIENT_ASSERTION_ALGORITHMS,
  publicCors,
  strictRouter,
  TOKEN_ENDPOINT_AUTH_METHODS,
} from '@mcp-auth/core';
import type { AuthzConfig } from './config.ts';
import { INTROSPECTION_PATH } from './introspection/endpoint.ts';
import { REVOCATION_PATH } from './revocation/endpoint.ts';
import { SUPPORTED_GRANT_TYPES } from './token/grants/index.ts';

/** RFC 8414 authorization server metadata. */
export function authorizationServerMetadata(config: AuthzConfig) {
  const { issuer } = config;
  return {
    issuer,
    authorization_endpoint: `${issuer}/oauth/authorize`,
    token_endpoint: `${issuer}/oauth/token`,
    registration_endpoint: `${issuer}/oauth/register`,
    jwks_uri: `${issuer}/oauth/jwks.json`,
    // Every scope the operator's policy declares, in its order (RFC 8414 §2).
    scopes_supported: [...config.policy.scopes.keys()],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: [...SUPPORTED_GRANT_TYPES],
    token_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_AUTH_METHODS],
    token_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGORITHMS],
    // Every endpoint a client posts to authenticates it the same way (client-auth/).
    revocation_endpoint: `${issuer}${REVOCATION_PATH}`,
    revocation_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_AUTH_METHODS],
    revocation_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGORITHMS],
    introspection_endpoint: `${issuer}${INTROSPECTION_PATH}`,
    introspection_endpoint_auth_methods_supported: TOKEN_ENDPOINT_AUTH_METHODS.filter((m) => m !== 'none'),
    introspection_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGORITHMS],
    // draft-ietf-oauth-client-id-metadata-document: an https client_id is the URL of the client's
    // metadata, fetched on first use (clients/).
    client_id_metadata_document_supported: true,
    code_challenge_methods_supported: ['S256'],
    // RFC 9207: the authorization response carries `iss`, so clients can detect mix-up attacks.
    authorization_response_iss_parameter_supported: true,
  };
}

export function metadataRouter(config: AuthzConfig): Router {
  const router = strictRouter();
  // Computed once: it depends on configuration only.
  const body = JSON.stringify(authorizationServerMetadata(config));
  router.use('/.well-known/oauth-authorization-server', publicCors(['GET']));
  router.get('/.well-known/oauth-authorization-server', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').type('application/json').send(body);
  });
  return router;
}
