import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { DialectName } from '../database.js';

/** The column types of one dialect. */
interface ColumnTypes {
  readonly pg: boolean;
  readonly uuid: RawBuilder<unknown>;
  readonly time: RawBuilder<unknown>;
  readonly bool: RawBuilder<unknown>;
}

/** The todos, with the indexes that make a page an index range scan. */
async function createTodos(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('todos')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('owner_issuer', 'text', (c) => c.notNull())
    .addColumn('owner_sub', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('completed', t.bool, (c) => c.notNull().defaultTo(t.pg ? sql`false` : 0))
    .addColumn('created_at', t.time, (c) => c.notNull())
    .addColumn('updated_at', t.time, (c) => c.notNull())
    .execute();
  // Keyset pagination walks (created_at, id) within one owner, optionally one state:
  // both indexes make a page an index range scan at any table size.
  await db.schema
    .createIndex('todos_owner_created')
    .on('todos')
    .columns(['owner_issuer', 'owner_sub', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('todos_owner_completed_created')
    .on('todos')
    .columns(['owner_issuer', 'owner_sub', 'completed', 'created_at', 'id'])
    .execute();
  await db.schema.createIndex('todos_created').on('todos').columns(['created_at', 'id']).execute();
}

/** Who owns todos, as last seen in a token. */
async function createOwners(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('owners')
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('sub', 'text', (c) => c.notNull())
    .addColumn('username', 'text')
    .addColumn('email', 'text')
    .addColumn('department', 'text')
    .addColumn('last_seen_at', t.time, (c) => c.notNull())
    .addPrimaryKeyConstraint('owners_pk', ['issuer', 'sub'])
    .execute();
  await db.schema.createIndex('owners_department').on('owners').column('department').execute();
}

/** The audit log, walked by time. */
async function createAuditLog(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('audit_log')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('at', t.time, (c) => c.notNull())
    .addColumn('actor_issuer', 'text')
    .addColumn('actor_sub', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('resource', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('request_id', 'text')
    .execute();
  await db.schema.createIndex('audit_log_at').on('audit_log').columns(['at', 'id']).execute();
}

/** Revocations, expired by `expires_at`. */
async function createRevocations(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('revocations')
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('not_before', t.time, (c) => c.notNull())
    .addColumn('expires_at', t.time, (c) => c.notNull())
    .addPrimaryKeyConstraint('revocations_pk', ['issuer', 'kind', 'value'])
    .execute();
  await db.schema
    .createIndex('revocations_expires')
    .on('revocations')
    .column('expires_at')
    .execute();
}

/** Logout token `jti`s seen (replay check). */
async function createLogoutJtis(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('logout_jtis')
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('jti', 'text', (c) => c.notNull())
    .addColumn('expires_at', t.time, (c) => c.notNull())
    .addPrimaryKeyConstraint('logout_jtis_pk', ['issuer', 'jti'])
    .execute();
}

/**
 * The first schema. Types differ per dialect only where SQLite lacks one (uuid, boolean,
 * timestamptz); names, keys and indexes are identical.
 */
export function initial(dialect: DialectName) {
  const pg = dialect === 'postgres';
  const uuid = pg ? sql`uuid` : sql`text`;
  const time = pg ? sql`timestamptz` : sql`text`;
  const bool = pg ? sql`boolean` : sql`integer`;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const t = { pg, uuid, time, bool };
      await createTodos(db, t);
      await createOwners(db, t);
      await createAuditLog(db, t);
      await createRevocations(db, t);
      await createLogoutJtis(db, t);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of ['logout_jtis', 'revocations', 'audit_log', 'owners', 'todos']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}
