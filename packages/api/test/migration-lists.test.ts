import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase, toIso } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { listRepository } from '../src/lists/repository.js';
import { todoRepository } from '../src/todos/repository.js';
import { drivers, rowCount, useTestDatabase } from './support/databases.js';
import { suiteFixture } from './support/fixture.js';
import { migrateToBefore } from './support/migrations.js';

const ISSUER = 'https://idp.test/realms/todo-app';
const PEOPLE = ['alice-sub', 'bob-sub', 'carol-sub'] as const;

/** A todo row of the previous schema (no list). */
interface OldTodo {
  id: string;
  owner_issuer: string;
  owner_sub: string;
  title: string;
  description: string | null;
  completed: boolean;
  created_at: string;
  updated_at: string;
}

/** Todos of three people, in both states, with distinct timestamps and a null description. */
function oldTodos(): OldTodo[] {
  const base = Date.parse('2025-03-01T08:00:00.000Z');
  return PEOPLE.flatMap((sub, p) =>
    Array.from({ length: 4 + p }, (_, i) => ({
      id: randomUUID(),
      owner_issuer: ISSUER,
      owner_sub: sub,
      title: `${sub} todo ${i}`,
      description: i % 2 === 0 ? null : `notes ${i}`,
      completed: i % 3 === 0,
      created_at: new Date(base + p * 100_000 + i * 1000).toISOString(),
      updated_at: new Date(base + p * 100_000 + i * 1000 + 500).toISOString(),
    })),
  );
}

describe.each(drivers)('migration to lists on $driver', ({ skip, create }) => {
  const database = useTestDatabase({ skip, create });
  const before = oldTodos();
  const db = suiteFixture(
    skip,
    async () => {
      const opened = openDatabase(database.config);
      await migrateToBefore(opened, '004-lists');
      await opened.kysely
        .insertInto('todos')
        // The previous schema had no list_id: the rows are written without one.
        .values(before.map((t) => ({ ...t, completed: opened.bool(t.completed) })) as never)
        .execute();
      // Carol has a profile, alice and bob only todos; dave has a profile and no todos.
      await opened.kysely
        .insertInto('owners')
        .values(
          ['carol-sub', 'dave-sub'].map((sub) => ({
            issuer: ISSUER,
            sub,
            username: sub.replace('-sub', ''),
            email: null,
            department: null,
            last_seen_at: '2025-03-02T00:00:00.000Z',
          })),
        )
        .execute();
      expect((await migrateToLatest(opened))[0]).toBe('004-lists');
      return opened;
    },
    (opened) => opened.close(),
  );

  it.skipIf(skip)(
    'keeps every todo with the same id, title, description, state and timestamps',
    async () => {
      expect(await rowCount(db, 'todos')).toBe(before.length);
      const rows = await db.kysely.selectFrom('todos').selectAll().execute();
      const after = new Map(rows.map((r) => [r.id, r]));
      for (const old of before) {
        const row = after.get(old.id);
        expect(row, old.id).toBeDefined();
        expect({
          owner: [row?.owner_issuer, row?.owner_sub],
          title: row?.title,
          description: row?.description,
          completed: Boolean(row?.completed),
          createdAt: row && toIso(row.created_at),
          updatedAt: row && toIso(row.updated_at),
        }).toEqual({
          owner: [old.owner_issuer, old.owner_sub],
          title: old.title,
          description: old.description,
          completed: old.completed,
          createdAt: old.created_at,
          updatedAt: old.updated_at,
        });
      }
    },
  );

  it.skipIf(skip)('puts every todo into its owner’s one default list, owned by them', async () => {
    const rows = await db.kysely
      .selectFrom('todos as t')
      .innerJoin('lists as l', 'l.id', 't.list_id')
      .select(['t.owner_sub', 'l.owner_sub as list_owner', 'l.is_default', 'l.id as list_id'])
      .execute();
    expect(rows).toHaveLength(before.length);
    for (const row of rows) {
      expect(row.list_owner).toBe(row.owner_sub);
      expect(Boolean(row.is_default)).toBe(true);
    }
    const listsPerPerson = new Map<string, Set<string>>();
    for (const row of rows) {
      listsPerPerson.set(
        row.owner_sub,
        (listsPerPerson.get(row.owner_sub) ?? new Set()).add(row.list_id),
      );
    }
    expect([...listsPerPerson.values()].map((s) => s.size)).toEqual([1, 1, 1]);
    // One default list per person with todos or a profile, each with its owner as member.
    expect(await rowCount(db, 'lists')).toBe(4);
    const members = await db.kysely
      .selectFrom('list_members as m')
      .innerJoin('lists as l', 'l.id', 'm.list_id')
      .select(['m.member_sub', 'm.relation', 'l.owner_sub'])
      .execute();
    expect(members).toHaveLength(4);
    expect(members.every((m) => m.relation === 'owner' && m.member_sub === m.owner_sub)).toBe(true);
  });

  it.skipIf(skip)(
    'serves each person exactly their todos through the list memberships',
    async () => {
      const todos = todoRepository(db);
      for (const sub of PEOPLE) {
        const page = await todos.list({ issuer: ISSUER, subject: sub }, { limit: 100 });
        const expected = before
          .filter((t) => t.owner_sub === sub)
          .sort((a, b) => (a.created_at < b.created_at ? 1 : -1))
          .map((t) => t.id);
        expect(page.items.map((t) => t.id)).toEqual(expected);
      }
    },
  );

  it.skipIf(skip)('reuses the migrated default list instead of creating another', async () => {
    const lists = listRepository(db);
    const alice = { issuer: ISSUER, subject: 'alice-sub' };
    const migrated = await db.kysely
      .selectFrom('lists')
      .select('id')
      .where('owner_sub', '=', 'alice-sub')
      .executeTakeFirstOrThrow();
    expect(await lists.ensureDefault(alice, new Date())).toBe(migrated.id);
    const fresh = await lists.ensureDefault({ issuer: ISSUER, subject: 'erin-sub' }, new Date());
    expect(fresh).not.toBe(migrated.id);
    expect(await rowCount(db, 'lists')).toBe(5);
  });

  it.skipIf(skip)('refuses a todo without a list and a second default list', async () => {
    await expect(
      sql`insert into todos (id, owner_issuer, owner_sub, title, completed, created_at, updated_at)
        values (${randomUUID()}, ${ISSUER}, 'x', 'orphan', ${db.bool(false)}, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')`.execute(
        db.kysely,
      ),
    ).rejects.toThrow();
    await expect(
      db.kysely
        .insertInto('lists')
        .values({
          id: randomUUID(),
          owner_issuer: ISSUER,
          owner_sub: 'alice-sub',
          name: 'second default',
          is_default: db.bool(true),
          created_at: '2025-01-01T00:00:00.000Z',
          updated_at: '2025-01-01T00:00:00.000Z',
        })
        .execute(),
    ).rejects.toThrow();
  });
});
