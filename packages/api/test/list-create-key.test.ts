import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { alice } from '@todo-sso/auth/testing';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { drivers, rowCount, sqliteDriver, useTestDatabase } from './support/databases.js';
import { suiteFixture } from './support/fixture.js';
import { type Harness, startHarness, type UserName, useHarness } from './support/harness.js';

/** `POST /lists/` naming `name`, with `key` as its `Idempotency-Key` when given. */
const createList = (h: Harness, user: UserName, name: string, key?: string) =>
  h.as(user, {
    method: 'POST',
    url: '/lists/',
    payload: { name },
    ...(key !== undefined && { headers: { 'idempotency-key': key } }),
  });

/** How many of `user`'s lists are called `name`, and the `list.create` records. */
async function written(h: Harness, name: string) {
  const { kysely } = h.context.db;
  const lists = await kysely.selectFrom('lists').select('id').where('name', '=', name).execute();
  const audits = await kysely
    .selectFrom('audit_log')
    .select('resource')
    .where('action', '=', 'list.create')
    .where('resource', 'in', lists.length > 0 ? lists.map((l) => `list:${l.id}`) : ['list:none'])
    .execute();
  return { lists: lists.length, audits: audits.length };
}

const expectReplayOf = (first: LightMyRequestResponse, again: LightMyRequestResponse) => {
  expect(again.statusCode, again.body).toBe(201);
  expect(again.headers['idempotent-replayed']).toBe('true');
  expect(again.headers.location).toBe(first.headers.location);
  expect(again.headers.etag).toBe(first.headers.etag);
  expect(again.json()).toEqual(first.json());
};

describe.each(drivers)('Idempotency-Key on creating a list, on $driver', ({ skip, create }) => {
  const h = useHarness({ skip, create });

  it.skipIf(skip)('answers a retry with the first answer and writes one list', async () => {
    const key = randomUUID();
    const first = await createList(h, 'alice', 'Trip', key);
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const keys = await rowCount(h.context.db, 'idempotency_keys');
    expectReplayOf(first, await createList(h, 'alice', 'Trip', `"${key}"`));
    expect(await written(h, 'Trip')).toEqual({ lists: 1, audits: 1 });
    expect(await rowCount(h.context.db, 'idempotency_keys')).toBe(keys);
    // The same key from another person is another key: bob gets a list of his own.
    const bobs = await createList(h, 'bob', 'Trip', key);
    expect(bobs.statusCode).toBe(201);
    expect(bobs.json().id).not.toBe(first.json().id);
  });

  it.skipIf(skip)(
    'refuses a malformed key with 400 naming the field, writing nothing',
    async () => {
      for (const key of ['not a key', '""', 'é']) {
        const refused = await createList(h, 'alice', 'Malformed', key);
        expect(refused.statusCode).toBe(400);
        expect(refused.json().errors).toEqual([
          expect.objectContaining({ field: 'headers.idempotency-key' }),
        ]);
      }
      expect(await written(h, 'Malformed')).toEqual({ lists: 0, audits: 0 });
    },
  );

  it.skipIf(skip)('refuses the key with another request, writing nothing', async () => {
    const key = randomUUID();
    expect((await createList(h, 'alice', 'Books', key)).statusCode).toBe(201);
    const other = await createList(h, 'alice', 'Films', key);
    expect(other.statusCode).toBe(422);
    expect(other.json().code).toBe('idempotency_key_reused');
    expect(await written(h, 'Films')).toEqual({ lists: 0, audits: 0 });
    // One key, one request: a todo's create cannot reuse a list's key.
    const todo = await h.as('alice', {
      method: 'POST',
      url: '/todos/',
      payload: { title: 'Books' },
      headers: { 'idempotency-key': key },
    });
    expect(todo.statusCode).toBe(422);
  });

  it.skipIf(skip)(
    'answers 404 to a retry once the list was deleted, creating nothing',
    async () => {
      const key = randomUUID();
      const first = await createList(h, 'alice', 'Passing', key);
      const deleted = await h.as('alice', { method: 'DELETE', url: `/lists/${first.json().id}` });
      expect(deleted.statusCode).toBe(204);
      const again = await createList(h, 'alice', 'Passing', key);
      expect(again.statusCode).toBe(404);
      expect(again.json().code).toBe('idempotency_key_list_deleted');
      expect(await written(h, 'Passing')).toEqual({ lists: 0, audits: 0 });
      // Sent to a todo's create, the key still names the deleted list, and creates nothing.
      const todo = await h.as('alice', {
        method: 'POST',
        url: '/todos/',
        payload: { title: 'Passing' },
        headers: { 'idempotency-key': key },
      });
      expect(todo.statusCode).toBe(404);
      expect(todo.json().code).toBe('idempotency_key_list_deleted');
      // The stored answer lost the list's name with the list.
      const stored = await h.context.db.kysely
        .selectFrom('idempotency_keys')
        .select('body')
        .where('key', '=', key)
        .executeTakeFirstOrThrow();
      expect(stored.body).not.toContain('Passing');
    },
  );
});

