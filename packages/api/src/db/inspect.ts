import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import Libsql from 'libsql';
import type { DatabaseConfig } from '../config/config.js';
import { checkDatabase, shownLocation } from './connection-failure.js';
import { migrationNames } from './migrate.js';
import { loadPg } from './pg.js';
import type { Schema } from './schema.js';

/** The API's database as `todo doctor` finds it before the API starts on it. */
export interface DatabaseInspection {
  /** Where: `host:port/database` (no user information) or `SQLite <file>`. */
  readonly location: string;
  /** The schema against this release's migrations, in words; absent when it cannot be read. */
  readonly schema?: string;
  /** Who may write there, in words; absent when it cannot be read. */
  readonly writes?: string;
  /** What stops the API, or its writes: a stable code and one sentence. */
  readonly problem?: { readonly code: DatabaseProblem; readonly message: string };
}

/**
 * `database_unusable`: cannot connect, or cannot create the tables; `database_newer`: a newer
 * release migrated it (the API refuses to start); `database_migration_denied`: migrations are
 * pending and the user cannot apply them; `database_read_only`: the API would start and then
 * fail every write.
 */
export type DatabaseProblem =
  | 'database_unusable'
  | 'database_newer'
  | 'database_migration_denied'
  | 'database_read_only';

/** Every table the API writes, checked by name (a type error when the schema gains one). */
const TABLES: Readonly<Record<keyof Schema, true>> = {
  todos: true,
  lists: true,
  list_members: true,
  owners: true,
  audit_log: true,
  revocations: true,
  logout_jtis: true,
  dpop_proofs: true,
  agent_clients: true,
  agent_grant_ends: true,
  idempotency_keys: true,
};

/** How the applied migrations compare with this release's. */
export interface SchemaState {
  readonly text: string;
  readonly pending: readonly string[];
  readonly unknown: readonly string[];
}

/** The schema in words, from the names recorded in `kysely_migration`. */
export function schemaState(applied: readonly string[]): SchemaState {
  const known = migrationNames();
  const unknown = applied.filter((name) => !known.includes(name));
  const pending = known.filter((name) => !applied.includes(name));
  const text =
    unknown.length > 0
      ? `migrated by a newer release (${unknown.join(', ')}, which this release does not know)`
      : applied.length === 0
        ? `empty: the API creates its tables (${known.length} migrations) when it starts`
        : pending.length > 0
          ? `${pending.length} of ${known.length} migrations pending (${pending.join(', ')}): the API applies them when it starts`
          : `up to date (${known.at(-1)})`;
  return { text, pending, unknown };
}

const NEWER = (s: SchemaState) =>
  `the database has migration ${s.unknown.join(', ')}, which this release does not know: a newer release migrated it, and this one refuses to start on it; run that release or a later one`;

/**
 * What the API would find in its database at start, read without changing anything: whether it
 * can connect, whether the schema is at this release's migrations (pending ones are applied at
 * start; ones this release does not know stop it), and whether the user can write.
 */
export async function inspectDatabase(
  config: DatabaseConfig,
  timeoutMs = 5000,
): Promise<DatabaseInspection> {
  return config.kind === 'sqlite'
    ? inspectSqlite(config.file)
    : inspectPostgres(config.url, timeoutMs);
}

interface Facts {
  readonly user: string;
  readonly create: boolean;
  readonly readOnly: boolean;
  readonly standby: boolean;
  readonly migrated: boolean;
}

