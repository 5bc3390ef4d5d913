import type { RequestHandler } from 'express';
import { noStore, randomToken, sha256 } from '@mcp-auth/core';
import { requireOperatorForClientCredentialsUpdate } from '../client-credentials-operator.ts';
import { auditedMetadata, clientInformation, metadataColumns } from '../client-record.ts';
import type { RegistrationContext } from '../deps.ts';
import { introspectionResourceOnUpdate } from '../introspection-resource.ts';
import { checkUpdateFields } from '../metadata/update-fields.ts';
import { issuesSecret, validateClientMetadata } from '../metadata/validate.ts';
import { authorizeRegistration, invalidRegistrationToken, isRecordGone } from '../registration-token.ts';

/**
 * `PUT /oauth/register/:client_id` (RFC 7592 §2.2): the body replaces the registered metadata
 * (omitted fields are removed) and passes the same checks as a registration. A client that
 * becomes confidential gets a secret, returned once; one that becomes public loses its secret.
 */
export function updateRegistration({ config, prisma, logger, audit }: RegistrationContext): RequestHandler {
  return async (req, res) => {
    const { client, registrationAccessToken } = await authorizeRegistration(prisma, req);
    checkUpdateFields(req.body, { client, registrationAccessToken, issuer: config.issuer });
    const metadata = validateClientMetadata(req.body, config.policy);
    requireOperatorForClientCredentialsUpdate(
      { grantTypes: metadata.grant_types, scope: metadata.scope },
      { grantTypes: client.grantTypes, scope: client.scope },
      config.initialAccessToken,
      config.policy.defaultScope,
    );
    const introspectionResource = introspectionResourceOnUpdate(req.body, {
      policy: config.policy,
      authMethod: metadata.token_endpoint_auth_method,
      registered: client.introspectionResource,
    });

    const confidential = issuesSecret(metadata);
    const clientSecret = confidential && client.secretHash === null ? randomToken(32) : undefined;
    let updated;
    try {
      updated = await prisma.oAuthClient.update({
        // Conditional on the token hash, so a concurrent delete cannot be overwritten.
        where: { id: client.id, registrationAccessTokenHash: client.registrationAccessTokenHash },
        data: {
          secretHash: !confidential
            ? null
            : clientSecret !== undefined
              ? sha256(clientSecret)
              : client.secretHash,
          secretExpiresAt: confidential ? client.secretExpiresAt : null,
          ...metadataColumns(metadata, introspectionResource),
          // Changed metadata is no longer a repeat of the original registration.
          registrationKey: null,
        },
      });
    } catch (err) {
      if (isRecordGone(err)) throw invalidRegistrationToken();
      throw err;
    }
    logger.info(
      {
        client_id: client.id,
        token_endpoint_auth_method: metadata.token_endpoint_auth_method,
        new_secret: !!clientSecret,
      },
      'client updated',
    );
    audit.record({
      type: 'client.updated',
      outcome: 'success',
      actor: `client:${client.id}`,
      address: req.ip,
      clientId: client.id,
      detail: {
        ...auditedMetadata(metadata),
        newSecret: !!clientSecret,
      },
    });
    noStore(res);
    res.json(clientInformation(updated, config.issuer, { registrationAccessToken, clientSecret }));
  };
}
