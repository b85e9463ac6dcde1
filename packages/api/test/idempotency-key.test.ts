import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { fingerprintOf } from '../src/todos/idempotency.js';
import { drivers, rowCount } from './support/databases.js';
import { type Harness, type UserName, useHarness, users } from './support/harness.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The rows a create writes: todos, their audit records, and stored keys. */
async function counts(h: Harness) {
  const { db } = h.context;
  const audits = await db.kysely
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('action', '=', 'todo.create')
    .executeTakeFirstOrThrow();
  return {
    todos: await rowCount(db, 'todos'),
    audits: Number(audits.n),
    keys: await rowCount(db, 'idempotency_keys'),
  };
}

/** A POST that creates a todo, with `key` as the `Idempotency-Key` field's value when given. */
function post(
  h: Harness,
  user: UserName,
  url: string,
  payload: object,
  key?: string | string[],
): Promise<LightMyRequestResponse> {
  return h.as(user, {
    method: 'POST',
    url,
    payload,
    ...(key !== undefined && { headers: { 'idempotency-key': key as string } }),
  });
}

/** A list of alice's shared with bob as `relation` (bob known to the API by a write). */
async function sharedList(h: Harness, relation: 'editor' | 'viewer'): Promise<string> {
  await post(h, 'bob', '/todos/', { title: 'bob is known' });
  const list = (
    await h.as('alice', { method: 'POST', url: '/lists/', payload: { name: 'Home' } })
  ).json().id as string;
  const shared = await h.as('alice', {
    method: 'PUT',
    url: `/lists/${list}/members/bob`,
    payload: { relation },
  });
  expect(shared.statusCode).toBe(200);
  return list;
}

