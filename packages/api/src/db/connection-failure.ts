import { loadPg } from './pg.js';

/**
 * Why the PostgreSQL database of `DATABASE_URL` could not be used when the API started, in words
 * an operator can act on: which part of `DATABASE_URL` to check, or what to create or grant.
 * The driver's own message names the user or the database at most, never the password; this
 * adds where (host, port, database: no user information) and what to do.
 *
 * @param error what starting threw (a migration error whose `cause` is the driver's error).
 * @param url the `DATABASE_URL` the API was started with.
 * @returns one sentence, or undefined when the error is not about reaching or using the database
 *   (e.g. a migration that failed on the schema, which says so itself).
 * @example
 * databaseFailure(err28P01, 'postgres://todo:pw@db:5432/todo')
 * // 'the database in DATABASE_URL (db:5432/todo) cannot be used: password authentication failed
 * //  for user "todo"; check the user name and password in DATABASE_URL …'
 */
export function databaseFailure(error: unknown, url: string): string | undefined {
  const cause = driverError(error);
  if (cause === undefined || !URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  const host = `${parsed.hostname || 'the local socket'}:${parsed.port || 5432}`;
  const database =
    decodeURIComponent(parsed.pathname.slice(1)) || decodeURIComponent(parsed.username);
  const user = decodeURIComponent(parsed.username) || 'the user in DATABASE_URL';
  const hint = HINTS[cause.code]?.({ host, database, user });
  if (hint === undefined) return undefined;
  return `the database in DATABASE_URL (${host}/${database}) cannot be used: ${cause.message}; ${hint}`;
}

interface Where {
  readonly host: string;
  readonly database: string;
  readonly user: string;
}

/** By PostgreSQL SQLSTATE (Appendix A, "PostgreSQL Error Codes") or Node's system error code. */
const HINTS: Readonly<Record<string, (w: Where) => string>> = {
  // invalid_password
  '28P01': () =>
    'check the user name and password in DATABASE_URL (characters other than letters, digits and - . _ ~ in them must be percent-encoded)',
  // invalid_authorization_specification: no such role, or pg_hba.conf has no line for it
  '28000': (w) =>
    `check the user name in DATABASE_URL, and that PostgreSQL's pg_hba.conf admits ${w.user} to ${w.database} from this host`,
  // The same refusal from a server whose pg_hba.conf admits this user over TLS only (`hostssl`
  // lines; a `hostnossl … reject`), met by a DATABASE_URL without sslmode: PostgreSQL ends the
  // message with "no encryption" (14 and later; "SSL off" before).
  TLS_REQUIRED: (w) =>
    `PostgreSQL admits ${w.user} to ${w.database} from this host over TLS only: add sslmode=verify-full to DATABASE_URL (?sslmode=verify-full, with sslrootcert=/path/to/ca.pem for a private CA)`,
  // invalid_catalog_name
  '3D000': (w) =>
    `create it (as PostgreSQL's superuser: CREATE DATABASE "${w.database}" OWNER "${w.user}") or correct the database name, the path of DATABASE_URL`,
  // insufficient_privilege: since PostgreSQL 15 only the database owner may create in `public`
  '42501': (w) =>
    `the API creates its tables when it starts: make ${w.user} the owner of the database (ALTER DATABASE "${w.database}" OWNER TO "${w.user}") or grant it CREATE on its schema`,
  // too_many_connections: max_connections reached (less the slots reserved for superusers), or
  // the database's or the role's CONNECTION LIMIT
  '53300': () =>
    "PostgreSQL accepts no more connections: each API process holds up to 11 (a pool of 10 and the revocation feed's); end idle sessions (pg_stat_activity), or raise max_connections or the database's or user's CONNECTION LIMIT",
  ECONNREFUSED: (w) =>
    `nothing accepts connections at ${w.host}: check the host and port in DATABASE_URL, and that PostgreSQL runs and listens there (listen_addresses)`,
  ENOTFOUND: () => 'the host name in DATABASE_URL is not known: check it',
  // The server answered 'N' to the SSLRequest (PostgreSQL protocol, "SSL Session Encryption").
  NO_TLS: () =>
    'DATABASE_URL asks for TLS (sslmode) but this PostgreSQL offers none: turn on ssl at the server (ssl = on, with its certificate), or, for a server reached only over loopback or a private network you trust, remove sslmode from DATABASE_URL',
  // The server's certificate is not one this host trusts, or not for this host name.
  UNTRUSTED_TLS: () =>
    "the API does not trust PostgreSQL's TLS certificate: give it the CA that signed it (sslrootcert=/path/to/ca.pem in DATABASE_URL, or NODE_EXTRA_CA_CERTS=/path/to/ca.pem) and connect by a host name the certificate names; never turn verification off",
  EAI_AGAIN: () => 'the host name in DATABASE_URL could not be looked up: check it and the DNS',
  // A file DATABASE_URL names (read by the driver as it connects), or a socket directory.
  ENOENT: () =>
    'a file DATABASE_URL names does not exist (sslrootcert, sslcert or sslkey: check the path on this host), or no PostgreSQL socket is in the directory its host names',
  EACCES: () =>
    'a file DATABASE_URL names cannot be read (sslrootcert, sslcert or sslkey): let the user the API runs as read it',
  ETIMEDOUT: (w) =>
    `${w.host} did not answer: check the host and port in DATABASE_URL and that no firewall drops the connection`,
};

/** Node's TLS verification failures (`tls` and OpenSSL `X509_V_ERR_*` names). */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The hint's key for an error: its code, or what node-postgres says without one. */
function hintKey(e: Error): unknown {
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && UNTRUSTED.has(code)) return 'UNTRUSTED_TLS';
  if (code === '28000' && /, (no encryption|SSL off)$/.test(e.message)) return 'TLS_REQUIRED';
  if (code === undefined && e.message === 'The server does not support SSL connections')
    return 'NO_TLS';
  return code;
}

