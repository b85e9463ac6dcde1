import { type CompiledQuery, type KyselyPlugin, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { listRepository } from '../src/lists/repository.js';
import { drivers } from './support/databases.js';
import { useHarness, users } from './support/harness.js';

/**
 * Each list's `todoCount` in `GET /lists/` and `GET /lists/{id}` is the number of todos it
 * holds, through every way a todo comes and goes: created in a list, deleted, moved to another
 * list, and a list deleted with its todos. On SQLite the count is the one the triggers of
 * migration 009 keep (`lists.todo_count`); PostgreSQL counts.
 */
describe.each(drivers)('list todo counts on $driver', ({ skip, create, driver }) => {
  const h = useHarness({ skip, create });

  /** Every list alice sees: its count as the API answers it, and the todos really in it. */
  async function expectCountsExact() {
    const res = await h.as('alice', { method: 'GET', url: '/lists/' });
    expect(res.statusCode).toBe(200);
    const { rows } = await sql<{ list_id: string; n: number | string }>`
      select list_id, count(*) as n from todos group by list_id`.execute(h.context.db.kysely);
    const actual = new Map(rows.map((r) => [r.list_id, Number(r.n)]));
    const lists = res.json() as { id: string; todoCount: number }[];
    expect(lists.length).toBeGreaterThan(0);
    for (const list of lists) {
      expect({ id: list.id, count: list.todoCount }).toEqual({
        id: list.id,
        count: actual.get(list.id) ?? 0,
      });
      const one = await h.as('alice', { method: 'GET', url: `/lists/${list.id}` });
      expect(one.json().todoCount, list.id).toBe(actual.get(list.id) ?? 0);
    }
    return new Map(lists.map((l) => [l.id, l.todoCount]));
  }

  const newList = async (name: string) => {
    const res = await h.as('alice', { method: 'POST', url: '/lists/', payload: { name } });
    expect(res.statusCode).toBe(201);
    return res.json().id as string;
  };
  const newTodo = async (listId: string, title: string) => {
    const res = await h.as('alice', {
      method: 'POST',
      url: '/todos/',
      payload: { title, listId },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  };
  const moveTodo = (id: string, listId: string) =>
    sql`update todos set list_id = ${listId} where id = ${id}`.execute(h.context.db.kysely);

  it.skipIf(skip)('stay the real number of todos through creates, deletes and moves', async () => {
    const a = await newList('counted a');
    const b = await newList('counted b');
    const c = await newList('counted c');
    const inA = [];
    for (let i = 0; i < 25; i += 1) inA.push(await newTodo(a, `a${i}`));
    const inB = [await newTodo(b, 'b0'), await newTodo(b, 'b1')];
    expect((await expectCountsExact()).get(a)).toBe(25);

    for (const id of inA.slice(0, 4)) {
      const res = await h.as('alice', { method: 'DELETE', url: `/todos/${id}` });
      expect(res.statusCode).toBe(204);
    }
    expect((await expectCountsExact()).get(a)).toBe(21);

    for (const id of inA.slice(4, 10)) await moveTodo(id, b);
    await moveTodo(inB[0] as string, c);
    // Moving a todo into the list it is in changes nothing.
    await moveTodo(inB[1] as string, b);
    const counts = await expectCountsExact();
    expect([counts.get(a), counts.get(b), counts.get(c)]).toEqual([15, 7, 1]);

    // A list deleted takes its todos; the others keep their counts.
    const removed = await h.as('alice', { method: 'DELETE', url: `/lists/${c}` });
    expect(removed.statusCode).toBe(204);
    expect((await expectCountsExact()).has(c)).toBe(false);

    // The default list (made on first use) is counted like any other.
    const plain = await h.as('alice', { method: 'POST', url: '/todos/', payload: { title: 'x' } });
    expect(plain.statusCode).toBe(201);
    await expectCountsExact();
  });

  it.skipIf(skip || driver !== 'sqlite')(
    'are read from the kept column on SQLite, without counting the todos on each read',
    async () => {
      const { db } = h.context;
      const seen: CompiledQuery[] = [];
      const capture: KyselyPlugin = {
        transformQuery: (args) => {
          seen.push(db.kysely.getExecutor().compileQuery(args.node, args.queryId));
          return args.node;
        },
        transformResult: async (args) => args.result,
      };
      const lists = listRepository({ ...db, kysely: db.kysely.withPlugin(capture) });
      const alice = { issuer: h.idp.issuer, subject: users.alice.sub };
      expect((await lists.listFor(alice)).length).toBeGreaterThan(0);
      expect(seen).toHaveLength(1);
      expect(seen[0]?.sql).not.toMatch(/"todos"/);
      expect(seen[0]?.sql).toMatch(/"todo_count"/);
    },
  );
});
