import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { drivers } from './support/databases.js';
import { useHarness, users } from './support/harness.js';

/**
 * Two members of one list acting at once, on SQLite and PostgreSQL (one instance; two
 * instances on PostgreSQL are `cluster-writes.test.ts`): of two writes from the same version
 * one wins and the other is 412, never both; a member removed while writing leaves no todo
 * written after the removal answered; a list deleted while todos are sent into it leaves no row
 * behind in `todos` or `list_members`.
 */
describe.each(drivers)('members acting at once on $driver', ({ skip, create }) => {
  const h = useHarness({ skip, create });
  const ROUNDS = 8;
  const bob = users.bob.username as string;

  async function sharedList(name: string) {
    const list = await h.as('alice', { method: 'POST', url: '/lists/', payload: { name } });
    const id = list.json().id as string;
    const share = await h.as('alice', {
      method: 'PUT',
      url: `/lists/${id}/members/${bob}`,
      payload: { relation: 'editor' },
    });
    expect(share.statusCode).toBe(200);
    return id;
  }

  /** Rows whose list is gone, in both tables. */
  async function orphans() {
    const k = h.context.db.kysely;
    const count = async (table: 'todos' | 'list_members') => {
      const { rows } = await sql<{ n: number | string }>`
        select count(*) as n from ${sql.table(table)} t
        where not exists (select 1 from lists l where l.id = t.list_id)`.execute(k);
      return Number(rows[0]?.n);
    };
    return { todos: await count('todos'), members: await count('list_members') };
  }

  it.skipIf(skip)('two members changing one todo from one version: one 200, one 412', async () => {
    await h.as('bob', { url: '/lists/' });
    for (let round = 0; round < ROUNDS; round++) {
      const list = await sharedList(`Race ${round}`);
      const created = await h.as('alice', {
        method: 'POST',
        url: `/lists/${list}/todos/`,
        payload: { title: 'contested' },
      });
      const url = `/todos/${created.json().id}`;
      const headers = { 'if-match': '"1"' };
      const answers = await Promise.all([
        h.as('alice', { method: 'PATCH', url, headers, payload: { title: 'alice' } }),
        h.as('bob', { method: 'PATCH', url, headers, payload: { title: 'bob' } }),
      ]);
      const statuses = answers.map((a) => a.statusCode).sort();
      expect(statuses).toEqual([200, 412]);
      const winner = answers.find((a) => a.statusCode === 200)?.json().title;
      const now = await h.as('alice', { url });
      expect(now.json()).toMatchObject({ title: winner, version: 2 });
    }
  });

  it.skipIf(skip)(
    'a member removed while adding a todo: 201 before the removal, else 404',
    async () => {
      await h.as('bob', { url: '/lists/' });
      for (let round = 0; round < ROUNDS; round++) {
        const list = await sharedList(`Removal ${round}`);
        const [write, removal] = await Promise.all([
          h.as('bob', { method: 'POST', url: `/lists/${list}/todos/`, payload: { title: 'late' } }),
          h.as('alice', { method: 'DELETE', url: `/lists/${list}/members/${bob}` }),
        ]);
        expect(removal.statusCode).toBe(204);
        expect([201, 404]).toContain(write.statusCode);
        const todos = await h.as('alice', { url: `/lists/${list}/todos/` });
        expect(todos.json().items).toHaveLength(write.statusCode === 201 ? 1 : 0);
        expect((await h.as('bob', { url: `/lists/${list}` })).statusCode).toBe(404);
      }
    },
  );

  it.skipIf(skip)('a list deleted while todos are sent into it leaves no orphan rows', async () => {
    await h.as('bob', { url: '/lists/' });
    for (let round = 0; round < ROUNDS; round++) {
      const list = await sharedList(`Doomed ${round}`);
      const answers = await Promise.all([
        h.as('bob', { method: 'POST', url: `/lists/${list}/todos/`, payload: { title: 'a' } }),
        h.as('bob', { method: 'POST', url: '/todos/', payload: { title: 'b', listId: list } }),
        h.as('alice', { method: 'DELETE', url: `/lists/${list}` }),
      ]);
      expect(answers[2]?.statusCode).toBe(204);
      for (const write of answers.slice(0, 2)) expect([201, 404]).toContain(write.statusCode);
    }
    expect(await orphans()).toEqual({ todos: 0, members: 0 });
  });
});