/** The driver's or the system's error behind `error`, followed through `cause`. */
function driverError(error: unknown): { code: string; message: string } | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = hintKey(e);
    if (typeof code === 'string' && Object.hasOwn(HINTS, code)) return { code, message: e.message };
  }
  return undefined;
}

/**
 * What `todo doctor` (`npm run doctor`) checks before the API is started on `DATABASE_URL`: that
 * PostgreSQL accepts the user and the database, and that the user may create the API's tables
 * there when they do not exist yet (the API migrates at start). One connection, closed after.
 *
 * @returns undefined when the API could start on it, else one sentence as {@link databaseFailure}.
 */
export async function checkDatabase(url: string, timeoutMs = 5000): Promise<string | undefined> {
  let client: InstanceType<ReturnType<typeof loadPg>['Client']> | undefined;
  try {
    // Inside the try: the driver reads the files DATABASE_URL names (sslrootcert …) right here.
    client = new (loadPg().Client)({ connectionString: url, connectionTimeoutMillis: timeoutMs });
    client.on('error', () => {});
    await client.connect();
    const { rows } = await client.query<{ create: boolean; migrated: boolean }>(
      `select has_schema_privilege(current_schema(), 'CREATE') as "create",
              to_regclass('kysely_migration') is not null as migrated`,
    );
    const row = rows[0];
    if (row === undefined || row.create || row.migrated) return undefined;
    const denied = Object.assign(new Error('permission denied for schema public'), {
      code: '42501',
    });
    return databaseFailure(denied, url);
  } catch (error) {
    return (
      databaseFailure(error, url) ??
      `the database in DATABASE_URL (${shownLocation(url)}) cannot be used: ${(error as Error).message}`
    );
  } finally {
    await client?.end().catch(() => {});
  }
}

/** File-system errors creating the SQLite file's folder or opening the file, by code. */
const SQLITE_FILE_ERRORS = new Set([
  'ENOTDIR',
  'EACCES',
  'EPERM',
  'EROFS',
  'EEXIST',
  'SQLITE_CANTOPEN',
]);

/**
 * Why the embedded SQLite file under `DATA_DIR` cannot be used at start, in one sentence naming
 * the file: its folder cannot be created or the file opened (naming `DATA_DIR`), it opened
 * read-only (SQLITE_READONLY: this user may not write it), or another process holds its write
 * lock past `busy_timeout` (SQLITE_BUSY); followed through a migration error's `cause`;
 * undefined for any other error.
 */
export function sqliteFailure(error: unknown, file: string): string | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (SQLITE_FILE_ERRORS.has(code))
      return `the SQLite file ${file} cannot be created or opened (${e.message}): set DATA_DIR to a directory this user can write, or DATABASE_URL to a PostgreSQL database`;
    // https://sqlite.org/rescode.html#readonly: opened, but this user may not write it.
    if (code.startsWith('SQLITE_READONLY'))
      return `the SQLite file ${file} cannot be written (${e.message}): let the user the API runs as write it, its -wal and -shm files and their directory, or set DATA_DIR to a directory this user can write`;
    // https://sqlite.org/rescode.html#busy: another connection holds the lock.
    if (code.startsWith('SQLITE_BUSY'))
      return `the SQLite file ${file} is locked by another process (${e.message}, still after the 5 s busy_timeout): stop what else writes it (another API on the same DATA_DIR, a backup, a sqlite3 shell) or give this API a DATA_DIR of its own`;
  }
  return undefined;
}

/** Host, port and database of a `DATABASE_URL`, without its user information. */
export function shownLocation(url: string): string {
  if (!URL.canParse(url)) return 'unreadable';
  const u = new URL(url);
  return `${u.hostname || 'the local socket'}:${u.port || 5432}${u.pathname}`;
}
