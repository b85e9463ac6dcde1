import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import Libsql from 'libsql';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { withStatementCache } from '../src/db/statement-cache.js';

describe('SQLite statements and pragmas', () => {
  const dir = mkdtempSync(join(tmpdir(), 'todo-sso-sqlite-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prepares each SQL text once and answers repeated queries from the same statement', () => {
    const raw = new Libsql(':memory:');
    let prepared = 0;
    const db = withStatementCache({
      prepare: (text: string) => {
        prepared += 1;
        return raw.prepare(text);
      },
      close: () => raw.close(),
    });
    db.prepare('create table t (n integer)').run([]);
    for (let i = 0; i < 5; i += 1) db.prepare('insert into t (n) values (?)').run([i]);
    expect(db.prepare('select count(*) as c from t').all([])).toEqual([{ c: 5 }]);
    expect(prepared).toBe(3);
    db.close();
    expect(raw.open).toBe(false);
  });

  it('keeps at most the configured number of statements, dropping the oldest', () => {
    const raw = new Libsql(':memory:');
    let prepared = 0;
    const db = withStatementCache(
      {
        prepare: (text: string) => {
          prepared += 1;
          return raw.prepare(text);
        },
        close: () => raw.close(),
      },
      2,
    );
    for (const n of [1, 2, 3, 3, 2, 1]) db.prepare(`select ${n} as n`).all([]);
    // 1, 2, 3 prepared; 3 and 2 reused; 1 was dropped when 3 came in, so prepared again.
    expect(prepared).toBe(4);
    db.close();
  });

  it('opens a file in WAL mode with synchronous NORMAL and answers queries through Kysely', async () => {
    const db = openDatabase({ kind: 'sqlite', file: join(dir, 'todo.db') });
    try {
      const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db.kysely);
      const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(db.kysely);
      expect(mode.rows).toEqual([{ journal_mode: 'wal' }]);
      expect(sync.rows).toEqual([{ synchronous: 1 }]);
      const twice = [await sql`select 41 + 1 as n`.execute(db.kysely)];
      twice.push(await sql`select 41 + 1 as n`.execute(db.kysely));
      expect(twice.map((r) => r.rows)).toEqual([[{ n: 42 }], [{ n: 42 }]]);
    } finally {
      await db.close();
    }
  });

  it('reads the first row of a statement by its columns, outside and inside a transaction', async () => {
    const db = openDatabase({ kind: 'sqlite', file: join(dir, 'first.db') });
    try {
      await sql`create table t (n integer, s text)`.execute(db.kysely);
      await sql`insert into t values (1, 'a'), (2, null), (3, 'c')`.execute(db.kysely);
      const query = (min: number) =>
        sql<{
          n: number;
          s: string | null;
        }>`select n, s from t where n >= ${min} order by n`.compile(db.kysely);
      expect(await db.readFirst(query(2))).toEqual({ n: 2, s: null });
      expect(await db.readFirst(query(9))).toBeUndefined();
      // Inside another request's transaction it waits for the commit, never seeing it before.
      let read: Promise<{ n: number; s: string | null } | undefined> | undefined;
      await db.kysely.transaction().execute(async (tx) => {
        await sql`insert into t values (9, 'z')`.execute(tx);
        read = db.readFirst(query(9));
      });
      expect(await read).toEqual({ n: 9, s: 'z' });
      // A read that fails ends, and the connection reads and writes on.
      const failing = sql<{ j: string }>`select json(${'{'}) as j`.compile(db.kysely);
      await expect(db.readFirst(failing)).rejects.toThrow(/JSON/i);
      await sql`insert into t values (10, 'y')`.execute(db.kysely);
      expect(await db.readFirst(query(10))).toEqual({ n: 10, s: 'y' });
    } finally {
      await db.close();
    }
  });
});
