import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Used DPoP proof identifiers (RFC 9449 §11.1), shared by every API instance on one PostgreSQL
 * so that a proof replayed at a second instance is refused too. UNLOGGED on PostgreSQL: the rows
 * live a minute, a crash that empties the table only forgets proofs that are about to expire,
 * and skipping the write-ahead log makes the insert on every DPoP request cheaper. On SQLite the
 * table exists for one schema on both engines; the single instance keeps its proofs in memory.
 */
export function dpopProofs(dialect: DialectName) {
  const pg = dialect === 'postgres';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (pg) {
        await sql`create unlogged table dpop_proofs (key text primary key, expires_at timestamptz not null)`.execute(
          db,
        );
      } else {
        await db.schema
          .createTable('dpop_proofs')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .execute();
      }
      await db.schema
        .createIndex('dpop_proofs_expires')
        .on('dpop_proofs')
        .column('expires_at')
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('dpop_proofs').ifExists().execute();
    },
  };
}
