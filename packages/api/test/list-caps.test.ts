import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { drivers, sqliteDriver, useTestDatabase } from './support/databases.js';
import { suiteFixture } from './support/fixture.js';
import { type Harness, type Instance, startHarness, startInstance } from './support/harness.js';

const OWNED = 6;
const SHARED = 3;

/**
 * What bounds `GET /lists/`, which answers every list of the caller in one array: the lists one
 * person may own (`MAX_LISTS_PER_PERSON`, their default list included) and the lists others may
 * share with them (`MAX_SHARED_LISTS_PER_PERSON`). Past either, the write is 409 `conflict` and
 * writes nothing; concurrent requests spread over two instances on one database never go past.
 */
describe.each(drivers)('the caps on lists per person on $driver', (driver) => {
  const database = useTestDatabase(driver);
  const both = suiteFixture(
    driver.skip,
    async () => {
      const env = {
        MAX_LISTS_PER_PERSON: String(OWNED),
        MAX_SHARED_LISTS_PER_PERSON: String(SHARED),
      };
      const h: Harness = await startHarness(database.config, env);
      const other: Instance = await startInstance(h.config);
      return { h, other };
    },
    async ({ h, other }) => {
      await other.close();
      await h.close();
    },
  );
  /** As `user`, at the first instance for even `n`, the second for odd. */
  const at = (n: number, user: 'alice' | 'bob' | 'carol', options: InjectOptions) => {
    const { h, other } = both;
    const instance = n % 2 === 0 ? h : other;
    return instance.app.inject({
      ...options,
      headers: { ...options.headers, authorization: `Bearer ${h.tokens[user]}` },
    });
  };
  const statuses = (answers: LightMyRequestResponse[]) =>
    answers.map((a) => a.statusCode).sort((x, y) => x - y);

  it.skipIf(driver.skip)(
    'creates lists up to the cap, however many arrive at once, and refuses the rest with 409',
    async () => {
      // The default list, created on first use, counts.
      expect((await at(0, 'alice', { method: 'GET', url: '/lists/' })).json()).toHaveLength(1);
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, n) =>
          at(n, 'alice', { method: 'POST', url: '/lists/', payload: { name: `List ${n}` } }),
        ),
      );
      expect(statuses(answers)).toEqual([...Array(OWNED - 1).fill(201), ...Array(7).fill(409)]);
      const refused = answers.find((a) => a.statusCode === 409) as LightMyRequestResponse;
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.json()).toMatchObject({
        code: 'conflict',
        detail: expect.stringMatching(/6 lists/),
      });
      const lists = (await at(1, 'alice', { method: 'GET', url: '/lists/' })).json();
      expect(lists).toHaveLength(OWNED);
      // Deleting one makes room for one.
      const one = lists.find((l: { isDefault: boolean }) => !l.isDefault);
      expect((await at(0, 'alice', { method: 'DELETE', url: `/lists/${one.id}` })).statusCode).toBe(
        204,
      );
      const again = await at(1, 'alice', {
        method: 'POST',
        url: '/lists/',
        payload: { name: 'x' },
      });
      expect(again.statusCode).toBe(201);
    },
  );

  it.skipIf(driver.skip)(
    'shares lists with one person up to the cap, at once from many lists, and writes nothing past it',
    async () => {
      await at(0, 'carol', { method: 'GET', url: '/lists/' }); // known to the API
      const ids: string[] = [];
      for (let n = 0; n < OWNED - 1; n++) {
        const made = await at(n, 'bob', {
          method: 'POST',
          url: '/lists/',
          payload: { name: `B${n}` },
        });
        ids.push(made.json().id);
      }
      const share = (n: number, id: string, relation: string) =>
        at(n, 'bob', { method: 'PUT', url: `/lists/${id}/members/carol`, payload: { relation } });
      const answers = await Promise.all(ids.map((id, n) => share(n, id, 'viewer')));
      expect(statuses(answers)).toEqual([...Array(SHARED).fill(200), ...Array(2).fill(409)]);
      const refusedAt = ids.filter((_, n) => answers[n]?.statusCode === 409);
      for (const id of refusedAt) {
        const members = (await at(0, 'bob', { method: 'GET', url: `/lists/${id}/members` })).json();
        expect(members.map((m: { username: string }) => m.username)).toEqual(['bob']);
      }
      const carols = (await at(1, 'carol', { method: 'GET', url: '/lists/' })).json();
      expect(carols).toHaveLength(1 + SHARED);
      // A relation changed on a list already shared is no new membership: allowed when full.
      const sharedId = ids.find((id) => !refusedAt.includes(id)) as string;
      expect((await share(0, sharedId, 'editor')).statusCode).toBe(200);
      // Carol leaves one: one of the refused shares now goes through.
      const left = await at(1, 'carol', {
        method: 'DELETE',
        url: `/lists/${sharedId}/members/carol`,
      });
      expect(left.statusCode).toBe(204);
      expect((await share(0, refusedAt[0] as string, 'viewer')).statusCode).toBe(200);
    },
  );
});

describe('the caps on lists per person at one', () => {
  const database = useTestDatabase(sqliteDriver);
  const h = suiteFixture(
    false,
    () =>
      startHarness(database.config, {
        MAX_LISTS_PER_PERSON: '1',
        MAX_SHARED_LISTS_PER_PERSON: '1',
      }),
    (harness) => harness.close(),
  );
  const as = (user: 'alice' | 'bob' | 'carol', options: InjectOptions) =>
    h.app.inject({ ...options, headers: { authorization: `Bearer ${h.tokens[user]}` } });

  it('says "a list" in the refusals, not "1 lists"', async () => {
    // The default list, made on first use, is the one list alice may own.
    const [alices, bobs] = await Promise.all(
      (['alice', 'bob'] as const).map(
        async (u) => (await as(u, { method: 'GET', url: '/lists/' })).json()[0].id,
      ),
    );
    const own = await as('alice', { method: 'POST', url: '/lists/', payload: { name: 'Second' } });
    expect(own.statusCode).toBe(409);
    expect(own.json().detail).toBe('You own a list, the most one person may: delete one first');
    await as('carol', { method: 'GET', url: '/lists/' }); // known to the API
    const share = (user: 'alice' | 'bob', id: string) =>
      as(user, {
        method: 'PUT',
        url: `/lists/${id}/members/carol`,
        payload: { relation: 'viewer' },
      });
    expect((await share('alice', alices)).statusCode).toBe(200);
    const second = await share('bob', bobs);
    expect(second.statusCode).toBe(409);
    expect(second.json().detail).toBe(
      'carol has a list shared with them, the most one person may: they must leave one first',
    );
  });
});