async function inspectPostgres(url: string, timeoutMs: number): Promise<DatabaseInspection> {
  const location = shownLocation(url);
  const unusable = await checkDatabase(url, timeoutMs);
  if (unusable !== undefined)
    return { location, problem: { code: 'database_unusable', message: unusable } };
  const client = new (loadPg().Client)({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const [facts] = (
      await client.query<Facts>(
        `select current_user as "user", has_schema_privilege(current_schema(), 'CREATE') as "create",
                current_setting('transaction_read_only') = 'on' as "readOnly",
                pg_is_in_recovery() as standby,
                to_regclass('kysely_migration') is not null as migrated`,
      )
    ).rows;
    if (facts === undefined) throw new Error('no answer');
    const applied = facts.migrated
      ? (
          await client.query<{ name: string }>('select name from kysely_migration order by name')
        ).rows.map((r) => r.name)
      : [];
    // has_table_privilege with a list is true when any one is held: one call per privilege.
    const tables = (
      await client.query<{ name: string; owned: boolean; writable: boolean }>(
        `select c.relname as name, pg_has_role(c.relowner, 'USAGE') as owned,
                has_table_privilege(c.oid, 'SELECT') and has_table_privilege(c.oid, 'INSERT')
                  and has_table_privilege(c.oid, 'UPDATE') and has_table_privilege(c.oid, 'DELETE')
                  as writable
           from pg_class c
          where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'p')
            and c.relname = any($1)`,
        [Object.keys(TABLES)],
      )
    ).rows;
    const schema = schemaState(applied);
    const who = `the user ${facts.user}`;
    if (facts.readOnly || facts.standby) {
      const why = facts.standby
        ? 'this server is a read-only standby: point DATABASE_URL at the primary'
        : 'its sessions are read-only (default_transaction_read_only): turn that off for the user or the database (ALTER ROLE … SET default_transaction_read_only = off)';
      return readOnly(
        location,
        schema.text,
        `the database in DATABASE_URL (${location}) cannot be written: ${why}`,
      );
    }
    if (schema.unknown.length > 0)
      return {
        location,
        schema: schema.text,
        problem: { code: 'database_newer', message: NEWER(schema) },
      };
    const notOwned = tables.filter((t) => !t.owned).map((t) => t.name);
    if (schema.pending.length > 0 && (!facts.create || notOwned.length > 0))
      return {
        location,
        schema: schema.text,
        problem: {
          code: 'database_migration_denied',
          message: `${who} cannot apply the pending migrations (they create and alter tables): make it the owner of the database and its tables (ALTER DATABASE … OWNER TO, ALTER TABLE … OWNER TO), or start this release once as their owner`,
        },
      };
    const denied = tables.filter((t) => !t.writable).map((t) => t.name);
    if (denied.length > 0)
      return readOnly(
        location,
        schema.text,
        `${who} may not read and write ${denied.join(', ')} (SELECT, INSERT, UPDATE, DELETE): GRANT them, or connect as the tables' owner`,
      );
    return { location, schema: schema.text, writes: `allowed for ${who}` };
  } catch (error) {
    const message = `the database in DATABASE_URL (${location}) could not be inspected: ${(error as Error).message}`;
    return { location, problem: { code: 'database_unusable', message } };
  } finally {
    await client.end().catch(() => {});
  }
}

function readOnly(location: string, schema: string, message: string): DatabaseInspection {
  return { location, schema, writes: 'refused', problem: { code: 'database_read_only', message } };
}

/** The nearest directory of `path` that exists: where the API would create what is missing. */
function existingParent(path: string): string {
  let dir = dirname(path);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function inspectSqlite(file: string): DatabaseInspection {
  const location = `SQLite ${file}`;
  if (!existsSync(file)) {
    const dir = existingParent(file);
    if (!writable(dir))
      return {
        location,
        problem: {
          code: 'database_unusable',
          message: `${dir} is not writable by this user, and the API creates ${file} there when it starts: let the user the API runs as write it, or set DATA_DIR to a directory it may write`,
        },
      };
    return {
      location,
      schema: 'not created yet: the API creates the file and its tables when it starts',
      writes: `allowed (${dir})`,
    };
  }
  let applied: string[];
  try {
    const sqlite = new Libsql(file);
    try {
      sqlite.exec('PRAGMA query_only = ON');
      const table = sqlite
        .prepare(`select 1 from sqlite_master where type = 'table' and name = 'kysely_migration'`)
        .get([]);
      applied =
        table === undefined
          ? []
          : (
              sqlite.prepare('select name from kysely_migration order by name').all([]) as {
                name: string;
              }[]
            ).map((r) => r.name);
    } finally {
      sqlite.close();
    }
  } catch (error) {
    const message = `${file} cannot be read as an SQLite database: ${(error as Error).message}`;
    return { location, problem: { code: 'database_unusable', message } };
  }
  const schema = schemaState(applied);
  // SQLite writes the file and, beside it, its write-ahead log and shared-memory index.
  const denied = [file, dirname(file)].filter((path) => !writable(path));
  if (denied.length > 0)
    return readOnly(
      location,
      schema.text,
      `${denied.join(' and ')} ${denied.length === 1 ? 'is' : 'are'} not writable by this user: the API writes the file and, beside it, its -wal and -shm files; let the user the API runs as write them`,
    );
  if (schema.unknown.length > 0)
    return {
      location,
      schema: schema.text,
      problem: { code: 'database_newer', message: NEWER(schema) },
    };
  return { location, schema: schema.text, writes: 'allowed' };
}
