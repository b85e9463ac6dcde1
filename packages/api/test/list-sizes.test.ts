import { Migrator, sql } from 'kysely';
import Libsql from 'libsql';
import { describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../src/db/database.js';
import { migrateToLatest, migrations } from '../src/db/migrate.js';
import { SMALL_LIST_TODOS } from '../src/db/migrations/009-list-sizes.js';
import { listRepository } from '../src/lists/repository.js';
import { todoPageQueries } from '../src/todos/page.js';
import { newTodoRow, todoRepository } from '../src/todos/repository.js';
import { sqliteDriver, useMigratedDb, useTestDatabase } from './support/databases.js';

const ISSUER = 'https://idp.test';
const OWNER = { issuer: ISSUER, subject: 'owner' };
const READER = { issuer: ISSUER, subject: 'reader' };
const NOW = new Date('2026-01-01T00:00:00.000Z');

/** Each list's kept count and flags beside the truth: its todos counted, `count > SMALL`. */
async function sizes(db: Db) {
  const { rows } = await sql<{
    id: string;
    kept: number;
    actual: number;
    flags: string | null;
  }>`select l.id, l.todo_count as kept,
      (select count(*) from todos t where t.list_id = l.id) as actual,
      (select group_concat(m.list_large) from list_members m where m.list_id = l.id) as flags
    from lists l order by l.id`.execute(db.kysely);
  return rows;
}

/** Fails unless every list's count is its number of todos and every membership's flag agrees. */
async function expectExact(db: Db) {
  const rows = await sizes(db);
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) {
    const large = row.actual > SMALL_LIST_TODOS ? '1' : '0';
    expect({ id: row.id, kept: row.kept, flags: row.flags?.split(',') }).toEqual({
      id: row.id,
      kept: row.actual,
      flags: row.flags?.split(',').map(() => large),
    });
  }
}

async function addTodos(db: Db, listId: string, n: number, start = 0) {
  const rows = Array.from({ length: n }, (_, i) =>
    newTodoRow(db, OWNER, listId, { title: `t${i}` }, new Date(NOW.getTime() + start + i)),
  );
  for (let i = 0; i < rows.length; i += 200)
    await db.kysely
      .insertInto('todos')
      .values(rows.slice(i, i + 200))
      .execute();
  return rows;
}

