import type { RequestHandler } from 'express';
import { noStore, randomClientId, randomToken, sha256 } from '@mcp-auth/core';
import { requireOperatorForClientCredentials } from '../client-credentials-operator.ts';
import { auditedMetadata, clientInformation, metadataColumns } from '../client-record.ts';
import type { RegistrationContext } from '../deps.ts';
import { introspectionResourceOnRegistration } from '../introspection-resource.ts';
import { dropSurplusIdentical, registrationKeyOf } from '../identical-registrations.ts';
import { issuesSecret, validateClientMetadata } from '../metadata/validate.ts';

/**
 * `POST /oauth/register` (RFC 7591 §3). The client secret and the registration access token are
 * returned here once and stored only as hashes.
 */
export function register({ config, prisma, logger, audit }: RegistrationContext): RequestHandler {
  return async (req, res) => {
    const metadata = validateClientMetadata(req.body, config.policy);
    requireOperatorForClientCredentials(
      metadata.grant_types,
      req.get('authorization'),
      config.initialAccessToken,
    );
    const introspectionResource = introspectionResourceOnRegistration(req.body, {
      policy: config.policy,
      authMethod: metadata.token_endpoint_auth_method,
      authorization: req.get('authorization'),
      initialAccessToken: config.initialAccessToken,
    });
    // Open registrations only: the operator's own (client_credentials) are never bounded for them.
    const registrationKey = metadata.grant_types.includes('client_credentials')
      ? null
      : registrationKeyOf(metadata, req.ip ?? '');
    const clientSecret = issuesSecret(metadata) ? randomToken(32) : undefined;
    const registrationAccessToken = randomToken(32);
    const client = await prisma.oAuthClient.create({
      data: {
        id: randomClientId(),
        secretHash: clientSecret === undefined ? null : sha256(clientSecret),
        secretExpiresAt: null,
        registrationAccessTokenHash: sha256(registrationAccessToken),
        ...metadataColumns(metadata, introspectionResource ?? null),
        registrationKey,
      },
    });
    const dropped = registrationKey ? await dropSurplusIdentical(prisma, registrationKey) : 0;
    logger.info(
      {
        client_id: client.id,
        token_endpoint_auth_method: metadata.token_endpoint_auth_method,
        scope: metadata.scope,
        ...(dropped > 0 && { identical_unused_removed: dropped }),
      },
      'client registered',
    );
    audit.record({
      type: 'client.registered',
      outcome: 'success',
      actor: `client:${client.id}`,
      address: req.ip,
      clientId: client.id,
      detail: auditedMetadata(metadata),
    });
    noStore(res);
    res.status(201).json(clientInformation(client, config.issuer, { registrationAccessToken, clientSecret }));
  };
}
