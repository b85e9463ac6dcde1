import { sql } from 'kysely';
import type { Db } from '../db/database.js';

/** The migration that moved role removals to `role_revocations`. */
export const ROLE_REVOCATIONS_MIGRATION = '017-role-revocations';

/**
 * How long after that migration instances of the release before may still run on the database:
 * they started before it (none can start after: they refuse a schema a newer release migrated),
 * and a rolling upgrade replaces them within minutes. A day leaves room for a slow roll-out.
 */
export const OLDER_RELEASE_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Until when a role removal also stores the `subject` revocation the release before applies
 * (`RevocationStore.revokeRole`): a day after `role_revocations` was made, as recorded in
 * `kysely_migration`; never for a database made by this start (no older release ever ran on it).
 */
export async function olderReleaseUntil(db: Db, createdNow: boolean): Promise<Date | undefined> {
  if (createdNow) return undefined;
  const { rows } = await sql<{ at: string }>`select ${sql.ref('timestamp')} as at
    from kysely_migration where name = ${ROLE_REVOCATIONS_MIGRATION}`.execute(db.kysely);
  const at = Date.parse(rows[0]?.at ?? '');
  // Unreadable: as if made now (fail closed: the older release's row is written meanwhile).
  return new Date((Number.isNaN(at) ? Date.now() : at) + OLDER_RELEASE_WINDOW_MS);
}
