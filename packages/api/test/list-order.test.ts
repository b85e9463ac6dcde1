import { alice, bob, type TestUser } from '@todo-sso/auth/testing';
import { describe, expect, it } from 'vitest';
import { drivers } from './support/databases.js';
import { useHarness } from './support/harness.js';

/**
 * The order of `GET /lists/` when other people's default lists are shared with the caller: their
 * own default list first, then the other default lists, then the rest by name. Every default
 * list is called "My todos", so without the caller's relation the list ids (random) decided.
 */
describe.each(drivers)('GET /lists/ order on $driver', ({ skip, create }) => {
  const h = useHarness({ skip, create });

  /** `GET /lists/` as `user`, which also creates their default list on first use. */
  const listsOf = async (user: TestUser) => {
    const token = await h.idp.accessToken(user);
    const res = await h.app.inject({
      url: '/lists/',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { id: string; name: string; relation: string; isDefault: boolean }[];
  };

  it.skipIf(skip)(
    'puts the caller’s own default list first, then shared defaults, then by name',
    async () => {
      const [own] = await listsOf(alice);
      expect(own).toMatchObject({ isDefault: true, relation: 'owner' });
      for (const name of ['zeta', 'Alpha'])
        expect(
          (await h.as('alice', { method: 'POST', url: '/lists/', payload: { name } })).statusCode,
        ).toBe(201);
      // People whose default list is shared with alice, until one of those lists has an id that
      // sorts before hers (ids are random), so that the id alone would have put it first.
      const shared: string[] = [];
      for (let i = 0; shared.length < 3 || !shared.some((id) => id < (own?.id ?? '')); i++) {
        expect(i).toBeLessThan(40);
        const person: TestUser =
          i === 0 ? bob : { ...bob, sub: `order-sharer-${i}`, username: `sharer${i}` };
        const [theirs] = await listsOf(person);
        const token = await h.idp.accessToken(person);
        const res = await h.app.inject({
          method: 'PUT',
          url: `/lists/${theirs?.id}/members/alice`,
          headers: { authorization: `Bearer ${token}` },
          payload: { relation: 'viewer' },
        });
        expect(res.statusCode, res.body).toBe(200);
        shared.push(theirs?.id as string);
      }
      const lists = await listsOf(alice);
      expect(lists[0]).toMatchObject({ id: own?.id, isDefault: true, relation: 'owner' });
      const defaults = lists.slice(1, 1 + shared.length);
      expect(defaults.map((l) => l.id).sort()).toEqual([...shared].sort());
      for (const l of defaults) expect(l).toMatchObject({ isDefault: true, relation: 'viewer' });
      expect(lists.slice(1 + shared.length).map((l) => l.name)).toEqual(['Alpha', 'zeta']);
    },
  );
});
