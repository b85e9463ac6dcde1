/**
 * Whether a driver error means the database cannot be reached or used right now — an outage
 * to answer with 503 and retry later, not a bug to answer with 500.
 *
 * PostgreSQL SQLSTATE classes (Appendix A): 08 connection exception, 53 insufficient
 * resources, 57P operator intervention (shutdown, terminated backend), 3D000 database gone.
 * SQLite: busy, locked, I/O, full, cannot open. Node: refused, reset, timed out.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (/^(08|53|57P)/.test(code) || code === '3D000') return true;
    if (/^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN)/.test(code)) return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND'].includes(code)) {
      return true;
    }
  }
  // node-postgres reports a dropped or unobtainable connection without a code.
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    error.message,
  );
}
