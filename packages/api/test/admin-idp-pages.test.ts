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

  it('refuses a cursor the API did not issue, and a page over 100, with 400', async () => {
    for (const cursor of ['not-a-cursor', Buffer.from('["-1"]').toString('base64url')]) {
      const res = await get({ cursor });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ code: 'validation_failed' });
    }
    expect((await get({ limit: '101' })).statusCode).toBe(400);
  });
});
