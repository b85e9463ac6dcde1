/**
 * The API started on an SQLite file it cannot create says so in one line naming DATA_DIR, as a
 * PostgreSQL it cannot use names the part of DATABASE_URL to check (database-url-start.test.ts),
 * and so does one whose file another process keeps locked.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Libsql from 'libsql';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { startToExit } from './support/start-to-exit.js';

const scratch = mkdtempSync(join(tmpdir(), 'todo-api-sqlite-start-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the API on an SQLite file it cannot create', () => {
  it('a DATA_DIR below a file: one line naming DATA_DIR, exit 1', async () => {
    writeFileSync(join(scratch, 'data'), '');
    const dataDir = join(scratch, 'data', 'sub');
    const { code, lines } = await startToExit({ DATA_DIR: dataDir });
    expect(code).toBe(1);
    expect(lines).toEqual([
      `todo-api: failed to start: the SQLite file ${join(dataDir, 'todo.db')} cannot be created or opened (ENOTDIR: not a directory, mkdir '${dataDir}'): set DATA_DIR to a directory this user can write, or DATABASE_URL to a PostgreSQL database`,
    ]);
  });

  it('a file whose write lock another process holds past busy_timeout: one line naming the file, exit 1', async () => {
    const dataDir = join(scratch, 'locked');
    mkdirSync(dataDir);
    const file = join(dataDir, 'todo.db');
    // Another process's write transaction, as a backup or a second API on the same DATA_DIR has.
    const holder = new Libsql(file);
    holder.exec('PRAGMA journal_mode = WAL');
    holder.exec('BEGIN IMMEDIATE');
    holder.exec('CREATE TABLE held (x)');
    try {
      const { code, lines } = await startToExit({ DATA_DIR: dataDir });
      expect(code).toBe(1);
      expect(lines).toEqual([
        `todo-api: failed to start: the SQLite file ${file} is locked by another process (database is locked, still after the 5 s busy_timeout): stop what else writes it (another API on the same DATA_DIR, a backup, a sqlite3 shell) or give this API a DATA_DIR of its own`,
      ]);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  }, 30_000);

  it('a file this user may not write: one line naming the file and what to grant, exit 1', async () => {
    const dataDir = join(scratch, 'read-only');
    mkdirSync(dataDir);
    const file = join(dataDir, 'todo.db');
    const db = openDatabase({ kind: 'sqlite', file });
    await migrateToLatest(db);
    await db.close();
    // The folder stays writable (SQLite may make its -shm there); the file is not.
    chmodSync(scratch, 0o755);
    chmodSync(dataDir, 0o1777);
    chmodSync(file, 0o444);
    // The -wal and -shm files left beside it (made 0600, as the file was) readable as the file.
    for (const side of [`${file}-wal`, `${file}-shm`]) if (existsSync(side)) chmodSync(side, 0o444);
    // Root writes any file: the API runs as nobody then.
    const root = process.getuid?.() === 0;
    const { code, lines } = await startToExit(
      { DATA_DIR: dataDir },
      root ? { uid: 65534, gid: 65534 } : undefined,
    );
    expect(code).toBe(1);
    expect(lines).toEqual([
      `todo-api: failed to start: the SQLite file ${file} cannot be written (attempt to write a readonly database): let the user the API runs as write it, its -wal and -shm files and their directory, or set DATA_DIR to a directory this user can write`,
    ]);
  });
});
