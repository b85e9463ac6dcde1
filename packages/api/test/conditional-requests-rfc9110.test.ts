import fresh from 'fresh';
import { describe, expect, it } from 'vitest';
import { sqliteDriver } from './support/databases.js';
import { useHarness } from './support/harness.js';

// RFC 9110's conditional requests on the versioned resources (todos, lists), case by case from
// the RFC's text, and `If-None-Match` cross-checked with `fresh` (the evaluation Express uses,
// written independently of `http/etag.ts`): `fresh(request, { etag })` is true exactly when
// the field's condition is false (§13.1.2), which a write answers 412.

describe('conditional requests as RFC 9110 §13 reads', () => {
  const h = useHarness(sqliteDriver);

  /** A todo of alice's at version 2 (created, then changed once): its id. */
  async function todoAtVersion2(): Promise<string> {
    const created = await h.as('alice', {
      method: 'POST',
      url: '/todos/',
      payload: { title: 'Buy milk' },
    });
    const id = created.json().id as string;
    const changed = await h.as('alice', {
      method: 'PATCH',
      url: `/todos/${id}`,
      payload: { completed: true },
    });
    expect(changed.headers.etag).toBe('"2"');
    return id;
  }

  /** A PATCH of a todo at version 2 with `headers`: the status, and what the todo then is. */
  async function patch(headers: Record<string, string>) {
    const id = await todoAtVersion2();
    const res = await h.as('alice', {
      method: 'PATCH',
      url: `/todos/${id}`,
      headers,
      payload: { title: 'Buy oat milk' },
    });
    const after = await h.as('alice', { method: 'GET', url: `/todos/${id}` });
    return { res, title: after.json().title as string, etag: after.headers.etag };
  }

  it.each([
    // §13.1.1: true when a listed tag matches by strong comparison (§8.8.3.2).
    ['"2"', 200, 'the current tag'],
    ['"1"', 412, 'a stale tag'],
    ['W/"2"', 412, 'a weak tag: strong comparison never matches a weak one (§8.8.3.2)'],
    ['*', 200, '`*`: any current representation (§13.1.1)'],
    ['"1", "2"', 200, 'a list holding the current tag (§5.6.1 list syntax)'],
    ['"7" ,\t"1",  "2"', 200, 'a list with OWS around the commas (§5.6.1)'],
    ['"1", "3"', 412, 'a list without it'],
    // Malformed: §13.1.1 gives no rule to ignore a malformed If-Match (§13.1.3 and §13.1.4 do
    // for dates), and none of its "tags" matches, so the condition is false: 412. Ignoring it
    // would turn a write the client meant to be conditional into a last-write-wins.
    ['2', 412, 'malformed: the tag unquoted'],
    ['"2', 412, 'malformed: the closing quote missing'],
  ])('If-Match: %s answers %i (%s)', async (value, status) => {
    const { res, title, etag } = await patch({ 'if-match': value });
    expect(res.statusCode).toBe(status);
    if (status === 412) {
      // §15.5.13: nothing changed; the problem carries the current state and its ETag.
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers.etag).toBe('"2"');
      expect(res.json().current.version).toBe(2);
      expect(title).toBe('Buy milk');
      expect(etag).toBe('"2"');
    } else {
      expect(title).toBe('Buy oat milk');
      expect(etag).toBe('"3"');
    }
  });

  it.each([
    // §13.1.2: false when a listed tag matches by weak comparison (§8.8.3.2), or for `*` when
    // the resource exists; a method other than GET or HEAD is then 412.
    ['"2"', 412],
    ['W/"2"', 412],
    ['*', 412],
    ['"1", W/"2"', 412],
    ['"1"', 200],
    ['W/"1", "3"', 200],
    ['"1" ,  "3"', 200],
  ])('If-None-Match: %s on a write answers %i, as `fresh` evaluates it', async (value, status) => {
    expect(fresh({ 'if-none-match': value }, { etag: '"2"' })).toBe(status === 412);
    const { res, title } = await patch({ 'if-none-match': value });
    expect(res.statusCode).toBe(status);
    expect(title).toBe(status === 412 ? 'Buy milk' : 'Buy oat milk');
    if (status === 412) expect(res.headers.etag).toBe('"2"');
  });

  it.each([
    ['"2"', 304],
    ['W/"2"', 304],
    ['*', 304],
    ['"1", W/"2"', 304],
    ['"1"', 200],
    ['W/"1", "3"', 200],
  ])(
    'If-None-Match: %s on a GET answers %i (§13.1.2, §15.4.5), as `fresh` evaluates it',
    async (value, status) => {
      expect(fresh({ 'if-none-match': value }, { etag: '"2"' })).toBe(status === 304);
      const id = await todoAtVersion2();
      const res = await h.as('alice', {
        method: 'GET',
        url: `/todos/${id}`,
        headers: { 'if-none-match': value },
      });
      expect(res.statusCode).toBe(status);
      expect(res.headers.etag).toBe('"2"');
      if (status === 304) expect(res.body).toBe('');
      else expect(res.json().version).toBe(2);
    },
  );

  it.each([
    [{ 'if-match': '"2"' }, 200],
    [{ 'if-match': '"1"' }, 412],
    [{ 'if-match': 'W/"2"' }, 412],
    // §13.2.2: If-Match (step 1) before If-None-Match (step 3), on a GET as on a write.
    [{ 'if-match': '"1"', 'if-none-match': '"2"' }, 412],
    [{ 'if-match': '"2"', 'if-none-match': '"2"' }, 304],
  ])(
    'a GET with %o answers %i (§13.1.1: If-Match is evaluated on any method)',
    async (headers, status) => {
      const id = await todoAtVersion2();
      const res = await h.as('alice', { method: 'GET', url: `/todos/${id}`, headers });
      expect(res.statusCode).toBe(status);
      expect(res.headers.etag).toBe('"2"');
      if (status === 412) expect(res.json().current.version).toBe(2);
    },
  );

  it('evaluates If-Match before If-None-Match (§13.2.2 steps 1 and 3), and either false is 412', async () => {
    expect((await patch({ 'if-match': '"1"', 'if-none-match': '"9"' })).res.statusCode).toBe(412);
    expect((await patch({ 'if-match': '"2"', 'if-none-match': '*' })).res.statusCode).toBe(412);
    expect((await patch({ 'if-match': '"2"', 'if-none-match': '"9"' })).res.statusCode).toBe(200);
  });

  it('ignores If-Unmodified-Since: with If-Match (§13.1.4, §13.2.2 step 2), and with no modification date to compare', async () => {
    const past = 'Sat, 01 Jan 2000 00:00:00 GMT';
    const withIfMatch = await patch({ 'if-match': '"2"', 'if-unmodified-since': past });
    expect(withIfMatch.res.statusCode).toBe(200);
    // §13.1.4: a recipient MUST ignore it when the resource has no modification date; the API
    // keeps none and sends no Last-Modified (§8.8.2), so a date in the past changes nothing.
    const alone = await patch({ 'if-unmodified-since': past });
    expect(alone.res.statusCode).toBe(200);
    expect(alone.res.headers['last-modified']).toBeUndefined();
  });

  it('does not require a precondition: no If-Match is the documented last write wins, not 428 (RFC 6585 §3 lets a server require one)', async () => {
    const { res, etag } = await patch({});
    expect(res.statusCode).toBe(200);
    expect(etag).toBe('"3"');
  });

  it('keeps a todo from deletion under If-None-Match: *, and ignores preconditions where the answer is not 2xx or 412 (§13.2.1)', async () => {
    const id = await todoAtVersion2();
    const kept = await h.as('alice', {
      method: 'DELETE',
      url: `/todos/${id}`,
      headers: { 'if-none-match': '*' },
    });
    expect(kept.statusCode).toBe(412);
    expect((await h.as('alice', { method: 'GET', url: `/todos/${id}` })).statusCode).toBe(200);
    const missing = await h.as('alice', {
      method: 'PATCH',
      url: '/todos/00000000-0000-4000-8000-000000000000',
      headers: { 'if-none-match': '*' },
      payload: { title: 'x' },
    });
    expect(missing.statusCode).toBe(404);
  });

  it('holds list writes to If-None-Match as todos (412), and a GET of a list to If-Match only (§13.1.2)', async () => {
    const created = await h.as('alice', {
      method: 'POST',
      url: '/lists/',
      payload: { name: 'Groceries' },
    });
    const { id } = created.json() as { id: string };
    const tag = created.headers.etag as string;
    for (const value of ['*', tag, `W/${tag}`]) {
      const res = await h.as('alice', {
        method: 'PATCH',
        url: `/lists/${id}`,
        headers: { 'if-none-match': value },
        payload: { name: 'Shopping' },
      });
      expect(res.statusCode, value).toBe(412);
      expect(res.headers.etag, value).toBe(tag);
    }
    const deleted = await h.as('alice', {
      method: 'DELETE',
      url: `/lists/${id}`,
      headers: { 'if-none-match': '*' },
    });
    expect(deleted.statusCode).toBe(412);
    const renamed = await h.as('alice', {
      method: 'PATCH',
      url: `/lists/${id}`,
      headers: { 'if-none-match': '"0"' },
      payload: { name: 'Shopping' },
    });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json().name).toBe('Shopping');
    const renamedTag = renamed.headers.etag as string;
    // The version validates the list's name, not the whole body (see the next test): a GET
    // answers the body whatever If-None-Match names, the current tag, `*` or a stale one.
    for (const value of [renamedTag, `W/${renamedTag}`, '*', tag]) {
      const read = await h.as('alice', {
        method: 'GET',
        url: `/lists/${id}`,
        headers: { 'if-none-match': value },
      });
      expect(read.statusCode, value).toBe(200);
      expect(read.json().name, value).toBe('Shopping');
      expect(read.headers.etag, value).toBe(renamedTag);
    }
  });

  it('never answers 304 to a list whose todo count or caller relation changed at the same version (§8.8.1, §13.1.2)', async () => {
    await h.as('bob', { method: 'GET', url: '/lists/' });
    const created = await h.as('alice', {
      method: 'POST',
      url: '/lists/',
      payload: { name: 'Groceries' },
    });
    const { id } = created.json() as { id: string };
    const url = `/lists/${id}`;
    const share = { method: 'PUT', url: `${url}/members/bob` } as const;
    expect((await h.as('alice', { ...share, payload: { relation: 'editor' } })).statusCode).toBe(
      200,
    );
    const seen = await h.as('bob', { method: 'GET', url });
    expect(seen.json()).toMatchObject({ todoCount: 0, relation: 'editor', version: 1 });
    expect(seen.json().actions).toContain('can_create_todo');
    const tag = seen.headers.etag as string;
    expect(tag).toBe('"1"');

    const added = await h.as('alice', {
      method: 'POST',
      url: `${url}/todos/`,
      payload: { title: 'Milk' },
    });
    expect(added.statusCode).toBe(201);
    expect((await h.as('alice', { ...share, payload: { relation: 'viewer' } })).statusCode).toBe(
      200,
    );

    const reread = await h.as('bob', { method: 'GET', url, headers: { 'if-none-match': tag } });
    expect(reread.statusCode).toBe(200);
    expect(reread.json()).toMatchObject({ todoCount: 1, relation: 'viewer', version: 1 });
    expect(reread.json().actions).toEqual(['can_read']);
    // Still the list's version: what a write's If-Match is compared with.
    expect(reread.headers.etag).toBe(tag);
    const owners = await h.as('alice', { method: 'GET', url, headers: { 'if-none-match': tag } });
    expect(owners.statusCode).toBe(200);
    expect(owners.json().todoCount).toBe(1);
    // A todo added is no change to the list's own fields: If-Match of that tag still holds,
    // on a GET (no 412) and on a rename.
    const matched = await h.as('alice', { method: 'GET', url, headers: { 'if-match': tag } });
    expect(matched.statusCode).toBe(200);
    const renamed = await h.as('alice', {
      method: 'PATCH',
      url,
      headers: { 'if-match': tag },
      payload: { name: 'Shopping' },
    });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.headers.etag).toBe('"2"');
    const stale = await h.as('bob', { method: 'GET', url, headers: { 'if-match': tag } });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().current).toMatchObject({ name: 'Shopping', todoCount: 1, version: 2 });
  });
});
