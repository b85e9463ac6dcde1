import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * `idempotency_keys`: the answer to a todo created with an `Idempotency-Key`
 * (draft-ietf-httpapi-idempotency-key-header), per caller (`issuer`, `sub`) and key, written in
 * the transaction that creates the todo. A retry with the same key and the same request
 * (`fingerprint`, §2.4) is answered from here instead of creating a second todo. Rows live 24
 * hours (§2.3); `created_at` is indexed for the sweep that deletes them after that.
 */
export function idempotencyKeys(dialect: DialectName) {
  const time = dialect === 'postgres' ? sql`timestamptz` : sql`text`;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('idempotency_keys')
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('sub', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('location', 'text')
        .addColumn('etag', 'text')
        .addColumn('created_at', time, (c) => c.notNull())
        .addPrimaryKeyConstraint('idempotency_keys_pk', ['issuer', 'sub', 'key'])
        .execute();
      await db.schema
        .createIndex('idempotency_keys_created')
        .on('idempotency_keys')
        .column('created_at')
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('idempotency_keys').ifExists().execute();
    },
  };
}
