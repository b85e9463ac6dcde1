import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  as,
  audited,
  noServerError,
  statuses,
  together,
  useListening,
} from './support/concurrency.js';
import { drivers } from './support/databases.js';
import { useHarness, users } from './support/harness.js';

/**
 * Changes of a list's membership racing each other and the members' writes, as real HTTP
 * requests sent together, on SQLite and PostgreSQL (two instances on PostgreSQL:
 * `cluster-writes.test.ts`). The invariants: every answer is one a serial order of the same
 * requests could give (never a 5xx); what an answer says was written is stored, once, with one
 * audit record, and nothing a refusal answered is.
 */
describe.each(drivers)('membership changes at once, on $driver', ({ skip, create }) => {
  const h = useHarness({ skip, create });
  const node = useListening(h);
  const ROUNDS = 4;
  const bob = users.bob.username as string;
  const bobSub = users.bob.sub as string;

  beforeAll(async () => {
    if (skip) return;
    // bob and carol use the API once, so they can be shared with by name.
    await as(h, node, 'bob', 'GET', '/lists/');
    await as(h, node, 'carol', 'GET', '/lists/');
  });

  async function newList(name: string, relation?: 'editor' | 'viewer'): Promise<string> {
    const made = await as(h, node, 'alice', 'POST', '/lists/', { body: { name } });
    expect(made.status).toBe(201);
    const id = made.body.id as string;
    if (relation) {
      const share = await as(h, node, 'alice', 'PUT', `/lists/${id}/members/${bob}`, {
        body: { relation },
      });
      expect(share.status).toBe(200);
    }
    return id;
  }

  /** bob's memberships of `list`, as stored. */
  async function bobsRows(list: string) {
    return h.context.db.kysely
      .selectFrom('list_members')
      .select('relation')
      .where('list_id', '=', list)
      .where('member_sub', '=', bobSub)
      .execute();
  }

  /** Todos bob wrote into `list`, and their `todo.create` records. */
  async function bobsTodos(list: string) {
    const k = h.context.db.kysely;
    const rows = await k
      .selectFrom('todos')
      .select('id')
      .where('list_id', '=', list)
      .where('owner_sub', '=', bobSub)
      .execute();
    let records = 0;
    for (const { id } of rows) records += await audited(h.context.db, 'todo.create', `todo:${id}`);
    return { todos: rows.length, records };
  }

  it.skipIf(skip)('sharing with one person several times at once: one membership', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const list = await newList(`Twice ${round}`);
      const answers = await together(6, (i) =>
        as(h, node, 'alice', 'PUT', `/lists/${list}/members/${bob}`, {
          body: { relation: i % 2 === 0 ? 'editor' : 'viewer' },
        }),
      );
      expect(statuses(answers)).toEqual({ 200: 6 });
      const rows = await bobsRows(list);
      expect(rows).toHaveLength(1);
      // Each share is a change (as it is one after the other): one record each.
      expect(await audited(h.context.db, 'list.share', `list:${list}`)).toBe(6);
      // What the members say is what the last share answered is not knowable; it is one of them.
      expect(['editor', 'viewer']).toContain(rows[0]?.relation);
    }
  });

  it.skipIf(skip)(
    'one member removed several times at once: one removal, one record, the others 404',
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const list = await newList(`Removed ${round}`, 'editor');
        const answers = await together(4, () =>
          as(h, node, 'alice', 'DELETE', `/lists/${list}/members/${bob}`),
        );
        noServerError(answers);
        // As one after the other: the first removes bob, the rest find him no member.
        expect(statuses(answers)).toEqual({ 204: 1, 404: 3 });
        expect(await bobsRows(list)).toHaveLength(0);
        expect(await audited(h.context.db, 'list.unshare', `list:${list}`)).toBe(1);
      }
    },
  );

  it.skipIf(skip)(
    'a member leaving while the owner removes them: one of the two, one record',
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const list = await newList(`Leave ${round}`, 'viewer');
        const [leave, removal] = await Promise.all([
          as(h, node, 'bob', 'DELETE', `/lists/${list}/members/${bob}`),
          as(h, node, 'alice', 'DELETE', `/lists/${list}/members/${bob}`),
        ]);
        noServerError([leave, removal]);
        expect([leave.status, removal.status].sort()).toEqual([204, 404]);
        const leaves = await audited(h.context.db, 'list.leave', `list:${list}`);
        const removals = await audited(h.context.db, 'list.unshare', `list:${list}`);
        expect({ leaves, removals }).toEqual({
          leaves: leave.status === 204 ? 1 : 0,
          removals: removal.status === 204 ? 1 : 0,
        });
      }
    },
  );

  it.skipIf(skip)(
    "a member's writes racing their removal: each 201 stored with its record, none after",
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const list = await newList(`Writes ${round}`, 'editor');
        const writes = Array.from({ length: 6 }, (_, i) =>
          as(h, node, 'bob', 'POST', `/lists/${list}/todos/`, { body: { title: `w${i}` } }),
        );
        const removal = await as(h, node, 'alice', 'DELETE', `/lists/${list}/members/${bob}`);
        const after = await as(h, node, 'bob', 'POST', `/lists/${list}/todos/`, {
          body: { title: 'after' },
        });
        const answers = await Promise.all(writes);
        noServerError(answers);
        expect(removal.status).toBe(204);
        expect(after.status).toBe(404);
        for (const a of answers) expect([201, 404]).toContain(a.status);
        const created = answers.filter((a) => a.status === 201).length;
        expect(await bobsTodos(list)).toEqual({ todos: created, records: created });
      }
    },
  );

  it.skipIf(skip)(
    "a member's writes racing their change to viewer: each 201 stored with its record, 403 after",
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const list = await newList(`Narrowed ${round}`, 'editor');
        const writes = Array.from({ length: 6 }, (_, i) =>
          as(h, node, 'bob', 'POST', '/todos/', { body: { title: `n${i}`, listId: list } }),
        );
        const change = await as(h, node, 'alice', 'PUT', `/lists/${list}/members/${bob}`, {
          body: { relation: 'viewer' },
        });
        const after = await as(h, node, 'bob', 'POST', '/todos/', {
          body: { title: 'after', listId: list },
        });
        const answers = await Promise.all(writes);
        noServerError(answers);
        expect(change.status).toBe(200);
        expect(after.status).toBe(403);
        for (const a of answers) expect([201, 403]).toContain(a.status);
        const created = answers.filter((a) => a.status === 201).length;
        expect(await bobsTodos(list)).toEqual({ todos: created, records: created });
      }
    },
  );

  it.skipIf(skip)(
    'keyed todos sent into a list deleted meanwhile: no orphan todo, no key answering a deleted one',
    async () => {
      const k = h.context.db.kysely;
      for (let round = 0; round < ROUNDS; round++) {
        const list = await newList(`Doomed ${round}`, 'editor');
        const keys = Array.from({ length: 6 }, () => randomUUID());
        const send = (key: string, i: number) =>
          as(h, node, 'bob', 'POST', `/lists/${list}/todos/`, {
            body: { title: `d${i}` },
            headers: { 'idempotency-key': key },
          });
        const [deleted, ...answers] = await Promise.all([
          as(h, node, 'alice', 'DELETE', `/lists/${list}`),
          ...keys.map(send),
        ]);
        noServerError(answers);
        expect(deleted?.status).toBe(204);
        for (const a of answers) expect([201, 404]).toContain(a.status);
        const { rows } = await sql<{ n: number | string }>`
          select count(*) as n from todos t
          where not exists (select 1 from lists l where l.id = t.list_id)`.execute(k);
        expect(Number(rows[0]?.n)).toBe(0);
        // A retry of each: a todo created then deleted with its list is 404 (the list is gone,
        // decided before the key is read), never replayed nor created again.
        const retries = await Promise.all(keys.map(send));
        for (const retry of retries) expect(retry).toMatchObject({ status: 404 });
        const { rows: kept } = await sql<{ n: number | string }>`
          select count(*) as n from idempotency_keys k
          where k.body <> '' and k.location like '/todos/%'
            and not exists (select 1 from todos t where '/todos/' || t.id = k.location)`.execute(k);
        expect(Number(kept[0]?.n)).toBe(0);
      }
    },
  );
});
