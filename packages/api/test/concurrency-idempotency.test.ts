import { randomUUID } from 'node:crypto';
import type { TestUser } from '@todo-sso/auth/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Answer, send } from './support/cluster.js';
import {
  as,
  audited,
  noServerError,
  statuses,
  together,
  useListening,
} from './support/concurrency.js';
import { drivers, rowCount } from './support/databases.js';
import { useHarness } from './support/harness.js';

/**
 * One `Idempotency-Key` sent by several requests at once, over real HTTP, on SQLite and
 * PostgreSQL: whatever the interleaving, exactly one row is created with one audit record and
 * one stored key; every other answer is the first one replayed (`Idempotent-Replayed: true`,
 * the same id) or 409 `idempotency_key_in_use` (README, "Retrying a create"), never a second
 * row or a 5xx. Several rounds, each with a new key.
 */
describe.each(drivers)('one Idempotency-Key sent at once, on $driver', ({ skip, create }) => {
  const h = useHarness({ skip, create });
  const node = useListening(h);
  const ROUNDS = 4;
  const AT_ONCE = 8;
  let list: string;

  beforeAll(async () => {
    if (skip) return;
    await as(h, node, 'bob', 'GET', '/lists/');
    const made = await as(h, node, 'alice', 'POST', '/lists/', { body: { name: 'Keys' } });
    list = made.body.id as string;
    const share = await as(h, node, 'alice', 'PUT', `/lists/${list}/members/bob`, {
      body: { relation: 'editor' },
    });
    expect(share.status).toBe(200);
  });

  /** Todos, `todo.create` records and stored keys. */
  async function counts() {
    const { db } = h.context;
    return {
      todos: await rowCount(db, 'todos'),
      audits: await audited(db, 'todo.create'),
      keys: await rowCount(db, 'idempotency_keys'),
    };
  }

  /** Exactly one answer created the row; the others replayed it or were told to retry. */
  function oneCreated(answers: readonly Answer[], kind = 'todo') {
    noServerError(answers);
    const fresh = answers.filter((a) => a.status === 201 && !a.headers.has('idempotent-replayed'));
    expect(fresh, JSON.stringify(statuses(answers))).toHaveLength(1);
    const id = fresh[0]?.body.id;
    for (const a of answers) {
      if (a.status === 201) {
        expect(a.body.id).toBe(id);
        expect(a.headers.get('location')).toBe(`/${kind}s/${id}`);
        continue;
      }
      expect(a).toMatchObject({ status: 409, body: { code: 'idempotency_key_in_use' } });
    }
    return id as string;
  }

  it.skipIf(skip)(
    'POST /lists/{id}/todos/ by a member: one todo, one record, one key per key',
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const before = await counts();
        const key = randomUUID();
        const answers = await together(AT_ONCE, () =>
          as(h, node, 'bob', 'POST', `/lists/${list}/todos/`, {
            body: { title: `keyed ${round}` },
            headers: { 'idempotency-key': key },
          }),
        );
        const id = oneCreated(answers);
        expect(await counts()).toEqual({
          todos: before.todos + 1,
          audits: before.audits + 1,
          keys: before.keys + 1,
        });
        expect(await audited(h.context.db, 'todo.create', `todo:${id}`)).toBe(1);
        // A retry now, once nothing is in flight, is the first answer.
        const retry = await as(h, node, 'bob', 'POST', `/lists/${list}/todos/`, {
          body: { title: `keyed ${round}` },
          headers: { 'idempotency-key': key },
        });
        expect(retry.status).toBe(201);
        expect(retry.headers.get('idempotent-replayed')).toBe('true');
        expect(retry.body.id).toBe(id);
      }
    },
  );

  it.skipIf(skip)(
    'the same create through POST /todos/ naming the list and POST /lists/{id}/todos/ at once: one todo',
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const before = await counts();
        const key = randomUUID();
        const headers = { 'idempotency-key': key };
        const answers = await together(AT_ONCE, (i) =>
          i % 2 === 0
            ? as(h, node, 'bob', 'POST', '/todos/', {
                body: { title: `either ${round}`, listId: list },
                headers,
              })
            : as(h, node, 'bob', 'POST', `/lists/${list}/todos/`, {
                body: { title: `either ${round}` },
                headers,
              }),
        );
        oneCreated(answers);
        expect(await counts()).toEqual({
          todos: before.todos + 1,
          audits: before.audits + 1,
          keys: before.keys + 1,
        });
      }
    },
  );

  it.skipIf(skip)(
    'one key with different todos at once: one of them is created, the others 422 or 409',
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const before = await counts();
        const key = randomUUID();
        const answers = await together(AT_ONCE, (i) =>
          as(h, node, 'bob', 'POST', `/lists/${list}/todos/`, {
            body: { title: `variant ${round}.${i}` },
            headers: { 'idempotency-key': key },
          }),
        );
        noServerError(answers);
        const created = answers.filter((a) => a.status === 201);
        expect(created, JSON.stringify(statuses(answers))).toHaveLength(1);
        expect(created[0]?.headers.has('idempotent-replayed')).toBe(false);
        for (const a of answers.filter((x) => x.status !== 201))
          expect(['idempotency_key_reused', 'idempotency_key_in_use']).toContain(a.body.code);
        expect(await counts()).toEqual({
          todos: before.todos + 1,
          audits: before.audits + 1,
          keys: before.keys + 1,
        });
      }
    },
  );

  it.skipIf(skip)('POST /todos/ by a newcomer, whose default list does not exist yet', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const newcomer: TestUser = {
        sub: randomUUID(),
        username: `newcomer-${round}-${randomUUID().slice(0, 8)}`,
        roles: ['user'],
        permissions: ['todos:read', 'todos:write'],
      };
      const token = await h.idp.accessToken(newcomer);
      const before = await counts();
      const key = randomUUID();
      const answers = await together(AT_ONCE, () =>
        send(node, 'POST', '/todos/', {
          token,
          body: { title: 'first of all' },
          headers: { 'idempotency-key': key },
        }),
      );
      oneCreated(answers);
      expect(await counts()).toEqual({
        todos: before.todos + 1,
        audits: before.audits + 1,
        keys: before.keys + 1,
      });
      const lists = await send(node, 'GET', '/lists/', { token });
      expect(lists.body).toHaveLength(1);
    }
  });

  it.skipIf(skip)('POST /lists/: one list, one record, one key per key', async () => {
    const { db } = h.context;
    for (let round = 0; round < ROUNDS; round++) {
      const before = {
        lists: await rowCount(db, 'lists'),
        audits: await audited(db, 'list.create'),
        keys: await rowCount(db, 'idempotency_keys'),
      };
      const key = randomUUID();
      const answers = await together(AT_ONCE, () =>
        as(h, node, 'alice', 'POST', '/lists/', {
          body: { name: `Keyed list ${round}` },
          headers: { 'idempotency-key': key },
        }),
      );
      const id = oneCreated(answers, 'list');
      expect({
        lists: await rowCount(db, 'lists'),
        audits: await audited(db, 'list.create'),
        keys: await rowCount(db, 'idempotency_keys'),
      }).toEqual({ lists: before.lists + 1, audits: before.audits + 1, keys: before.keys + 1 });
      expect(await audited(db, 'list.create', `list:${id}`)).toBe(1);
    }
  });
});
