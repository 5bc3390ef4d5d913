// Kept apart from db.ts so that the HTTP error mapping does not load the Prisma client.

/**
 * What says "the database cannot answer now" rather than "this request is wrong": it is down or
 * restarting (a failover), refused or dropped the connection, is read-only (a demoted primary, or a
 * replica reached before DNS moved), has no connection to spare, or cancelled a statement that ran
 * past DATABASE_STATEMENT_TIMEOUT. Requests that meet it answer 503 temporarily_unavailable with
 * Retry-After, and the next request uses a fresh connection: no restart needed.
 */
const UNAVAILABLE_SQLSTATES = new Set([
  '57014', // query_canceled: the statement timeout
  '57P01', // admin_shutdown: the server is stopping (switchover, restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or in recovery
  '53300', // too_many_connections
  '25006', // read_only_sql_transaction: a standby or a demoted primary
  '55P03', // lock_not_available: lock_timeout
]);
const UNAVAILABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);
const UNAVAILABLE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1017', 'P2024']);

export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as {
    code?: unknown;
    meta?: { driverAdapterError?: { cause?: { kind?: unknown; originalCode?: unknown } } };
  } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && UNAVAILABLE_PRISMA_CODES.has(e.code)) return true;
  const cause = e.meta?.driverAdapterError?.cause;
  if (!cause) return false;
  const sqlState = typeof cause.originalCode === 'string' ? cause.originalCode : '';
  // Class 08: connection exceptions.
  return (
    UNAVAILABLE_KINDS.has(String(cause.kind)) ||
    UNAVAILABLE_SQLSTATES.has(sqlState) ||
    sqlState.startsWith('08')
  );
}
