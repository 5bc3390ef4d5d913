// @mcp-auth/resource-server: what a Node MCP server needs to accept mcp-auth access tokens.
// The whole public surface is here; nothing else in the package is part of its API.
export {
  requireBearerAuth,
  type AuthenticatedRequest,
  type BearerAuthOptions,
  type Middleware,
  type Next,
} from './bearer.ts';
export { jwtVerifier, type JwtVerifierOptions, type TokenVerifier } from './verifier.ts';
export { remoteJwks, staticKeys, type KeySource, type RemoteJwksOptions } from './key-source.ts';
export {
  algOf,
  KeyError,
  keySet,
  keysFromJwks,
  parseVerificationKeys,
  SIGNING_ALGORITHMS,
  thumbprint,
  type KeySet,
  type SigningAlgorithm,
  type VerificationKey,
} from './keys.ts';
export {
  accessTokenKid,
  createAccessTokenVerifier,
  verifyAccessToken,
  verifyAccessTokenWithKey,
  VerifiedTokenCache,
  type AccessTokenClaims,
  type ExpectedToken,
} from './access-token.ts';
export {
  DEFAULT_KEY_PREFIX,
  legacyRevocationKey,
  redisRevocationChecker,
  revocationCompleteKey,
  revocationKey,
  revocationKeysOf,
  revokedByEntries,
  type RedisReader,
  type RedisRevocationOptions,
  type RevocationChecker,
  type RevocationKind,
  type RevocationSubject,
} from './revocation.ts';
export {
  requireMessageScopes,
  requiredScopes,
  scopeShortfall,
  type Requirements,
  type ScopePolicy,
} from './required-scopes.ts';
export { originGuard, type OriginOptions } from './origin.ts';
export {
  PROTECTED_RESOURCE_WELL_KNOWN,
  protectedResourceMetadata,
  protectedResourceMetadataRouter,
  resourceMetadataUrlFor,
  resourcePathOf,
  type ResourceMetadataOptions,
} from './metadata.ts';
export { callerOf, parseScope, toAuthInfo, type AuthInfo, type Caller } from './auth-info.ts';
export {
  BearerError,
  bearerChallenge,
  bearerErrors,
  InvalidTokenError,
  sendBearerError,
  VerifierUnavailableError,
  type BearerErrors,
} from './challenge.ts';
export { parseBearerHeader, type BearerHeader } from './bearer-header.ts';
