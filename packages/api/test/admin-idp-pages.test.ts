import { beforeAll, describe, expect, it } from 'vitest';
import { useDevIdp } from './support/dev-idp.js';
import type { Instance } from './support/harness.js';

/** More people than one page holds (100), all named alike so a search finds them all. */
const PEOPLE = Array.from({ length: 105 }, (_, i) => `pager-${String(i + 1).padStart(3, '0')}`);

interface Page {
  readonly items: { readonly username: string }[];
  readonly nextCursor: string | null;
}

/**
 * Past 100 people the Admin → People list goes on a page at a time: the API asks the dev IdP's
 * Keycloak Admin REST API for `first`/`max` and answers a `nextCursor` while there are more,
 * with and without a search, until every person was listed exactly once.
 */
describe('the identity provider users a page at a time (dev IdP, more than 100 people)', () => {
  const suite = useDevIdp('idp-admin-pages');
  let instance: Instance;

  const get = (query: Record<string, string>) =>
    instance.app.inject({
      method: 'GET',
      url: `/admin/idp/users?${new URLSearchParams(query)}`,
      headers: { authorization: `Bearer ${suite.adminToken}` },
    });

  /** Every page from the first, following `nextCursor`; the sizes of the pages too. */
  const everyPage = async (query: Record<string, string>) => {
    const usernames: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null | undefined;
    do {
      const res = await get({ ...query, ...(cursor ? { cursor } : {}) });
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as Page;
      usernames.push(...page.items.map((u) => u.username));
      sizes.push(page.items.length);
      cursor = page.nextCursor;
      expect(sizes.length).toBeLessThan(20);
    } while (cursor);
    return { usernames, sizes };
  };

  beforeAll(async () => {
    instance = await suite.instance({
      OIDC_CLIENT_ID: 'todo-api',
      OIDC_CLIENT_SECRET: 'todo-api-secret',
    });
    // Created through the API's admin routes, so at the IdP through its admin API.
    for (let i = 0; i < PEOPLE.length; i += 15) {
      const created = await Promise.all(
        PEOPLE.slice(i, i + 15).map((username) =>
          instance.app.inject({
            method: 'POST',
            url: '/admin/idp/users',
            headers: { authorization: `Bearer ${suite.adminToken}` },
            payload: { username },
          }),
        ),
      );
      for (const res of created) expect(res.statusCode, res.body).toBe(201);
    }
  }, 120_000);

  it('lists 100 with a cursor to the rest, and following it reaches every person once', async () => {
    const first = await get({});
    expect(first.statusCode, first.body).toBe(200);
    expect((first.json() as Page).items).toHaveLength(100);
    expect((first.json() as Page).nextCursor).toEqual(expect.any(String));

    const { usernames, sizes } = await everyPage({});
    expect(sizes[0]).toBe(100);
    expect(new Set(usernames).size).toBe(usernames.length);
    expect(usernames).toEqual(expect.arrayContaining([...PEOPLE, 'alice', 'admin']));
  });

  it('pages a search with the size asked for, the last page saying there is no next', async () => {
    const { usernames, sizes } = await everyPage({ search: 'pager', limit: '40' });
    expect(sizes).toEqual([40, 40, 25]);
    expect(usernames.toSorted()).toEqual(PEOPLE);
  });

  it('answers a page exactly full with no next page when nobody is left', async () => {
    const { sizes } = await everyPage({ search: 'pager-10', limit: '5' });
    // pager-100 … pager-105: 6 people, then nothing more.
    expect(sizes).toEqual([5, 1]);
    const exact = await everyPage({ search: 'pager-10', limit: '6' });
    expect(exact.sizes).toEqual([6]);
  });

  it('starts the next page after the last person shown, though people were added or removed before it meanwhile', async () => {
    const names = (page: Page) => page.items.map((u) => u.username);
    const create = async (username: string) => {
      const res = await instance.app.inject({
        method: 'POST',
        url: '/admin/idp/users',
        headers: { authorization: `Bearer ${suite.adminToken}` },
        payload: { username },
      });
      expect(res.statusCode, res.body).toBe(201);
      return (res.json() as { id: string }).id;
    };
    const ids = new Map<string, string>();
    for (const n of [2, 3, 4, 5, 6, 7, 8, 9]) ids.set(`shift-0${n}`, await create(`shift-0${n}`));
    const page = async (cursor?: string) => {
      const res = await get({ search: 'shift', limit: '3', ...(cursor ? { cursor } : {}) });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as Page;
    };
    const one = await page();
    expect(names(one)).toEqual(['shift-02', 'shift-03', 'shift-04']);
    // Someone added before the next page's offset: it would have repeated shift-04.
    await create('shift-01');
    const two = await page(one.nextCursor ?? undefined);
    expect(names(two)).toEqual(['shift-05', 'shift-06', 'shift-07']);
    // Two removed before it: it would have skipped shift-08.
    await removeAtProvider(ids.get('shift-02'));
    await removeAtProvider(ids.get('shift-03'));
    const three = await page(two.nextCursor ?? undefined);
    expect(names(three)).toEqual(['shift-08', 'shift-09']);
    expect(three.nextCursor).toBeNull();

    // The last person shown deleted meanwhile: nobody after them is skipped.
    const first = await page();
    expect(names(first)).toEqual(['shift-01', 'shift-04', 'shift-05']);
    await removeAtProvider(ids.get('shift-05'));
    const next = await page(first.nextCursor ?? undefined);
    expect(names(next)).toContain('shift-06');
  });

  it('starts the next page after the last person shown, though more people than the near look-back were added or removed before it', async () => {
    const ids = new Map<string, string>();
    for (let n = 10; n <= 18; n += 1) ids.set(`wide-${n}`, await createPerson(`wide-${n}`));
    const page = async (cursor?: string | null) => {
      const res = await get({ search: 'wide', limit: '3', ...(cursor ? { cursor } : {}) });
      expect(res.statusCode, res.body).toBe(200);
      const answer = res.json() as Page;
      return { names: answer.items.map((u) => u.username), nextCursor: answer.nextCursor };
    };
    const one = await page();
    expect(one.names).toEqual(['wide-10', 'wide-11', 'wide-12']);
    // Four added before the next page's offset (a bulk import): it would have repeated people.
    for (const n of [1, 2, 3, 4]) ids.set(`wide-0${n}`, await createPerson(`wide-0${n}`));
    const two = await page(one.nextCursor);
    expect(two.names).toEqual(['wide-13', 'wide-14', 'wide-15']);
    // Seven removed before it: it would have skipped wide-16.
    for (const name of [
      'wide-01',
      'wide-02',
      'wide-03',
      'wide-04',
      'wide-10',
      'wide-11',
      'wide-12',
    ])
      await removeAtProvider(ids.get(name));
    const three = await page(two.nextCursor);
    expect(three.names).toEqual(['wide-16', 'wide-17', 'wide-18']);
    expect(three.nextCursor).toBeNull();
  });

  /** Creates a person through the API's admin routes; their id. */
  async function createPerson(username: string): Promise<string> {
    const res = await instance.app.inject({
      method: 'POST',
      url: '/admin/idp/users',
      headers: { authorization: `Bearer ${suite.adminToken}` },
      payload: { username },
    });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { id: string }).id;
  }

  /** Deletes a person at the dev IdP with the API's own credentials, as its console would. */
  async function removeAtProvider(id: string | undefined) {
    const token = await fetch(`${suite.idp.issuer}/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'todo-api',
        client_secret: 'todo-api-secret',
      }),
    });
    expect(token.status).toBe(200);
    const { access_token } = (await token.json()) as { access_token: string };
    const origin = new URL(suite.idp.issuer).origin;
    const removed = await fetch(`${origin}/admin/realms/todo-app/users/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(removed.status).toBe(204);
  }

  it('refuses a cursor the API did not issue, and a page over 100, with 400', async () => {
    for (const cursor of [
      'not-a-cursor',
      Buffer.from('["-1"]').toString('base64url'),
      Buffer.from('["3",""]').toString('base64url'),
      Buffer.from('["3","an\\nid"]').toString('base64url'),
    ]) {
      const res = await get({ cursor });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ code: 'validation_failed' });
    }
    expect((await get({ limit: '101' })).statusCode).toBe(400);
  });
});
