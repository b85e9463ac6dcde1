import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * `role_revocations`: a role (or permission) removed from a person, whose access tokens that
 * still carry it are refused until `expires_at`, whatever their `iat` says (no clock is compared:
 * `revocation/role-index.ts`). `removed_at` and `granted_at` are the latest removal and grant by
 * the API's clock; the row refuses only while the removal is the later.
 *
 * A table of its own, not a new `kind` in `revocations`: the release before reads every row of
 * `revocations` and throws on a kind it does not know (its reload then fails and it answers 503
 * to everyone until the row expires). It never reads this table; while it may still run, a role
 * removal also writes the `subject` row it does know (`RevocationStore.revokeRole`).
 */
export function roleRevocations(dialect: DialectName) {
  const time = dialect === 'postgres' ? sql`timestamptz` : sql`text`;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('role_revocations')
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('sub', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('removed_at', time, (c) => c.notNull())
        .addColumn('granted_at', time, (c) => c.notNull())
        .addColumn('expires_at', time, (c) => c.notNull())
        .addPrimaryKeyConstraint('role_revocations_pk', ['issuer', 'sub', 'role'])
        .execute();
      await db.schema
        .createIndex('role_revocations_expires')
        .on('role_revocations')
        .column('expires_at')
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('role_revocations').ifExists().execute();
    },
  };
}
