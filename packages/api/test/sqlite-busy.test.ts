import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Libsql from 'libsql';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { isDatabaseUnavailable } from '../src/db/unavailable.js';
import { listRepository } from '../src/lists/repository.js';
import { ownerRepository } from '../src/repositories/owners.js';
import { revocationRepository } from '../src/repositories/revocations.js';

const issuer = 'https://idp.test/realms/a';
const person = (subject: string) => ({
  issuer,
  subject,
  username: subject,
  email: null,
  department: null,
});

/**
 * The API's SQLite connection while another connection (another process, a bulk load, a
 * backup) holds the file's write lock. A write that gave up waiting must fail alone: the
 * connection answers the next requests normally once the lock is free.
 */
describe('SQLite while another connection holds the write lock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'todo-sso-sqlite-busy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let file: string;
  let db: Db;
  let other: Libsql.Database;

  beforeEach(async (context) => {
    file = join(dir, `${context.task.id}.db`);
    db = openDatabase({ kind: 'sqlite', file, busyTimeoutMs: 100 });
    await migrateToLatest(db);
    other = new Libsql(file);
  });
  afterEach(async () => {
    if (other.inTransaction) other.exec('ROLLBACK');
    other.close();
    await db.close();
  });

  it('keeps the connection usable after a write timed out on the lock', async () => {
    other.exec('BEGIN IMMEDIATE');
    // An autocommit write (the revocation store's periodic prune) waits, then gives up.
    const refused = await revocationRepository(db)
      .prune(new Date())
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refused).toMatchObject({ code: 'SQLITE_BUSY' });
    expect(isDatabaseUnavailable(refused)).toBe(true);
    other.exec('COMMIT');

    // The next transaction (a person's first request creates their default list) commits.
    const lists = listRepository(db);
    const id = await lists.ensureDefault(person('alice'), new Date());
    expect(await lists.listFor({ issuer, subject: 'alice' })).toMatchObject([
      { id, isDefault: true, relation: 'owner' },
    ]);
    // And the refused statement itself runs again normally.
    await expect(revocationRepository(db).prune(new Date())).resolves.toBe(0);
  });

  it('keeps the connection usable after a transaction timed out on the lock', async () => {
    other.exec('BEGIN IMMEDIATE');
    const lists = listRepository(db);
    const refused = await lists.ensureDefault(person('bob'), new Date()).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isDatabaseUnavailable(refused)).toBe(true);
    other.exec('COMMIT');

    // A transaction made of other statements commits.
    await db.kysely
      .transaction()
      .execute((tx) => ownerRepository(db).touch(person('bob'), new Date(), tx));
    const id = await lists.ensureDefault(person('bob'), new Date());
    const second = await lists.ensureDefault(person('carol'), new Date());
    expect(second).not.toBe(id);
    expect(await lists.listFor({ issuer, subject: 'bob' })).toMatchObject([{ id }]);
  });

  it('takes the write lock when a transaction begins, so its writes never meet a newer snapshot', async () => {
    // A transaction that reads first and writes later: with a deferred BEGIN, a commit by
    // another connection in between makes the write fail at once (SQLITE_BUSY_SNAPSHOT).
    let outsider: unknown;
    const result = await db.kysely.transaction().execute(async (tx) => {
      const before = await tx.selectFrom('lists').select('id').execute();
      try {
        other.exec(
          `INSERT INTO owners (issuer, sub, username, last_seen_at) VALUES ('${issuer}', 'dave', 'dave', '2026-01-01T00:00:00.000Z')`,
        );
      } catch (error) {
        outsider = error;
      }
      await tx
        .insertInto('owners')
        .values({ issuer, sub: 'erin', username: 'erin', last_seen_at: new Date().toISOString() })
        .execute();
      return before.length;
    });
    expect(result).toBe(0);
    // The other connection waited for the transaction (here: gave up at once, it has no busy timeout).
    expect(outsider).toMatchObject({ code: 'SQLITE_BUSY' });
    const owners = await db.kysely.selectFrom('owners').select('sub').orderBy('sub').execute();
    expect(owners).toEqual([{ sub: 'erin' }]);
    // And the connection goes on.
    await expect(listRepository(db).ensureDefault(person('erin'), new Date())).resolves.toEqual(
      expect.any(String),
    );
  });
});
