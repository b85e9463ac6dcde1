import { describe, expect, it } from 'vitest';
import { drivers } from './support/databases.js';
import { useHarness, users } from './support/harness.js';

/** RFC 9110 §13.1.1 If-Match on todo writes; §15.5.13 412 with the current state. */
describe.each(drivers)('conditional todo writes on $driver', ({ skip, create }) => {
  const h = useHarness({ skip, create });

  async function newTodo(title: string) {
    const created = await h.as('alice', { method: 'POST', url: '/todos/', payload: { title } });
    expect(created.statusCode).toBe(201);
    return { todo: created.json(), etag: created.headers.etag as string };
  }

  it.skipIf(skip)('sends the version as a strong ETag on create, read and change', async () => {
    const { todo, etag } = await newTodo('Tagged');
    expect(todo.version).toBe(1);
    expect(etag).toBe('"1"');
    const read = await h.as('alice', { method: 'GET', url: `/todos/${todo.id}` });
    expect(read.headers.etag).toBe('"1"');
    const changed = await h.as('alice', {
      method: 'PATCH',
      url: `/todos/${todo.id}`,
      headers: { 'if-match': etag },
      payload: { completed: true },
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).toBe('"2"');
    expect(changed.json().version).toBe(2);
  });

  it.skipIf(skip)(
    'refuses a change made from a stale version with 412 and the current state',
    async () => {
      const { todo, etag } = await newTodo('Rename me');
      await h.as('alice', {
        method: 'PATCH',
        url: `/todos/${todo.id}`,
        headers: { 'if-match': etag },
        payload: { title: 'Renamed in one tab' },
      });
      const stale = await h.as('alice', {
        method: 'PATCH',
        url: `/todos/${todo.id}`,
        headers: { 'if-match': etag },
        payload: { description: 'Notes from the other tab' },
      });
      expect(stale.statusCode).toBe(412);
      expect(stale.headers['content-type']).toContain('application/problem+json');
      expect(stale.headers.etag).toBe('"2"');
      const body = stale.json();
      expect(body).toMatchObject({
        status: 412,
        code: 'precondition_failed',
        current: { id: todo.id, title: 'Renamed in one tab', description: null, version: 2 },
      });
      const now = (await h.as('alice', { method: 'GET', url: `/todos/${todo.id}` })).json();
      expect(now).toMatchObject({ title: 'Renamed in one tab', description: null, version: 2 });
    },
  );

  it.skipIf(skip)('applies PUT and DELETE only with a matching If-Match', async () => {
    const { todo } = await newTodo('Replace or delete me');
    const put = await h.as('alice', {
      method: 'PUT',
      url: `/todos/${todo.id}`,
      headers: { 'if-match': '"7"' },
      payload: { title: 'Replaced', completed: false },
    });
    expect(put.statusCode).toBe(412);
    const weak = await h.as('alice', {
      method: 'DELETE',
      url: `/todos/${todo.id}`,
      headers: { 'if-match': 'W/"1"' },
    });
    expect(weak.statusCode).toBe(412); // weak tags never match If-Match (strong comparison)
    const listed = await h.as('alice', {
      method: 'DELETE',
      url: `/todos/${todo.id}`,
      headers: { 'if-match': '"5", "1"' },
    });
    expect(listed.statusCode).toBe(204);
  });

  it.skipIf(skip)('"*" matches any version; no If-Match keeps last-write-wins', async () => {
    const { todo } = await newTodo('Anything goes');
    const star = await h.as('alice', {
      method: 'PATCH',
      url: `/todos/${todo.id}`,
      headers: { 'if-match': '*' },
      payload: { completed: true },
    });
    expect(star.statusCode).toBe(200);
    const blind = await h.as('alice', {
      method: 'PATCH',
      url: `/todos/${todo.id}`,
      payload: { title: 'No precondition' },
    });
    expect(blind.statusCode).toBe(200);
    expect(blind.json().version).toBe(3);
  });

  it.skipIf(skip)(
    "a viewer's write with a stale If-Match is 403, not 412 with the todo (RFC 9110 §13.2.1)",
    async () => {
      await h.as('bob', { url: '/lists/' });
      const list = await h.as('alice', { method: 'POST', url: '/lists/', payload: { name: 'RO' } });
      const id = list.json().id as string;
      const share = await h.as('alice', {
        method: 'PUT',
        url: `/lists/${id}/members/${users.bob.username}`,
        payload: { relation: 'viewer' },
      });
      expect(share.statusCode).toBe(200);
      const created = await h.as('alice', {
        method: 'POST',
        url: `/lists/${id}/todos/`,
        payload: { title: 'Read only for bob' },
      });
      const todo = created.json().id as string;
      const stale = { 'if-match': '"7"' };
      const writes = [
        { method: 'PATCH', url: `/todos/${todo}`, payload: { completed: true } },
        { method: 'PUT', url: `/todos/${todo}`, payload: { title: 'Mine now', completed: true } },
        { method: 'DELETE', url: `/todos/${todo}` },
      ] as const;
      for (const write of writes) {
        const res = await h.as('bob', { ...write, headers: stale });
        expect(res.statusCode, write.method).toBe(403);
        expect(res.json()).toMatchObject({ code: 'forbidden' });
        expect(res.json().current).toBeUndefined();
      }
      const unchanged = await h.as('alice', { url: `/todos/${todo}` });
      expect(unchanged.json()).toMatchObject({ title: 'Read only for bob', version: 1 });
    },
  );

  it.skipIf(skip)('a missing todo stays 404 with or without If-Match', async () => {
    const missing = await h.as('alice', {
      method: 'PATCH',
      url: '/todos/00000000-0000-4000-8000-000000000000',
      headers: { 'if-match': '"1"' },
      payload: { completed: true },
    });
    expect(missing.statusCode).toBe(404);
  });
});