describe('Idempotency-Key on creating a list at the cap', () => {
  const database = useTestDatabase(sqliteDriver);
  const h = suiteFixture(
    false,
    () => startHarness(database.config, { MAX_LISTS_PER_PERSON: '2' }),
    (harness) => harness.close(),
  );

  it('answers a retry of the create that reached the cap, and 409 to a new one', async () => {
    expect((await h.as('alice', { url: '/lists/' })).statusCode).toBe(200);
    const key = randomUUID();
    const first = await createList(h, 'alice', 'Second', key);
    expect(first.statusCode).toBe(201);
    expectReplayOf(first, await createList(h, 'alice', 'Second', key));
    const third = await createList(h, 'alice', 'Third', randomUUID());
    expect(third.statusCode).toBe(409);
    // A key refused by the cap is not used up: nothing was stored under it.
    const keys = await h.context.db.kysely
      .selectFrom('idempotency_keys')
      .select('key')
      .where('sub', '=', alice.sub)
      .execute();
    expect(keys.map((k) => k.key)).toEqual([key]);
  });
});

/**
 * With an external decision point, `POST /lists/` asks it for the new list's actions after the
 * list is written: when it fails then, the answer is 503 though the list exists. A retry with
 * the same key is answered with that list (its actions decided then), never a second list.
 */
describe.each(drivers)('a list created while the decision point fails, on $driver', (driver) => {
  let down = true;
  const pdp = suiteFixture(
    driver.skip,
    async () => {
      const server: Server = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk) => {
          body += chunk;
        });
        req.on('end', () => {
          if (down) {
            res.writeHead(503).end();
            return;
          }
          const asked = JSON.parse(body) as { evaluations?: unknown[] };
          const evaluations = (asked.evaluations ?? [{}]).map(() => ({ decision: true }));
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(asked.evaluations ? { evaluations } : { decision: true }));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
    },
    ({ server }) =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const database = useTestDatabase(driver);
  const h = suiteFixture(
    driver.skip,
    () => startHarness(database.config, { AUTHZ_PDP_URL: pdp.url }),
    (harness) => harness.close(),
  );

  it.skipIf(driver.skip)('answers the retry with the list the failed request wrote', async () => {
    const key = randomUUID();
    down = true;
    const failed = await createList(h, 'alice', 'Holiday', key);
    expect(failed.statusCode).toBe(503);
    down = false;
    const again = await createList(h, 'alice', 'Holiday', key);
    expect(again.statusCode, again.body).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toMatchObject({ name: 'Holiday', relation: 'owner', version: 1 });
    expect(again.json().actions).toContain('can_update');
    expect(again.headers.location).toBe(`/lists/${again.json().id}`);
    expect(await written(h, 'Holiday')).toEqual({ lists: 1, audits: 1 });
  });
});