describe.each(drivers)('Idempotency-Key on creating a todo, on $driver', ({ skip, create }) => {
  const h = useHarness({ skip, create });

  it.skipIf(skip)(
    'answers a retry with the first answer and writes one todo, one audit record, one key',
    async () => {
      const key = `"${randomUUID()}"`;
      const before = await counts(h);
      const first = await post(h, 'alice', '/todos/', { title: 'Buy milk' }, key);
      expect(first.statusCode).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const again = await post(h, 'alice', '/todos/', { title: 'Buy milk' }, key);
      expect(again.statusCode).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toBe(first.body);
      expect(again.headers.location).toBe(first.headers.location);
      expect(again.headers.etag).toBe(first.headers.etag);
      expect(again.headers.etag).toBe('"1"');
      // The same characters unquoted (as Stripe-style clients send them) are the same key.
      const bare = await post(h, 'alice', '/todos/', { title: 'Buy milk' }, key.slice(1, -1));
      expect(bare.headers['idempotent-replayed']).toBe('true');
      expect(bare.json()).toEqual(first.json());
      const after = await counts(h);
      expect(after).toEqual({
        todos: before.todos + 1,
        audits: before.audits + 1,
        keys: before.keys + 1,
      });
    },
  );

  it.skipIf(skip)('answers the stored todo even after it changed', async () => {
    const key = randomUUID();
    const first = await post(h, 'alice', '/todos/', { title: 'Old' }, key);
    const { id } = first.json();
    await h.as('alice', { method: 'PATCH', url: `/todos/${id}`, payload: { title: 'New' } });
    const again = await post(h, 'alice', '/todos/', { title: 'Old' }, key);
    expect(again.json()).toEqual(first.json());
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  /** alice's stored answers whose text holds `marker`. */
  const keptText = async (marker: string) =>
    (
      await h.context.db.kysely
        .selectFrom('idempotency_keys')
        .select(['body', 'fingerprint'])
        .where('sub', '=', users.alice.sub as string)
        .execute()
    ).filter((row) => row.body.includes(marker));

  it.skipIf(skip)(
    'forgets a deleted todo’s text and answers its key 404, creating nothing again',
    async () => {
      const key = randomUUID();
      const payload = { title: 'Gift for bob', description: 'the secret one' };
      const first = await post(h, 'alice', '/todos/', payload, key);
      const { id } = first.json();
      expect(await keptText('secret one')).toHaveLength(1);
      const deleted = await h.as('alice', { method: 'DELETE', url: `/todos/${id}` });
      expect(deleted.statusCode).toBe(204);
      // Deleted is deleted: the key's stored answer no longer holds the todo's text.
      expect(await keptText('secret one')).toEqual([]);
      const before = await counts(h);
      // The retry is neither answered with the deleted todo (a ghost) nor creates it again.
      const again = await post(h, 'alice', '/todos/', payload, key);
      expect(again.statusCode).toBe(404);
      expect(again.json()).toMatchObject({
        code: 'idempotency_key_todo_deleted',
        detail: /deleted/,
      });
      expect(again.body).not.toContain('secret one');
      expect(again.headers['idempotent-replayed']).toBeUndefined();
      expect(await counts(h)).toEqual(before);
    },
  );

  it.skipIf(skip)('forgets the text of the todos of a deleted list', async () => {
    const list = (
      await h.as('alice', { method: 'POST', url: '/lists/', payload: { name: 'Surprise' } })
    ).json().id as string;
    const created = await post(
      h,
      'alice',
      `/lists/${list}/todos/`,
      { title: 'Party', description: 'hidden plan' },
      randomUUID(),
    );
    expect(created.statusCode).toBe(201);
    const untouched = await post(h, 'alice', '/todos/', { title: 'keep the plan' }, randomUUID());
    expect(await keptText('plan')).toHaveLength(2);
    const removed = await h.as('alice', { method: 'DELETE', url: `/lists/${list}` });
    expect(removed.statusCode).toBe(204);
    const kept = await keptText('plan');
    expect(kept).toHaveLength(1);
    expect(kept[0]?.body).toContain(untouched.json().id);
  });

  it.skipIf(skip)(
    'takes /todos/ naming a list and /lists/{id}/todos/ with the same fields as one request',
    async () => {
      const list = (
        await h.as('alice', { method: 'POST', url: '/lists/', payload: { name: 'Shop' } })
      ).json().id as string;
      const key = randomUUID();
      const before = await counts(h);
      const payload = { title: 'Eggs', description: null, completed: false };
      const first = await post(h, 'alice', `/lists/${list}/todos/`, payload, key);
      expect(first.statusCode).toBe(201);
      const viaTodos = await post(h, 'alice', '/todos/', { title: 'Eggs', listId: list }, key);
      expect(viaTodos.statusCode).toBe(201);
      expect(viaTodos.headers['idempotent-replayed']).toBe('true');
      expect(viaTodos.json()).toEqual(first.json());
      // Both routes answer a new todo with its Location and its ETag, and the replay with both.
      expect(viaTodos.headers.location).toBe(first.headers.location);
      expect(first.headers.etag).toBe('"1"');
      expect(viaTodos.headers.etag).toBe('"1"');
      expect((await counts(h)).todos).toBe(before.todos + 1);
      // The default list named by its id is the same request as one naming no list.
      const other = randomUUID();
      const unnamed = await post(h, 'alice', '/todos/', { title: 'Bread' }, other);
      const named = await post(
        h,
        'alice',
        `/lists/${unnamed.json().listId}/todos/`,
        { title: 'Bread' },
        other,
      );
      expect(named.headers['idempotent-replayed']).toBe('true');
      expect(named.json()).toEqual(unnamed.json());
    },
  );

  it.skipIf(skip)('refuses the same key with another request: 422, nothing written', async () => {
    const key = randomUUID();
    await post(h, 'alice', '/todos/', { title: 'One' }, key);
    const before = await counts(h);
    for (const payload of [
      { title: 'Two' },
      { title: 'One', completed: true },
      { title: 'One', description: 'more' },
    ]) {
      const reused = await post(h, 'alice', '/todos/', payload, key);
      expect(reused.statusCode).toBe(422);
      expect(reused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(reused.json()).toMatchObject({
        status: 422,
        code: 'idempotency_key_reused',
        detail: expect.stringContaining('Idempotency-Key'),
      });
    }
    expect(await counts(h)).toEqual(before);
  });

  it.skipIf(skip)('keeps one person’s key from another’s: the same key is a new todo', async () => {
    const key = randomUUID();
    const byAlice = await post(h, 'alice', '/todos/', { title: 'Same' }, key);
    const byBob = await post(h, 'bob', '/todos/', { title: 'Same' }, key);
    expect(byBob.statusCode).toBe(201);
    expect(byBob.headers['idempotent-replayed']).toBeUndefined();
    expect(byBob.json().id).not.toBe(byAlice.json().id);
    const aliceAgain = await post(h, 'alice', '/todos/', { title: 'Same' }, key);
    expect(aliceAgain.headers['idempotent-replayed']).toBe('true');
    expect(aliceAgain.json().id).toBe(byAlice.json().id);
    // Another body under bob's copy of the key is bob's 422, not alice's answer.
    const other = await post(h, 'carol', '/todos/', { title: 'Different' }, key);
    expect(other.statusCode).toBe(201);
  });

  it.skipIf(skip)(
    'refuses a key longer than 255 characters with a 400 naming the header and its limit',
    async () => {
      const before = await counts(h);
      const limit = 'is longer than 255 characters (quotes not counted), the most this API takes';
      for (const key of ['k'.repeat(256), `"${'k'.repeat(256)}"`, 'k'.repeat(4000)]) {
        for (const url of ['/todos/', `/lists/${randomUUID()}/todos/`]) {
          const refused = await post(h, 'alice', url, { title: 'Refused' }, key);
          expect(refused.statusCode, key.length.toString()).toBe(400);
          expect(refused.json()).toMatchObject({
            code: 'validation_failed',
            detail: `idempotency-key ${limit}`,
            errors: [{ field: 'headers.idempotency-key', message: limit }],
          });
        }
        const list = await h.as('alice', {
          method: 'POST',
          url: '/lists/',
          payload: { name: 'Refused' },
          headers: { 'idempotency-key': key },
        });
        expect(list.statusCode).toBe(400);
        expect(list.json().errors).toEqual([{ field: 'headers.idempotency-key', message: limit }]);
      }
      // A key of the right length but a character refused is told its syntax, not its length.
      const spaced = await post(h, 'alice', '/todos/', { title: 'Refused' }, 'k '.repeat(100));
      expect(spaced.json().errors[0].message).toMatch(/^must be one string of 1 to 255/);
      expect(await counts(h)).toEqual(before);
    },
  );

  it.skipIf(skip)(
    'refuses an empty, long, badly written or repeated key: 400 naming it, nothing written',
    async () => {
      const before = await counts(h);
      const bad = [
        '',
        '""',
        'x'.repeat(256),
        `"${'x'.repeat(256)}"`,
        'has space',
        '"quote"inside"',
        'back\\slash',
        '"unterminated',
        'caf\u00e9',
        ['same', 'same'],
        ['"a"', '"b"'],
      ];
      for (const key of bad) {
        const refused = await post(h, 'alice', '/todos/', { title: 'Refused' }, key);
        expect(refused.statusCode, JSON.stringify(key)).toBe(400);
        expect(refused.json()).toMatchObject({
          code: 'validation_failed',
          errors: [{ field: 'headers.idempotency-key' }],
        });
        const list = await post(h, 'alice', `/lists/${randomUUID()}/todos/`, { title: 'R' }, key);
        expect(list.statusCode, JSON.stringify(key)).toBe(400);
      }
      expect(await counts(h)).toEqual(before);
      // The longest key and every character allowed are taken.
      for (const key of [
        'k'.repeat(255),
        `"${'k'.repeat(255)}"`,
        "!#$%&'()*+,-./:;<=>?@[]^_`{|}~",
      ]) {
        expect((await post(h, 'alice', '/todos/', { title: 'Fine' }, key)).statusCode).toBe(201);
      }
    },
  );

  it.skipIf(skip)('stores nothing for a refused create: a retry is processed afresh', async () => {
    const list = await sharedList(h, 'viewer');
    const key = randomUUID();
    const refused = await post(h, 'bob', `/lists/${list}/todos/`, { title: 'Mine' }, key);
    expect(refused.statusCode).toBe(403);
    const viaTodos = await post(h, 'bob', '/todos/', { title: 'Mine', listId: list }, key);
    expect(viaTodos.statusCode).toBe(403);
    await h.as('alice', {
      method: 'PUT',
      url: `/lists/${list}/members/bob`,
      payload: { relation: 'editor' },
    });
    // Refused after authorization (a blank title): nothing stored either.
    const blank = await post(h, 'bob', `/lists/${list}/todos/`, { title: ' ' }, key);
    expect(blank.statusCode).toBe(400);
    const retried = await post(h, 'bob', `/lists/${list}/todos/`, { title: 'Mine' }, key);
    expect(retried.statusCode).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    // Stored by the success only: the next retry is its replay.
    const replayed = await post(h, 'bob', `/lists/${list}/todos/`, { title: 'Mine' }, key);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.json()).toEqual(retried.json());
  });

  it.skipIf(skip)('authorizes a replay first: a member removed since gets no answer', async () => {
    const list = await sharedList(h, 'editor');
    const key = randomUUID();
    const first = await post(h, 'bob', `/lists/${list}/todos/`, { title: 'Mine' }, key);
    expect(first.statusCode).toBe(201);
    const whileMember = await post(h, 'bob', `/lists/${list}/todos/`, { title: 'Mine' }, key);
    expect(whileMember.headers['idempotent-replayed']).toBe('true');
    await h.as('alice', { method: 'DELETE', url: `/lists/${list}/members/bob` });
    const again = await post(h, 'bob', `/lists/${list}/todos/`, { title: 'Mine' }, key);
    expect(again.statusCode).toBe(404);
    expect(again.body).not.toContain(first.json().id);
    const viaTodos = await post(h, 'bob', '/todos/', { title: 'Mine', listId: list }, key);
    expect(viaTodos.statusCode).toBe(404);
  });

  it.skipIf(skip)(
    'forgets the text of a todo whose create commits while its list is being deleted',
    async (context) => {
      // SQLite's transactions hold the write lock from their start: no delete runs meanwhile.
      if (h.context.db.dialect !== 'postgres') context.skip();
      const list = (
        await h.as('alice', { method: 'POST', url: '/lists/', payload: { name: 'Racing' } })
      ).json().id as string;
      const key = randomUUID();
      const id = randomUUID();
      const at = new Date().toISOString();
      let release: () => void = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let inserted: () => void = () => {};
      const ready = new Promise<void>((resolve) => {
        inserted = resolve;
      });
      // A keyed create in the list, its transaction open (as the API's: key and todo together).
      const create = h.context.db.kysely.transaction().execute(async (tx) => {
        await tx
          .insertInto('idempotency_keys')
          .values({
            issuer: h.idp.issuer,
            sub: users.alice.sub as string,
            // The harness's tokens are the web app's (`azp` todo-ui): the same client's key.
            client_id: 'todo-ui',
            key,
            fingerprint: 'f',
            status: 201,
            body: JSON.stringify({ id, title: 'late plan' }),
            location: `/todos/${id}`,
            etag: null,
            created_at: at,
          })
          .execute();
        await tx
          .insertInto('todos')
          .values({
            id,
            list_id: list,
            owner_issuer: h.idp.issuer,
            owner_sub: users.alice.sub as string,
            title: 'late plan',
            description: null,
            completed: h.context.db.bool(false),
            created_at: at,
            updated_at: at,
            version: 1,
          })
          .execute();
        inserted();
        await released;
      });
      await ready;
      const removal = h.as('alice', { method: 'DELETE', url: `/lists/${list}` });
      await new Promise((resolve) => setTimeout(resolve, 300));
      release();
      await create;
      expect((await removal).statusCode).toBe(204);
      expect(await keptText('late plan')).toEqual([]);
    },
  );

  it.skipIf(skip)(
    'forgets a key after a day: it counts as new, and the sweep deletes it',
    async () => {
      const key = randomUUID();
      const { kysely } = h.context.db;
      const stored = kysely
        .selectFrom('idempotency_keys')
        .select('fingerprint')
        .where('sub', '=', users.carol.sub)
        .where('key', '=', key);
      // Tokens expire long before a day: the stored record is made older instead of the clock.
      const storedAgo = (ms: number) =>
        kysely
          .updateTable('idempotency_keys')
          .set({ created_at: new Date(Date.now() - ms).toISOString() })
          .where('sub', '=', users.carol.sub)
          .where('key', '=', key)
          .execute();
      const first = await post(h, 'carol', '/todos/', { title: 'Day one' }, key);
      await storedAgo(DAY_MS - 60_000);
      const sameDay = await post(h, 'carol', '/todos/', { title: 'Day two' }, key);
      expect(sameDay.statusCode).toBe(422);
      await storedAgo(DAY_MS + 60_000);
      const nextDay = await post(h, 'carol', '/todos/', { title: 'Day two' }, key);
      expect(nextDay.statusCode).toBe(201);
      expect(nextDay.headers['idempotent-replayed']).toBeUndefined();
      expect(nextDay.json().id).not.toBe(first.json().id);
      // The expired record was taken over by the new request's.
      const replay = await post(h, 'carol', '/todos/', { title: 'Day two' }, key);
      expect(replay.json()).toEqual(nextDay.json());
      expect(await stored.execute()).toHaveLength(1);
      // The periodic sweep (the revocations' reload, which prunes what expired) deletes it.
      await storedAgo(DAY_MS + 60_000);
      await h.context.revocations.reload();
      expect(await stored.execute()).toHaveLength(0);
    },
  );

  it.skipIf(skip)(
    'creates one todo for ten simultaneous requests with one key, over real HTTP',
    async () => {
      const address = await h.app.listen({ host: '127.0.0.1', port: 0 });
      const key = `"${randomUUID()}"`;
      const before = await counts(h);
      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          fetch(`${address}/todos/`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${h.tokens.alice}`,
              'content-type': 'application/json',
              'idempotency-key': key,
            },
            body: JSON.stringify({ title: 'Only once' }),
          }).then(async (r) => ({
            status: r.status,
            replayed: r.headers.get('idempotent-replayed'),
            body: (await r.json()) as { id?: string; code?: string },
          })),
        ),
      );
      const created = answers.filter((a) => a.status === 201);
      expect(created.filter((a) => a.replayed === null)).toHaveLength(1);
      expect(new Set(created.map((a) => a.body.id)).size).toBe(1);
      for (const a of answers.filter((x) => x.status !== 201))
        expect(a).toMatchObject({ status: 409, body: { code: 'idempotency_key_in_use' } });
      expect(await counts(h)).toEqual({
        todos: before.todos + 1,
        audits: before.audits + 1,
        keys: before.keys + 1,
      });
    },
  );

  it.skipIf(skip)(
    'waits for a create in flight with the key: its answer once it commits, a fresh create if it rolls back',
    async () => {
      const { listId } = (await post(h, 'bob', '/todos/', { title: 'Where' })).json();
      const request = { title: 'In flight' };
      for (const commit of [true, false]) {
        const key = randomUUID();
        const at = new Date().toISOString();
        const inFlight = {
          id: randomUUID(),
          listId,
          title: request.title,
          description: null,
          completed: false,
          createdAt: at,
          updatedAt: at,
          version: 1,
        };
        // Counted first: on SQLite the open transaction below holds the one connection.
        const before = await counts(h);
        let release: (commit: boolean) => void = () => {};
        const decided = new Promise<boolean>((resolve) => {
          release = resolve;
        });
        let claimed: () => void = () => {};
        const ready = new Promise<void>((resolve) => {
          claimed = resolve;
        });
        // Another request's transaction holding the key, not committed yet.
        const other = h.context.db.kysely
          .transaction()
          .execute(async (tx) => {
            await tx
              .insertInto('idempotency_keys')
              .values({
                issuer: h.idp.issuer,
                sub: users.bob.sub as string,
                client_id: 'todo-ui',
                key,
                fingerprint: fingerprintOf({ ...request, listId }),
                status: 201,
                body: JSON.stringify(inFlight),
                location: `/todos/${inFlight.id}`,
                etag: '"1"',
                created_at: new Date().toISOString(),
              })
              .execute();
            claimed();
            if (!(await decided)) throw new Error('rolled back');
          })
          .catch(() => {});
        await ready;
        const answer = post(h, 'bob', '/todos/', request, key);
        await new Promise((resolve) => setTimeout(resolve, 200));
        release(commit);
        const res = await answer;
        expect(res.statusCode).toBe(201);
        if (commit) {
          expect(res.headers['idempotent-replayed']).toBe('true');
          expect(res.json()).toEqual(inFlight);
          expect((await counts(h)).todos).toBe(before.todos);
        } else {
          expect(res.headers['idempotent-replayed']).toBeUndefined();
          expect(res.json().id).not.toBe(inFlight.id);
          expect((await counts(h)).todos).toBe(before.todos + 1);
        }
        await other;
      }
    },
  );

  it.skipIf(skip)('leaves the other routes alone: they ignore the field', async () => {
    const { id } = (await post(h, 'alice', '/todos/', { title: 'Plain' })).json();
    const headers = { 'idempotency-key': 'not a key' };
    const patched = await h.as('alice', {
      method: 'PATCH',
      url: `/todos/${id}`,
      payload: { completed: true },
      headers,
    });
    expect(patched.statusCode).toBe(200);
    const list = await h.as('alice', { method: 'POST', url: '/lists/', payload: { name: 'Key' } });
    const renamed = await h.as('alice', {
      method: 'PATCH',
      url: `/lists/${list.json().id}`,
      payload: { name: 'Keyless' },
      headers,
    });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.headers['idempotent-replayed']).toBeUndefined();
  });

  it.skipIf(skip)(
    'lets a browser origin send the key and read Idempotent-Replayed (CORS)',
    async () => {
      const origin = 'http://localhost:3000';
      const preflight = await h.app.inject({
        method: 'OPTIONS',
        url: '/todos/',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type, idempotency-key',
        },
      });
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(origin);
      const allowed = String(preflight.headers['access-control-allow-headers']).split(',');
      expect(allowed.map((h) => h.trim().toLowerCase())).toContain('idempotency-key');
      const created = await h.as('alice', {
        method: 'POST',
        url: '/todos/',
        payload: { title: 'From the browser' },
        headers: { origin, 'idempotency-key': randomUUID() },
      });
      const exposed = String(created.headers['access-control-expose-headers']).split(',');
      expect(exposed.map((h) => h.trim().toLowerCase())).toContain('idempotent-replayed');
    },
  );
});
