/**
 * Whether a driver error means the database cannot be reached or used right now — an outage
 * (or contention) to answer with 503 and retry later, not a bug to answer with 500.
 *
 * PostgreSQL SQLSTATE classes (Appendix A): 08 connection exception, 28 invalid authorization
 * specification (a new connection refused its user or password: the password rotated, or
 * pg_hba.conf changed, under a running API; served again once corrected), 53 insufficient
 * resources, 57P operator intervention (shutdown, terminated backend). Single codes: 57014 a
 * statement cancelled (its `statement_timeout`, `STATEMENT_TIMEOUT_MS`, or an operator), 3D000
 * database gone, 26000 a prepared statement the server dropped (`DISCARD ALL`: the connection
 * prepares it again on its next use, see `forgetDroppedStatements`, so a retry succeeds), 55P03
 * a lock wait the server ended (an operator's `lock_timeout`), 40001 and 40P01 a transaction
 * the server ended for a serialization failure or a deadlock (contention a retry resolves).
 * SQLite: busy, locked, I/O, full, cannot open, read-only (a file system remounted read-only, a
 * file deleted or replaced under the API: `SqliteFileMovedError`). Node sockets: refused, reset,
 * broken pipe, timed out, unreachable. node-postgres reports a lost or unobtainable connection
 * with no code at all, only a message; those messages are matched too. A wrapped error is
 * judged by its `cause`, and an `AggregateError` (one attempt per resolved address) by any of
 * its errors.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return unavailable(error, 0);
}

/** Single SQLSTATEs answered 503 (see `isDatabaseUnavailable`). */
const RETRYABLE = new Set(['57014', '3D000', '26000', '55P03', '40001', '40P01']);

const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** node-postgres and pg-pool messages for a connection that is gone or never came. */
const CONNECTION_LOST = new RegExp(
  [
    'Connection terminated', // unexpectedly / due to connection timeout
    'timeout exceeded when trying to connect', // pg-pool: no connection within the timeout
    '^timeout expired$', // pg's client: the server did not complete the connection in time
    'Client has encountered a connection error', // query on a client whose socket failed
    'Client was closed and is not queryable', // query on a client that ended
    'Query read timeout',
  ].join('|'),
  'i',
);

function unavailable(error: unknown, depth: number): boolean {
  if (!(error instanceof Error) || depth > 4) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (/^(08|28|53|57P)/.test(code) || RETRYABLE.has(code)) return true;
    if (/^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY)/.test(code)) return true;
    if (SOCKET_CODES.has(code)) return true;
  }
  if (CONNECTION_LOST.test(error.message)) return true;
  if (error instanceof AggregateError && error.errors.some((e) => unavailable(e, depth + 1))) {
    return true;
  }
  return unavailable(error.cause, depth + 1);
}