describe('the size of each list on SQLite', () => {
  const db = useMigratedDb(sqliteDriver);

  it('is kept exact through every write of a todo, a list and a membership', async () => {
    const lists = listRepository(db);
    const todos = todoRepository(db);
    const tx = <T>(work: Parameters<ReturnType<typeof db.kysely.transaction>['execute']>[0]) =>
      db.kysely.transaction().execute(work) as Promise<T>;
    const a = await tx<{ id: string }>((t) => lists.create(OWNER, 'a', NOW, t));
    const b = await tx<{ id: string }>((t) => lists.create(OWNER, 'b', NOW, t));
    await tx((t) => lists.setMember(a.id, READER, 'viewer', NOW, t));
    await expectExact(db);

    // Through the repository, one at a time, across the threshold and back.
    const created = [];
    for (let i = 0; i <= SMALL_LIST_TODOS; i += 1)
      created.push(await todos.create(OWNER, { title: `r${i}` }, NOW, db.kysely, a.id));
    await expectExact(db);
    expect((await sizes(db)).find((r) => r.id === a.id)?.flags).toBe('1,1');
    const last = created.pop();
    expect(await todos.remove(OWNER, last?.id ?? '')).toBe(true);
    await expectExact(db);
    expect((await sizes(db)).find((r) => r.id === a.id)?.flags).toBe('0,0');

    // Many rows in one statement; a member who joins a large list; todos moved between lists.
    const many = await addTodos(db, b.id, 40);
    await tx((t) => lists.setMember(b.id, READER, 'editor', NOW, t));
    await tx((t) => lists.setMember(b.id, READER, 'viewer', NOW, t));
    await expectExact(db);
    await sql`update todos set list_id = ${a.id} where id in (${sql.join(
      many.slice(0, 25).map((r) => r.id),
    )})`.execute(db.kysely);
    await expectExact(db);
    // A change that leaves the list alone leaves the count alone.
    await todos.update(OWNER, many[30]?.id ?? '', { title: 'renamed', completed: true }, NOW);
    await expectExact(db);

    // A list deleted takes its todos (by cascade) and its memberships with it.
    await tx((t) => lists.remove(a.id, t));
    await expectExact(db);
    expect((await sizes(db)).map((r) => r.id)).not.toContain(a.id);
    // A write that fails leaves no count behind.
    await expect(addTodos(db, 'no-such-list', 1)).rejects.toThrow();
    await expectExact(db);
  });

  it('reads a large list by its newest todos only, never whole', async () => {
    const lists = listRepository(db);
    const big = await db.kysely.transaction().execute((t) => lists.create(OWNER, 'big', NOW, t));
    await db.kysely.transaction().execute((t) => lists.setMember(big.id, READER, 'viewer', NOW, t));
    await addTodos(db, big.id, 3000, 10_000);
    for (let i = 0; i < 10; i += 1) {
      const small = await db.kysely
        .transaction()
        .execute((t) => lists.create(OWNER, `small ${i}`, NOW, t));
      await db.kysely
        .transaction()
        .execute((t) => lists.setMember(small.id, READER, 'viewer', NOW, t));
      await addTodos(db, small.id, 3, i * 10);
    }
    const query = todoPageQueries(db)({ listId: false, completed: false, cursor: false })({
      issuer: READER.issuer,
      subject: READER.subject,
      listId: undefined,
      completed: undefined,
      at: undefined,
      id: undefined,
      limit: 21,
    });
    // Virtual machine steps of the page statement on a connection of its own (`sqlite_stmt`).
    const steps = () => {
      const file = db.location;
      const connection = new Libsql(file);
      try {
        const statement = connection.prepare(query.sql).raw(true);
        const [page] = statement.get(query.parameters as unknown[]) as [string];
        const [row] = connection
          .prepare('select nstep from sqlite_stmt where sql = ?')
          .raw(true)
          .all(query.sql) as [[number]];
        return { steps: row[0], page: (JSON.parse(page) as { items: { listId: string }[] }).items };
      } finally {
        connection.close();
      }
    };
    const bounded = steps();
    expect(bounded.page).toHaveLength(21);
    expect(bounded.page.every((t) => t.listId === big.id)).toBe(true);
    // Reading the large list whole takes several steps per todo: far more than 3,000.
    expect(bounded.steps).toBeLessThan(3000);
    // The measure can tell: with the large list's flag wrongly cleared, the same page is read
    // by the plain join, every one of its 3,000 todos.
    await sql`update list_members set list_large = 0 where list_id = ${big.id}`.execute(db.kysely);
    const whole = steps();
    expect(whole.page).toEqual(bounded.page);
    expect(whole.steps).toBeGreaterThan(3000 * 3);
  });
});

describe('the migration to list sizes on SQLite', () => {
  const database = useTestDatabase(sqliteDriver);

  it('counts the todos already in each list and flags the memberships of large ones', async () => {
    const db = openDatabase(database.config);
    try {
      const migrator = new Migrator({
        db: db.kysely,
        provider: { getMigrations: async () => migrations(db) },
      });
      const { error } = await migrator.migrateTo('008-agent-clients');
      if (error) throw error;
      const lists = listRepository(db);
      const ids = [];
      for (const n of [0, 2, SMALL_LIST_TODOS, SMALL_LIST_TODOS + 1, 60]) {
        // The repository's insert names only the columns the previous schema has.
        const list = await db.kysely
          .transaction()
          .execute((t) => lists.create(OWNER, `n${n}`, NOW, t));
        await db.kysely
          .transaction()
          .execute((t) => lists.setMember(list.id, READER, 'viewer', NOW, t));
        await addTodos(db, list.id, n);
        ids.push(list.id);
      }
      expect(await migrateToLatest(db)).toContain('009-list-sizes');
      await expectExact(db);
      const flags = new Map((await sizes(db)).map((r) => [r.id, r.flags]));
      expect(ids.map((id) => flags.get(id))).toEqual(['0,0', '0,0', '0,0', '1,1', '1,1']);
      // Down and up again: the columns, index and triggers go and come back.
      const down = await migrator.migrateTo('008-agent-clients');
      expect(down.error).toBeUndefined();
      await expect(sql`select todo_count from lists`.execute(db.kysely)).rejects.toThrow();
      await addTodos(db, ids[0] ?? '', 30);
      expect(await migrateToLatest(db)).toContain('009-list-sizes');
      await expectExact(db);
    } finally {
      await db.close();
    }
  });
});
