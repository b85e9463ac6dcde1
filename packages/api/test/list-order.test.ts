import { alice, bob, type TestUser } from '@todo-sso/auth/testing';
import type { InjectOptions } from 'fastify';
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

  /** A request as `user`, with a token the dev IdP signs for them. */
  const call = async (user: TestUser, options: InjectOptions) =>
    h.app.inject({
      ...options,
      headers: { authorization: `Bearer ${await h.idp.accessToken(user)}` },
    });

  /** `GET /lists/` as `user`, which also creates their default list on first use. */
  const listsOf = async (user: TestUser) => {
    const res = await call(user, { url: '/lists/' });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { id: string; name: string; relation: string; isDefault: boolean }[];
  };

  it.skipIf(skip)(
    'puts the caller’s own default list first, then shared defaults, then by name',
    async () => {
      // Four people with a default list each. The caller is the one whose list id (random) sorts
      // last, so that ordering by id alone would put every shared default list before theirs.
      const people: TestUser[] = [alice, bob, 1, 2].map((p) =>
        typeof p === 'number' ? { ...bob, sub: `order-sharer-${p}`, username: `sharer${p}` } : p,
      );
      const defaults = await Promise.all(
        people.map(async (person) => ({ person, list: (await listsOf(person))[0] })),
      );
      for (const { list } of defaults) expect(list).toMatchObject({ isDefault: true });
      defaults.sort((a, b) => ((a.list?.id ?? '') < (b.list?.id ?? '') ? -1 : 1));
      const { person: caller, list: own } = defaults.at(-1) as (typeof defaults)[number];
      const sharers = defaults.slice(0, -1);
      expect(sharers.every(({ list }) => (list?.id ?? '') < (own?.id ?? ''))).toBe(true);

      for (const name of ['zeta', 'Alpha'])
        expect(
          (await call(caller, { method: 'POST', url: '/lists/', payload: { name } })).statusCode,
        ).toBe(201);
      for (const { person, list } of sharers) {
        const res = await call(person, {
          method: 'PUT',
          url: `/lists/${list?.id}/members/${caller.username}`,
          payload: { relation: 'viewer' },
        });
        expect(res.statusCode, res.body).toBe(200);
      }

      const lists = await listsOf(caller);
      expect(lists[0]).toMatchObject({ id: own?.id, isDefault: true, relation: 'owner' });
      const shared = lists.slice(1, 1 + sharers.length);
      expect(shared.map((l) => l.id).sort()).toEqual(sharers.map(({ list }) => list?.id).sort());
      for (const l of shared) expect(l).toMatchObject({ isDefault: true, relation: 'viewer' });
      expect(lists.slice(1 + sharers.length).map((l) => l.name)).toEqual(['Alpha', 'zeta']);
    },
  );
});
