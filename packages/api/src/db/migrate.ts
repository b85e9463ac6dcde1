import { type Migration, type MigrationProvider, Migrator } from 'kysely';
import type { Db } from './database.js';
import { initial } from './migrations/001-initial.js';
import { dpopProofs } from './migrations/002-dpop-proofs.js';
import { auditSuppressed } from './migrations/003-audit-suppressed.js';
import { lists } from './migrations/004-lists.js';
import { todoVersion } from './migrations/005-todo-version.js';
import { listVersion } from './migrations/006-list-version.js';
import { auditClient } from './migrations/007-audit-client.js';
import { agentClients } from './migrations/008-agent-clients.js';
import { listSizes } from './migrations/009-list-sizes.js';
import { unverifiedEmails } from './migrations/010-unverified-emails.js';
import { agentGrantEnds } from './migrations/011-agent-grant-ends.js';
import { agentGrantEndAttempts } from './migrations/012-agent-grant-end-attempts.js';
import { listMembersCodePoint } from './migrations/013-list-members-code-point.js';
import { idempotencyKeys } from './migrations/014-idempotency-keys.js';
import { idempotencyKeyLocation } from './migrations/015-idempotency-key-location.js';
import { idempotencyKeyClient } from './migrations/016-idempotency-key-client.js';
import { roleRevocations } from './migrations/017-role-revocations.js';

/** Migrations in order; names are permanent once released. */
export function migrations(db: Pick<Db, 'dialect'>): Record<string, Migration> {
  return {
    '001-initial': initial(db.dialect),
    '002-dpop-proofs': dpopProofs(db.dialect),
    '003-audit-suppressed': auditSuppressed,
    '004-lists': lists(db.dialect),
    '005-todo-version': todoVersion,
    '006-list-version': listVersion,
    '007-audit-client': auditClient,
    '008-agent-clients': agentClients(db.dialect),
    '009-list-sizes': listSizes(db.dialect),
    '010-unverified-emails': unverifiedEmails,
    '011-agent-grant-ends': agentGrantEnds(db.dialect),
    '012-agent-grant-end-attempts': agentGrantEndAttempts(db.dialect),
    '013-list-members-code-point': listMembersCodePoint(db.dialect),
    '014-idempotency-keys': idempotencyKeys(db.dialect),
    '015-idempotency-key-location': idempotencyKeyLocation,
    '016-idempotency-key-client': idempotencyKeyClient(db.dialect),
    '017-role-revocations': roleRevocations(db.dialect),
  };
}

/** The names of this release's migrations, in order (the last is the schema it needs). */
export function migrationNames(): string[] {
  return Object.keys(migrations({ dialect: 'postgres' }));
}

/** Error raised when the schema cannot be brought up to date; the cause is kept. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  readonly code = 'ERR_API_MIGRATION';
}

/**
 * Brings the schema up to date. Idempotent: applied migrations are recorded in
 * `kysely_migration`, and concurrent starts are serialised by Kysely's migration lock.
 *
 * @returns names of the migrations applied by this call (empty when already current).
 */
export async function migrateToLatest(db: Db): Promise<string[]> {
  if (db.dialect !== 'sqlite') return migrate(db);
  // The SQLite driver waits for a lock synchronously, blocking the very event loop that would
  // release it: connections of one process to one file therefore take turns here, while the
  // dialect's lock row serialises separate processes.
  const previous = sqliteTurns.get(db.location) ?? Promise.resolve();
  const turn = previous.catch(() => {}).then(() => migrate(db));
  sqliteTurns.set(db.location, turn);
  try {
    return await turn;
  } finally {
    if (sqliteTurns.get(db.location) === turn) sqliteTurns.delete(db.location);
  }
}

const sqliteTurns = new Map<string, Promise<string[]>>();

async function migrate(db: Db): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(db) };
  // A migration may rewrite a large table, and waits for another instance's: no deadline.
  const { error, results = [] } = await db.unbounded((kysely) =>
    new Migrator({ db: kysely, provider }).migrateToLatest(),
  );
  const failed = results.find((r) => r.status === 'Error');
  if (error || failed)
    throw new MigrationError(migrationFailure(failed?.migrationName, error), { cause: error });
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * What went wrong, for the operator. A database that recorded a migration this release does not
 * know was migrated by a newer release: this one refuses to start on it rather than run on a
 * schema it was not written for (Kysely refuses it, "previously executed migration … is missing").
 */
function migrationFailure(name: string | undefined, error: unknown): string {
  const reason = error instanceof Error ? error.message : undefined;
  const unknown = reason && /previously executed migration (\S+) is missing/.exec(reason)?.[1];
  if (unknown)
    return `the database has migration ${unknown}, which this release does not know: a newer release migrated it; run that release or a later one`;
  const what = name ? `migration ${name} failed` : 'migration failed';
  return reason ? `${what}: ${reason}` : what;
}
