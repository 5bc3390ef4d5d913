/**
 * The seam between the services and the revocation set (DESIGN "Revocation"). The authorization
 * server records revocations; the MCP service asks on every request. Implementations: Redis
 * backed by Postgres (compose, local stack) and Postgres alone (embedded mode).
 */
export interface RevocationChecker {
  /**
   * True when the token (`jti`) or its grant family (`sid`) is revoked. Rejects with
   * RevocationUnavailableError when the store cannot answer: callers fail closed.
   */
  isRevoked(jti: string, sid: string): Promise<boolean>;
}

export class RevocationUnavailableError extends Error {
  override name = 'RevocationUnavailableError';
}
