import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Answer, type Node, peopleTokens, send, useCluster } from './support/cluster.js';
import { audited, noServerError, statuses } from './support/concurrency.js';
import { drivers, rowCount, useTestDatabase } from './support/databases.js';
import { useIssuer } from './support/harness.js';

/**
 * The same races as the single-instance concurrency suites, spread over two API instances on
 * one PostgreSQL database (as behind a load balancer), each with its own pool: one
 * `Idempotency-Key` at both, a member's writes while their relation changes at the other, and
 * one removal sent to both. What holds within one process must hold across them: the database
 * decides, never a process's memory.
 */
const postgres = drivers.find((d) => d.driver === 'postgres') as (typeof drivers)[number];
const { skip } = postgres;

describe.skipIf(skip)('races spread over two instances on one PostgreSQL', () => {
  const database = useTestDatabase(postgres);
  const idp = useIssuer(skip, { profile: 'keycloak' });
  const nodes = useCluster(skip, idp, database);
  let tokens: Awaited<ReturnType<typeof peopleTokens>>;
  const node = (i: number) => nodes[i % 2] as Node;
  const ROUNDS = 4;

  beforeAll(async () => {
    tokens = await peopleTokens(idp);
    for (const token of Object.values(tokens)) await send(node(0), 'GET', '/lists/', { token });
  });

  async function sharedList(relation: 'editor' | 'viewer'): Promise<string> {
    const list = await send(node(0), 'POST', '/lists/', {
      token: tokens.alice,
      body: { name: 'C' },
    });
    const id = list.body.id as string;
    const share = await send(node(1), 'PUT', `/lists/${id}/members/bob`, {
      token: tokens.alice,
      body: { relation },
    });
    expect(share.status).toBe(200);
    return id;
  }

  /** One answer created the row, the others replayed it or were told to retry. */
  function oneCreated(answers: readonly Answer[]): void {
    noServerError(answers);
    const fresh = answers.filter((a) => a.status === 201 && !a.headers.has('idempotent-replayed'));
    expect(fresh, JSON.stringify(statuses(answers))).toHaveLength(1);
    for (const a of answers) {
      if (a.status === 201) expect(a.body.id).toBe(fresh[0]?.body.id);
      else expect(a).toMatchObject({ status: 409, body: { code: 'idempotency_key_in_use' } });
    }
  }

  it('one Idempotency-Key at both instances: one todo, one list, one record each', async () => {
    const { db } = node(0).instance.context;
    const list = await sharedList('editor');
    for (let round = 0; round < ROUNDS; round++) {
      const before = {
        todos: await rowCount(db, 'todos'),
        lists: await rowCount(db, 'lists'),
        records: (await audited(db, 'todo.create')) + (await audited(db, 'list.create')),
      };
      const [todoKey, listKey] = [randomUUID(), randomUUID()];
      const todos = Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          send(node(i), 'POST', `/lists/${list}/todos/`, {
            token: tokens.bob,
            body: { title: `both ${round}` },
            headers: { 'idempotency-key': todoKey },
          }),
        ),
      );
      const lists = Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          send(node(i), 'POST', '/lists/', {
            token: tokens.alice,
            body: { name: `Both ${round}` },
            headers: { 'idempotency-key': listKey },
          }),
        ),
      );
      oneCreated(await todos);
      oneCreated(await lists);
      expect({
        todos: await rowCount(db, 'todos'),
        lists: await rowCount(db, 'lists'),
        records: (await audited(db, 'todo.create')) + (await audited(db, 'list.create')),
      }).toEqual({ todos: before.todos + 1, lists: before.lists + 1, records: before.records + 2 });
    }
  });

  it("a member's changes of todos at one instance while made viewer at the other", async () => {
    const { db } = node(0).instance.context;
    for (let round = 0; round < ROUNDS; round++) {
      const list = await sharedList('editor');
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const made = await send(node(0), 'POST', `/lists/${list}/todos/`, {
          token: tokens.alice,
          body: { title: `t${i}` },
        });
        ids.push(made.body.id as string);
      }
      const patches = ids.map((id) =>
        send(node(0), 'PATCH', `/todos/${id}`, { token: tokens.bob, body: { completed: true } }),
      );
      const change = await send(node(1), 'PUT', `/lists/${list}/members/bob`, {
        token: tokens.alice,
        body: { relation: 'viewer' },
      });
      const after = await send(node(0), 'PATCH', `/todos/${ids[0]}`, {
        token: tokens.bob,
        body: { title: 'after' },
      });
      const answers = await Promise.all(patches);
      noServerError(answers);
      expect(change.status).toBe(200);
      expect(after.status).toBe(403);
      for (const [i, a] of answers.entries()) {
        expect([200, 403]).toContain(a.status);
        const read = await send(node(1), 'GET', `/todos/${ids[i]}`, { token: tokens.alice });
        // Applied and recorded exactly when answered 200.
        expect(read.body.completed).toBe(a.status === 200);
        expect(await audited(db, 'todo.update', `todo:${ids[i]}`)).toBe(a.status === 200 ? 1 : 0);
      }
    }
  });

  it('one member removed at both instances at once: one 204 and one record', async () => {
    const { db } = node(0).instance.context;
    for (let round = 0; round < ROUNDS; round++) {
      const list = await sharedList('viewer');
      const answers = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          send(node(i), 'DELETE', `/lists/${list}/members/bob`, { token: tokens.alice }),
        ),
      );
      noServerError(answers);
      expect(statuses(answers)).toEqual({ 204: 1, 404: 3 });
      expect(await audited(db, 'list.unshare', `list:${list}`)).toBe(1);
    }
  });
  it('a todo made with a key deleted while its list is deleted: 404 after the list, not a deadlock', async () => {
    // The order that deadlocked: the list's deletion waits to erase the todo's key (a third
    // session holds that row), the todo's deletion then comes and waits for it too; released, the
    // list's deletion erases the key and goes on to delete the todo, which the other holds.
    const admin = new pg.Client({ connectionString: (database.config as { url: string }).url });
    await admin.connect();
    const waiting = async () => {
      const { rows } = await admin.query<{ n: string }>(
        `select count(*) as n from pg_locks l join pg_stat_activity s on s.pid = l.pid
        where not l.granted and s.datname = current_database()`,
      );
      return Number(rows[0]?.n);
    };
    const until = async (n: number) => {
      for (let tries = 0; (await waiting()) < n; tries++) {
        if (tries > 1000) throw new Error(`never ${n} waiting`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    try {
      for (let round = 0; round < 2; round++) {
        const list = await send(node(0), 'POST', '/lists/', {
          token: tokens.alice,
          body: { name: 'K' },
        });
        const id = list.body.id as string;
        const todo = await send(node(0), 'POST', `/lists/${id}/todos/`, {
          token: tokens.alice,
          body: { title: 'keyed' },
          headers: { 'idempotency-key': randomUUID() },
        });
        const location = `/todos/${todo.body.id}`;
        await admin.query('begin');
        await admin.query('select 1 from idempotency_keys where location = $1 for update', [
          location,
        ]);
        const listGone = send(node(1), 'DELETE', `/lists/${id}`, { token: tokens.alice });
        await until(1);
        const todoGone = send(node(0), 'DELETE', location, { token: tokens.alice });
        await until(2);
        await admin.query('rollback');
        const [list204, todoAnswer] = [await listGone, await todoGone];
        noServerError([list204, todoAnswer]);
        expect(list204.status).toBe(204);
        expect(todoAnswer.status).toBe(404);
      }
    } finally {
      await admin.query('rollback').catch(() => {});
      await admin.end();
    }
  });
});
