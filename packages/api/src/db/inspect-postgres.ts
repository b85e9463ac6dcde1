import { checkDatabase, shownLocation } from './connection-failure.js';
import { loadPg } from './pg.js';
import type { Schema } from './schema.js';
import {
  type DatabaseInspection,
  NEWER,
  readOnly,
  type SchemaState,
  schemaState,
} from './schema-state.js';

/** Every table the API writes, checked by name (a type error when the schema gains one). */
const TABLES: Readonly<Record<keyof Schema, true>> = {
  todos: true,
  lists: true,
  list_members: true,
  owners: true,
  audit_log: true,
  revocations: true,
  role_revocations: true,
  logout_jtis: true,
  dpop_proofs: true,
  agent_clients: true,
  agent_grant_ends: true,
  idempotency_keys: true,
};

interface Facts {
  readonly user: string;
  readonly create: boolean;
  readonly readOnly: boolean;
  readonly standby: boolean;
  readonly migrated: boolean;
}

interface Table {
  readonly name: string;
  readonly owned: boolean;
  readonly writable: boolean;
}

type Client = InstanceType<ReturnType<typeof loadPg>['Client']>;

/** The PostgreSQL of `DATABASE_URL` as the API would find it at start, read only. */
export async function inspectPostgres(url: string, timeoutMs: number): Promise<DatabaseInspection> {
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
    const { facts, applied, tables } = await readFacts(client);
    return judge(location, facts, schemaState(applied), tables);
  } catch (error) {
    const message = `the database in DATABASE_URL (${location}) could not be inspected: ${(error as Error).message}`;
    return { location, problem: { code: 'database_unusable', message } };
  } finally {
    await client.end().catch(() => {});
  }
}

async function readFacts(
  client: Client,
): Promise<{ facts: Facts; applied: string[]; tables: Table[] }> {
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
    await client.query<Table>(
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
  return { facts, applied, tables };
}

function judge(
  location: string,
  facts: Facts,
  schema: SchemaState,
  tables: readonly Table[],
): DatabaseInspection {
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
  // Pending migrations create tables (CREATE on the schema) and alter them (their owner only).
  const notOwned = tables.filter((t) => !t.owned).map((t) => t.name);
  const lacks = [
    ...(facts.create ? [] : ['CREATE on the schema']),
    ...(notOwned.length > 0 ? [`ownership of ${notOwned.join(', ')}`] : []),
  ];
  if (schema.pending.length > 0 && lacks.length > 0)
    return {
      location,
      schema: schema.text,
      problem: {
        code: 'database_migration_denied',
        message: `${who} cannot apply the pending migrations, which create and alter tables: it lacks ${lacks.join(' and ')}; make it the owner of the database and the API's tables (ALTER DATABASE … OWNER TO, ALTER TABLE … OWNER TO), or start this release once as their owner`,
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
}
