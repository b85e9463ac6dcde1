import { type BigIntStats, statSync } from 'node:fs';

/**
 * The SQLite file, or its write-ahead log, deleted or replaced while the API has it open: what
 * the API writes would go to a file no other process sees and that is gone when it stops.
 * Answered 503 (`isDatabaseUnavailable`: SQLite's own code for a moved database file,
 * https://sqlite.org/rescode.html#readonly_dbmoved, which SQLite itself reports only outside
 * WAL mode).
 */
export class SqliteFileMovedError extends Error {
  readonly code = 'SQLITE_READONLY_DBMOVED';
  constructor(
    path: string,
    /** Whether it is the write-ahead log that went, the file itself still in place. */
    readonly log = false,
  ) {
    super(
      `the SQLite file ${path} was deleted or replaced while the API had it open; nothing more is written to it: restart the API (restore the file from a backup first if it was deleted)`,
    );
    this.name = 'SqliteFileMovedError';
  }
}

/** Device and inode of `path`, or undefined when nothing is there. */
function identity(path: string): string | undefined {
  const stats = statSync(path, { bigint: true, throwIfNoEntry: false }) as BigIntStats | undefined;
  return stats && `${stats.dev}:${stats.ino}`;
}

/**
 * Remembers which file `file` (and, once it exists, `file-wal`) is when the API opens it, and
 * returns a check that throws {@link SqliteFileMovedError} when either path now names another
 * file or none. In WAL mode the log exists for as long as a connection is open, and only the
 * last connection to close removes it (https://sqlite.org/wal.html), so while the API runs a
 * missing log was removed by something else. Two `stat` calls: made before each write, not reads.
 */
export function fileIdentity(file: string): () => void {
  const database = identity(file);
  const wal = `${file}-wal`;
  let log = identity(wal);
  return () => {
    if (identity(file) !== database) throw new SqliteFileMovedError(file);
    const now = identity(wal);
    if (log === undefined) log = now;
    else if (now !== log) throw new SqliteFileMovedError(wal, true);
  };
}

/**
 * {@link fileIdentity}'s check for the open connection `database`. When the write-ahead log was
 * deleted under it, what the log holds (acknowledged writes not yet checkpointed) is still
 * readable through the connection's open handle, and is copied into the file at once, outside
 * any transaction, before the connection closes with it (https://sqlite.org/wal.html,
 * "Checkpointing"): a restart then keeps it.
 */
export function fileCheck(
  file: string,
  database: { exec(sql: string): unknown; readonly inTransaction: boolean },
): () => void {
  const sameFile = fileIdentity(file);
  return () => {
    try {
      sameFile();
    } catch (error) {
      if (error instanceof SqliteFileMovedError && error.log && !database.inTransaction)
        database.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      throw error;
    }
  };
}
