import { describe, expect, it } from 'vitest';
import { drivers, rowCount } from './support/databases.js';
import { useHarness } from './support/harness.js';

/**
 * RFC 9562 §4: a UUID's hex digits are case-insensitive on input. PostgreSQL's `uuid` type
 * compares them so; SQLite stores the id as text, so both engines must see the same spelling.
 */
describe.each(drivers)('todo ids in upper case on $driver', ({ skip, create }) => {
  const h = useHarness({ skip, create });

  it.skipIf(skip)(
    'reads, replaces, patches and deletes a todo by its upper-case id, auditing the lower-case one',
    async () => {
      const todo = (
        await h.as('alice', { method: 'POST', url: '/todos/', payload: { title: 'case' } })
      ).json();
      const upper = `/todos/${todo.id.toUpperCase()}`;

      const read = await h.as('alice', { method: 'GET', url: upper });
      expect(read.statusCode).toBe(200);
      expect(read.json()).toEqual(todo);

      const put = await h.as('alice', {
        method: 'PUT',
        url: upper,
        payload: { title: 'CASE', completed: true },
      });
      expect(put.statusCode).toBe(200);
      expect(put.json()).toMatchObject({ id: todo.id, title: 'CASE', completed: true });

      const patch = await h.as('alice', { method: 'PATCH', url: upper, payload: { title: 'c' } });
      expect(patch.statusCode).toBe(200);
      expect(patch.json()).toMatchObject({ id: todo.id, title: 'c' });

      const audits = await rowCount(h.context.db, 'audit_log');
      const deleted = await h.as('alice', { method: 'DELETE', url: upper });
      expect(deleted.statusCode).toBe(204);
      expect(await rowCount(h.context.db, 'audit_log')).toBe(audits + 1);
      const record = await h.context.db.kysely
        .selectFrom('audit_log')
        .select('resource')
        .where('action', '=', 'todo.delete')
        .executeTakeFirstOrThrow();
      expect(record.resource).toBe(`todo:${todo.id}`);
      expect((await h.as('alice', { method: 'GET', url: `/todos/${todo.id}` })).statusCode).toBe(
        404,
      );
    },
  );

  it.skipIf(skip)("answers another owner's todo by its upper-case id with 404", async () => {
    const todo = (
      await h.as('alice', { method: 'POST', url: '/todos/', payload: { title: 'mine' } })
    ).json();
    const upper = `/todos/${todo.id.toUpperCase()}`;
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      const response = await h.as('bob', {
        method,
        url: upper,
        ...(method === 'PATCH' && { payload: { title: 'stolen' } }),
      });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ code: 'not_found' });
    }
    expect((await h.as('alice', { method: 'GET', url: upper })).json()).toEqual(todo);
  });
});
