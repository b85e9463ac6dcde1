import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { ownerRepository } from '../src/repositories/owners.js';
import { drivers } from './support/databases.js';
import { useHarness, users } from './support/harness.js';

/**
 * Lists carry a version like todos: `ETag` on every list response, `If-Match` honoured on
 * rename and delete (RFC 9110 §13.1.1), 412 with the current state (§15.5.13); no `If-Match`
 * keeps last-write-wins. Each list also says which actions the caller may take on it.
 */
describe.each(drivers)('list versions and actions on $driver', ({ skip, create, driver }) => {
  const h = useHarness({ skip, create });
  const walt = { sub: 'walt-0000-no-write', username: 'walt', permissions: ['todos:read'] };
  let waltToken = '';

  beforeAll(async () => {
    if (skip) return;
    waltToken = await h.idp.accessToken({ ...walt, roles: [] });
    const owners = ownerRepository(h.context.db);
    for (const [name, sub] of [
      ['bob', users.bob.sub],
      ['carol', users.carol.sub],
      ['walt', walt.sub],
    ] as const) {
      const person = { issuer: h.idp.issuer, subject: sub, username: name };
      await owners.touch({ ...person, email: `${name}@example.com`, department: null }, new Date());
    }
  });

  async function newList(name: string) {
    const created = await h.as('alice', { method: 'POST', url: '/lists/', payload: { name } });
    expect(created.statusCode).toBe(201);
    return { list: created.json(), etag: created.headers.etag as string };
  }

  async function share(id: string, username: string, relation: 'editor' | 'viewer') {
    const res = await h.as('alice', {
      method: 'PUT',
      url: `/lists/${id}/members/${username}`,
      payload: { relation },
    });
    expect(res.statusCode, res.body).toBe(200);
  }

  it.skipIf(skip)('sends the version as a strong ETag on create, read and rename', async () => {
    const { list, etag } = await newList('Tagged');
    expect(list.version).toBe(1);
    expect(etag).toBe('"1"');
    const read = await h.as('alice', { method: 'GET', url: `/lists/${list.id}` });
    expect(read.headers.etag).toBe('"1"');
    const all = (await h.as('alice', { method: 'GET', url: '/lists/' })).json();
    expect(all.find((l: { id: string }) => l.id === list.id)).toMatchObject({ version: 1 });
    const renamed = await h.as('alice', {
      method: 'PATCH',
      url: `/lists/${list.id}`,
      headers: { 'if-match': etag },
      payload: { name: 'Tagged twice' },
    });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.headers.etag).toBe('"2"');
    expect(renamed.json()).toMatchObject({ name: 'Tagged twice', version: 2 });
  });

  it.skipIf(skip)(
    'refuses a rename from a stale version with 412 and the current state',
    async () => {
      const { list, etag } = await newList('Groceries');
      await h.as('alice', {
        method: 'PATCH',
        url: `/lists/${list.id}`,
        headers: { 'if-match': etag },
        payload: { name: 'Groceries (weekly)' },
      });
      const stale = await h.as('alice', {
        method: 'PATCH',
        url: `/lists/${list.id}`,
        headers: { 'if-match': etag },
        payload: { name: 'Food' },
      });
      expect(stale.statusCode).toBe(412);
      expect(stale.headers['content-type']).toContain('application/problem+json');
      expect(stale.headers.etag).toBe('"2"');
      expect(stale.json()).toMatchObject({
        status: 412,
        code: 'precondition_failed',
        current: { id: list.id, name: 'Groceries (weekly)', version: 2, relation: 'owner' },
      });
      const now = (await h.as('alice', { method: 'GET', url: `/lists/${list.id}` })).json();
      expect(now).toMatchObject({ name: 'Groceries (weekly)', version: 2 });
    },
  );

  /**
   * A change another request commits right after a rename's (another tab's rename): a trigger
   * makes it at the moment the rename's audit record is written, so it commits with the rename
   * and before the rename is answered, every time.
   */
  async function renamedMeanwhile(id: string, name: string): Promise<() => Promise<void>> {
    const k = h.context.db.kysely;
    const change = sql.raw(
      `update lists set name = '${name}', version = version + 1 where id = '${id}'`,
    );
    if (driver === 'postgres') {
      await sql`create function other_tab() returns trigger language plpgsql as $$
        begin ${change}; return null; end $$`.execute(k);
      await sql`create trigger other_tab after insert on audit_log for each row
        when (new.action = 'list.rename') execute function other_tab()`.execute(k);
      return async () => {
        await sql`drop trigger other_tab on audit_log`.execute(k);
        await sql`drop function other_tab()`.execute(k);
      };
    }
    await sql`create trigger other_tab after insert on audit_log
      when new.action = 'list.rename' begin ${change}; end`.execute(k);
    return async () => {
      await sql`drop trigger other_tab`.execute(k);
    };
  }

  it.skipIf(skip)(
    'answers a rename with the list as that rename left it, not as a change after it did',
    async () => {
      const { list, etag } = await newList('Chores');
      const stop = await renamedMeanwhile(list.id, 'Chores (other tab)');
      let renamed: Awaited<ReturnType<typeof h.as>>;
      try {
        renamed = await h.as('alice', {
          method: 'PATCH',
          url: `/lists/${list.id}`,
          headers: { 'if-match': etag },
          payload: { name: 'Chores (mine)' },
        });
      } finally {
        await stop();
      }
      // Answered with the other tab's version, the client would send it back in If-Match and
      // overwrite a change it never saw.
      expect(renamed.statusCode, renamed.body).toBe(200);
      expect(renamed.headers.etag).toBe('"2"');
      expect(renamed.json()).toMatchObject({ name: 'Chores (mine)', version: 2 });
      const overwrite = await h.as('alice', {
        method: 'PATCH',
        url: `/lists/${list.id}`,
        headers: { 'if-match': renamed.headers.etag as string },
        payload: { name: 'Chores (mine, again)' },
      });
      expect(overwrite.statusCode).toBe(412);
      expect(overwrite.json().current).toMatchObject({ name: 'Chores (other tab)', version: 3 });
    },
  );

  it.skipIf(skip)('deletes only with a matching If-Match; weak tags never match', async () => {
    const { list } = await newList('Delete me');
    for (const tag of ['"7"', 'W/"1"']) {
      const refused = await h.as('alice', {
        method: 'DELETE',
        url: `/lists/${list.id}`,
        headers: { 'if-match': tag },
      });
      expect(refused.statusCode).toBe(412);
      expect(refused.json().current).toMatchObject({ id: list.id, version: 1 });
    }
    expect((await h.as('alice', { method: 'GET', url: `/lists/${list.id}` })).statusCode).toBe(200);
    const deleted = await h.as('alice', {
      method: 'DELETE',
      url: `/lists/${list.id}`,
      headers: { 'if-match': '"5", "1"' },
    });
    expect(deleted.statusCode).toBe(204);
    expect((await h.as('alice', { method: 'GET', url: `/lists/${list.id}` })).statusCode).toBe(404);
  });

  it.skipIf(skip)('"*" matches any version; no If-Match keeps last-write-wins', async () => {
    const { list } = await newList('Anything goes');
    const star = await h.as('alice', {
      method: 'PATCH',
      url: `/lists/${list.id}`,
      headers: { 'if-match': '*' },
      payload: { name: 'Starred' },
    });
    expect(star.statusCode).toBe(200);
    const blind = await h.as('alice', {
      method: 'PATCH',
      url: `/lists/${list.id}`,
      payload: { name: 'No precondition' },
    });
    expect(blind.statusCode).toBe(200);
    expect(blind.json().version).toBe(3);
    const gone = await h.as('alice', { method: 'DELETE', url: `/lists/${list.id}` });
    expect(gone.statusCode).toBe(204);
  });

  it.skipIf(skip)('access comes before the precondition: 404 and 403 leak no version', async () => {
    const { list } = await newList('Private');
    await share(list.id, 'carol', 'viewer');
    const stranger = await h.as('bob', {
      method: 'PATCH',
      url: `/lists/${list.id}`,
      headers: { 'if-match': '"9"' },
      payload: { name: 'Mine now' },
    });
    expect(stranger.statusCode).toBe(404);
    expect(stranger.headers.etag).toBeUndefined();
    const viewer = await h.as('carol', {
      method: 'DELETE',
      url: `/lists/${list.id}`,
      headers: { 'if-match': '"9"' },
    });
    expect(viewer.statusCode).toBe(403);
    expect(viewer.headers.etag).toBeUndefined();
  });

  it.skipIf(skip)('each list carries the actions its caller may take, by relation', async () => {
    const { list } = await newList('Release checklist');
    expect(list.actions).toEqual([
      'can_read',
      'can_update',
      'can_delete',
      'can_share',
      'can_create_todo',
    ]);
    await share(list.id, 'bob', 'editor');
    await share(list.id, 'carol', 'viewer');
    await share(list.id, 'walt', 'editor');
    const seen = async (token: string) => {
      const lists = await h.app.inject({
        method: 'GET',
        url: '/lists/',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(lists.statusCode).toBe(200);
      const one = await h.app.inject({
        method: 'GET',
        url: `/lists/${list.id}`,
        headers: { authorization: `Bearer ${token}` },
      });
      const fromList = lists.json().find((l: { id: string }) => l.id === list.id)?.actions;
      expect(one.json().actions).toEqual(fromList);
      return fromList;
    };
    expect(await seen(h.tokens.bob)).toEqual(['can_read', 'can_create_todo']);
    expect(await seen(h.tokens.carol)).toEqual(['can_read']);
    // An editor whose token lacks todos:write may only read.
    expect(await seen(waltToken)).toEqual(['can_read']);
    const defaults = (await h.as('bob', { method: 'GET', url: '/lists/' })).json();
    expect(defaults[0]).toMatchObject({ isDefault: true, relation: 'owner' });
    expect(defaults[0].actions).toContain('can_share');
  });
});
