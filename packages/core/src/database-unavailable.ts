// Kept apart from db.ts so that the HTTP error mapping does not load the Prisma client.

/**
 * Whether an error means "the database cannot be reached right now" rather than "this query is
 * wrong". The HTTP layer answers the first with 503 temporarily_unavailable and a Retry-After
 * (DESIGN "Errors": a dependency outage is 503, never a 500), so clients retry and a failover or a
 * restart of PostgreSQL is survived without restarting the services: the pool reconnects by itself.
 *
 * The same outage reaches us in several shapes: Prisma's P1xxx codes and its adapter's error kinds
 * when a new connection cannot be made, and node-postgres's own errors (or a socket's) when a
 * pooled connection dies under a query.
 */

/** Prisma: can't reach, timed out, server closed the connection, pool timeout. */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
/** @prisma/driver-adapter-utils error kinds for a lost or refused connection. */
const ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
/**
 * SQLSTATE class 08 (connection exception); the server shutting down or starting up (57P01-03, a
 * failover or restart); a statement cancelled by DATABASE_STATEMENT_TIMEOUT (57014); no connection
 * to spare (53300); a read-only standby or demoted primary reached before DNS moved (25006); a
 * lock_timeout (55P03).
 */
const SQLSTATE = /^(08...|57P01|57P02|57P03|57014|53300|25006|55P03)$/;
/** node-postgres's messages for a connection that ended or never came (it gives them no code). */
const PG_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: { cause?: { kind?: unknown; originalCode?: unknown } } };
}

export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 5) return false;
  const e = err as ErrorLike;
  if (
    typeof e.code === 'string' &&
    (PRISMA_CODES.has(e.code) || SOCKET_CODES.has(e.code) || SQLSTATE.test(e.code))
  ) {
    return true;
  }
  const adapter = e.meta?.driverAdapterError?.cause;
  if (typeof adapter?.kind === 'string' && ADAPTER_KINDS.has(adapter.kind)) return true;
  if (typeof adapter?.originalCode === 'string' && SQLSTATE.test(adapter.originalCode)) return true;
  if (typeof e.message === 'string' && PG_MESSAGES.test(e.message)) return true;
  return isDatabaseUnavailable(e.cause, depth + 1);
}
