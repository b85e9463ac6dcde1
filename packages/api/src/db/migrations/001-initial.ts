import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../database.js';

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
      await db.schema
        .createTable('todos')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('owner_issuer', 'text', (c) => c.notNull())
        .addColumn('owner_sub', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('completed', bool, (c) => c.notNull().defaultTo(pg ? sql`false` : 0))
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('updated_at', time, (c) => c.notNull())
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
      await db.schema
        .createIndex('todos_created')
        .on('todos')
        .columns(['created_at', 'id'])
        .execute();

      await db.schema
        .createTable('owners')
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('sub', 'text', (c) => c.notNull())
        .addColumn('username', 'text')
        .addColumn('email', 'text')
        .addColumn('department', 'text')
        .addColumn('last_seen_at', time, (c) => c.notNull())
        .addPrimaryKeyConstraint('owners_pk', ['issuer', 'sub'])
        .execute();
      await db.schema.createIndex('owners_department').on('owners').column('department').execute();

      await db.schema
        .createTable('audit_log')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('at', time, (c) => c.notNull())
        .addColumn('actor_issuer', 'text')
        .addColumn('actor_sub', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('resource', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .addColumn('request_id', 'text')
        .execute();
      await db.schema.createIndex('audit_log_at').on('audit_log').columns(['at', 'id']).execute();

      await db.schema
        .createTable('revocations')
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('not_before', time, (c) => c.notNull())
        .addColumn('expires_at', time, (c) => c.notNull())
        .addPrimaryKeyConstraint('revocations_pk', ['issuer', 'kind', 'value'])
        .execute();
      await db.schema
        .createIndex('revocations_expires')
        .on('revocations')
        .column('expires_at')
        .execute();

      await db.schema
        .createTable('logout_jtis')
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('jti', 'text', (c) => c.notNull())
        .addColumn('expires_at', time, (c) => c.notNull())
        .addPrimaryKeyConstraint('logout_jtis_pk', ['issuer', 'jti'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of ['logout_jtis', 'revocations', 'audit_log', 'owners', 'todos']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}
