import { type CompiledQuery, sql } from 'kysely';
import Libsql from 'libsql';
import { describe, expect, it } from 'vitest';
import type { Db } from '../src/db/database.js';
import { listRepository } from '../src/lists/repository.js';
import { newTodoRow, todoRepository } from '../src/todos/repository.js';
import { sqliteDriver, useMigratedDb } from './support/databases.js';

const BASE = Date.parse('2026-01-01T00:00:00.000Z');
const ISSUER = 'https://idp.test';

/**
 * On SQLite the page of a person who is a member of one list (everyone, until a list is shared
 * with them) is one range of that list's index, read from the newest and stopped at the page:
 * not the union of small and large lists, the sort of their keys and the rowid lookups that a
 * person in several lists needs.
 */
describe('the todo listing of a person in one list on SQLite', () => {
  const db = useMigratedDb(sqliteDriver);

  /** The plan of a statement the listing ran, its parameters inlined for EXPLAIN. */
  async function planOf(query: CompiledQuery): Promise<string> {
    let n = 0;
    const inlined = query.sql.replace(/\?/g, () => {
      const value = query.parameters[n++];
      return typeof value === 'number' ? String(value) : `'${value}'`;
    });
    const rows = (await sql.raw(`explain query plan ${inlined}`).execute(db.kysely)).rows;
    return rows.map((r) => (r as { detail: string }).detail).join('\n');
  }

  it('is one statement reading the list’s index from the newest with no sort but the JSON’s; in two lists, the general statement after it', async () => {
    const reader = { issuer: ISSUER, subject: 'one-list' };
    const now = new Date(BASE);
    const lists = listRepository(db);
    const own = await lists.ensureDefault(reader, now);
    const rows = Array.from({ length: 300 }, (_, i) =>
      newTodoRow(db, reader, own, { title: `t${i}`, completed: i % 3 === 0 }, new Date(BASE + i)),
    );
    await db.kysely.insertInto('todos').values(rows).execute();
    await sql`analyze`.execute(db.kysely);

    // The listing's statements, as it runs them on the real database.
    const statements: CompiledQuery[] = [];
    const recording = new Proxy(db, {
      get: (target, key) =>
        key === 'readFirst'
          ? (query: CompiledQuery) => {
              statements.push(query);
              return target.readFirst(query);
            }
          : Reflect.get(target, key),
    }) as Db;
    const todos = todoRepository(recording);

    const first = await todos.list(reader, { limit: 20 });
    expect(first.items.map((t) => t.title)).toEqual(
      Array.from({ length: 20 }, (_, i) => `t${299 - i}`),
    );
    expect(statements).toHaveLength(1);
    let plan = await planOf(statements[0] as CompiledQuery);
    expect(plan).toContain('SEARCH t USING INDEX todos_list_created (list_id=?)');
    expect(plan.match(/USE TEMP B-TREE/g)).toEqual(['USE TEMP B-TREE']);
    expect(plan).not.toContain('COMPOUND QUERY');

    // The next page: the same range, from the cursor.
    statements.length = 0;
    const second = await todos.list(reader, { limit: 20, cursor: first.nextCursor ?? '' });
    expect(second.items.map((t) => t.title)).toEqual(
      Array.from({ length: 20 }, (_, i) => `t${279 - i}`),
    );
    expect(statements).toHaveLength(1);
    plan = await planOf(statements[0] as CompiledQuery);
    expect(plan).toContain(
      'SEARCH t USING INDEX todos_list_created (list_id=? AND (created_at,id)<(?,?))',
    );
    expect(plan.match(/USE TEMP B-TREE/g)).toEqual(['USE TEMP B-TREE']);

    // Done ones only: the index that has `completed` after the list.
    statements.length = 0;
    const done = await todos.list(reader, { limit: 5, completed: true });
    expect(done.items.map((t) => t.title)).toEqual(['t297', 't294', 't291', 't288', 't285']);
    plan = await planOf(statements[0] as CompiledQuery);
    expect(plan).toContain(
      'SEARCH t USING INDEX todos_list_completed_created (list_id=? AND completed=?)',
    );

    // A list shared with them: the one-list statement reads nothing, the general one the page;
    // from then on the general one alone, until they are in one list again.
    const sharer = { issuer: ISSUER, subject: 'sharer' };
    const shared = await db.kysely
      .transaction()
      .execute((tx) => lists.create(sharer, 'shared', now, tx));
    await db.kysely
      .transaction()
      .execute((tx) => lists.setMember(shared.id, reader, 'viewer', now, tx));
    await todos.create(sharer, { title: 'shared' }, new Date(BASE + 1000), undefined, shared.id);
    statements.length = 0;
    const both = await todos.list(reader, { limit: 3 });
    expect(both.items.map((t) => t.title)).toEqual(['shared', 't299', 't298']);
    expect(statements).toHaveLength(2);
    const general = statements[1] as CompiledQuery;
    expect(await planOf(general)).toContain('COMPOUND QUERY');
    // The one-list statement of a person in several lists stops before reading any todo: its
    // virtual machine steps (`sqlite_stmt`, on a connection of its own) stay far below one per
    // todo of their 300-todo list.
    const oneList = statements[0] as CompiledQuery;
    const connection = new Libsql(db.location);
    try {
      const row = connection.prepare(oneList.sql).get(oneList.parameters as unknown[]);
      expect(row).toMatchObject({ count: 0, lists: 2 });
      const [steps] = connection
        .prepare('select nstep from sqlite_stmt where sql = ?')
        .raw(true)
        .get(oneList.sql) as [number];
      expect(steps).toBeLessThan(300);
    } finally {
      connection.close();
    }
    statements.length = 0;
    expect((await todos.list(reader, { limit: 3 })).items.map((t) => t.title)).toEqual([
      'shared',
      't299',
      't298',
    ]);
    expect(statements.map((q) => q.sql)).toEqual([general.sql]);
    await db.kysely.transaction().execute((tx) => lists.removeMember(shared.id, reader, tx));
    statements.length = 0;
    expect((await todos.list(reader, { limit: 3 })).items.map((t) => t.title)).toEqual([
      't299',
      't298',
      't297',
    ]);
    expect(statements.map((q) => q.sql)).toEqual([general.sql]);
    statements.length = 0;
    await todos.list(reader, { limit: 3 });
    expect(statements).toHaveLength(1);
    expect(await planOf(statements[0] as CompiledQuery)).not.toContain('COMPOUND QUERY');
    await db.kysely
      .transaction()
      .execute((tx) => lists.setMember(shared.id, reader, 'viewer', now, tx));
    // And the list asked for by `?list=` is one list again, whatever else they belong to.
    statements.length = 0;
    const asked = await todos.list(reader, { limit: 3, listId: own });
    expect(asked.items.map((t) => t.title)).toEqual(['t299', 't298', 't297']);
    expect(statements).toHaveLength(1);
  });
});
