import {
  type DialectAdapter,
  type Kysely,
  type MigrationLockOptions,
  SqliteAdapter,
  SqliteDialect,
} from 'kysely';

/**
 * SQLite's adapter, made safe for several processes (or connections) starting on one file at
 * once. Kysely's stock adapter assumes a single connection and takes no lock; here each
 * migration run is one transaction (SQLite's DDL is transactional) whose first statement is a
 * write to the lock row, so a second starter waits (`busy_timeout`) and then finds the schema
 * current. A failed migration also rolls back whole.
 */
class MigrationSafeSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }

  override async acquireMigrationLock(
    db: Kysely<unknown>,
    options: MigrationLockOptions,
  ): Promise<void> {
    // Writing first, before any read, takes SQLite's RESERVED lock without risking a stale
    // WAL snapshot (SQLITE_BUSY_SNAPSHOT), so waiting on busy_timeout is safe.
    await (db as Kysely<Record<string, { id: string; is_locked: number }>>)
      .updateTable(options.lockTable)
      .set({ is_locked: 1 })
      .where('id', '=', options.lockRowId)
      .execute();
  }

  override async releaseMigrationLock(
    db: Kysely<unknown>,
    options: MigrationLockOptions,
  ): Promise<void> {
    await (db as Kysely<Record<string, { id: string; is_locked: number }>>)
      .updateTable(options.lockTable)
      .set({ is_locked: 0 })
      .where('id', '=', options.lockRowId)
      .execute();
  }
}

/** Kysely's SQLite dialect with {@link MigrationSafeSqliteAdapter}. */
export class MigrationSafeSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new MigrationSafeSqliteAdapter();
  }
}
