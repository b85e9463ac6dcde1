import { describe, expect, it } from 'vitest';
import { sqliteDriver } from './support/databases.js';
import { useHarness } from './support/harness.js';

// RFC 9110 §13.1.1 and §13.1.2: `If-Match = "*" / #entity-tag`, and If-None-Match alike. A
// value that is neither `*` nor a list of entity-tags (`*` among tags, a tag without its quotes)
// is evaluated by each section's last step, "Otherwise": If-Match is false (412, nothing
// written), If-None-Match true (the request goes ahead as without it), even when one of its
// elements is the current tag. Every route that reads the fields, todos and lists alike.

describe('If-Match and If-None-Match values that are neither `*` nor a list of entity-tags', () => {
  const h = useHarness(sqliteDriver);

  /** A todo and a list of alice's, each at version 1 (`ETag: "1"`): their URLs. */
  async function resources() {
    const todo = await h.as('alice', { method: 'POST', url: '/todos/', payload: { title: 'A' } });
    const list = await h.as('alice', { method: 'POST', url: '/lists/', payload: { name: 'L' } });
    expect([todo.headers.etag, list.headers.etag]).toEqual(['"1"', '"1"']);
    return { todo: `/todos/${todo.json().id}`, list: `/lists/${list.json().id}` };
  }

  const writes = [
    ['PATCH', 'todo', { title: 'B' }],
    ['PUT', 'todo', { title: 'B', completed: false }],
    ['DELETE', 'todo', undefined],
    ['PATCH', 'list', { name: 'M' }],
    ['DELETE', 'list', undefined],
  ] as const;

  /** What the resource reads as after a write: its version, or 404 once deleted. */
  const versionAt = async (url: string) => {
    const read = await h.as('alice', { method: 'GET', url });
    return read.statusCode === 200 ? (read.json().version as number) : read.statusCode;
  };

  it.each(
    writes.flatMap(([method, what, payload]) =>
      ['*, "1"', '"1", *', '"1", 1', '"1", W/"1" x', '"1",\t"1'].map(
        (value) => [method, what, value, payload] as const,
      ),
    ),
  )(
    '%s of a %s with If-Match: %s is 412 and writes nothing (§13.1.1 "Otherwise, the condition is false")',
    async (method, what, value, payload) => {
      const url = (await resources())[what];
      const res = await h.as('alice', { method, url, headers: { 'if-match': value }, payload });
      expect(res.statusCode).toBe(412);
      expect(res.headers.etag).toBe('"1"');
      expect(res.json().current.version).toBe(1);
      expect(await versionAt(url)).toBe(1);
    },
  );

  it.each(writes.map(([method, what, payload]) => [method, what, payload] as const))(
    '%s of a %s with If-None-Match: *, "1" goes ahead (§13.1.2 "Otherwise, the condition is true")',
    async (method, what, payload) => {
      const url = (await resources())[what];
      const res = await h.as('alice', {
        method,
        url,
        headers: { 'if-none-match': '*, "1"' },
        payload,
      });
      expect(res.statusCode).toBe(method === 'DELETE' ? 204 : 200);
      expect(await versionAt(url)).toBe(method === 'DELETE' ? 404 : 2);
    },
  );

  it.each(['todo', 'list'] as const)(
    'a GET of a %s: If-Match `*` among tags is 412, If-None-Match `*` among tags is 200 with the body, not 304',
    async (what) => {
      const url = (await resources())[what];
      const stale = await h.as('alice', { method: 'GET', url, headers: { 'if-match': '*, "1"' } });
      expect(stale.statusCode).toBe(412);
      const read = await h.as('alice', {
        method: 'GET',
        url,
        headers: { 'if-none-match': '"1", *' },
      });
      expect(read.statusCode).toBe(200);
      expect(read.json().version).toBe(1);
      expect(read.headers.etag).toBe('"1"');
    },
  );

  it('reads empty list elements as none (§5.6.1), and `*` alone with whitespace as `*`', async () => {
    const { todo, list } = await resources();
    const patched = await h.as('alice', {
      method: 'PATCH',
      url: todo,
      headers: { 'if-match': ' , "9",, "1" ,' },
      payload: { title: 'B' },
    });
    expect(patched.statusCode).toBe(200);
    const renamed = await h.as('alice', {
      method: 'PATCH',
      url: list,
      headers: { 'if-match': ' * ' },
      payload: { name: 'M' },
    });
    expect(renamed.statusCode).toBe(200);
    const notModified = await h.as('alice', {
      method: 'GET',
      url: todo,
      headers: { 'if-none-match': ',W/"2" ,' },
    });
    expect(notModified.statusCode).toBe(304);
    const read = await h.as('alice', {
      method: 'GET',
      url: list,
      headers: { 'if-match': ',"2" ,' },
    });
    expect(read.statusCode).toBe(200);
    expect(read.json().name).toBe('M');
  });
});
