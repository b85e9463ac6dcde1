import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, type Node, peopleTokens, send, useCluster } from './support/cluster.js';
import { drivers, useTestDatabase } from './support/databases.js';
import { useIssuer } from './support/harness.js';

/**
 * Two API instances on one PostgreSQL database, as behind a load balancer, and writes that meet:
 * real HTTP requests sent together, and, where the order matters, an interleaving forced with a
 * table lock held by a third session so that the outcome does not depend on timing.
 */
const postgres = drivers.find((d) => d.driver === 'postgres') as (typeof drivers)[number];
const { skip } = postgres;

describe.skipIf(skip)('concurrent writes at two instances on one PostgreSQL', () => {
  const database = useTestDatabase(postgres);
  const idp = useIssuer(skip, { profile: 'keycloak' });
  const nodes = useCluster(skip, idp, database);
  let tokens: Awaited<ReturnType<typeof peopleTokens>>;
  beforeAll(async () => {
    tokens = await peopleTokens(idp);
    // Everyone signs in once, so the API knows them by name for sharing.
    for (const token of Object.values(tokens)) await send(a(), 'GET', '/todos/', { token });
  });
  const a = () => nodes[0] as Node;
  const b = () => nodes[1] as Node;

  async function newTodo(node: Node, token: string, listId?: string) {
    const created = await send(node, 'POST', '/todos/', {
      token,
      body: { title: 'raced', ...(listId && { listId }) },
    });
    expect(created.status).toBe(201);
    return created.body as { id: string; version: number };
  }

  it('lets exactly one of several writes from the same version through (RFC 9110 §13.1.1)', async () => {
    const todo = await newTodo(a(), tokens.alice);
    for (let version = 1; version <= 8; version += 1) {
      const answers = await Promise.all(
        [a(), b(), a(), b()].map((node, i) =>
          send(node, 'PATCH', `/todos/${todo.id}`, {
            token: tokens.alice,
            headers: { 'if-match': `"${version}"` },
            body: { title: `writer ${i} from ${version}` },
          }),
        ),
      );
      const statuses = answers.map((x) => x.status).sort();
      expect(statuses).toEqual([200, 412, 412, 412]);
      const read = await send(b(), 'GET', `/todos/${todo.id}`, { token: tokens.alice });
      expect(read.body.version).toBe(version + 1);
      const winner = answers.find((x) => x.status === 200) as Answer;
      expect(read.body.title).toBe(winner.body.title);
    }
  });

  it('applies every concurrent If-Match: * write to an existing todo (§13.1.1: * matches any current representation)', async () => {
    const todo = await newTodo(a(), tokens.alice);
    for (let round = 0; round < 8; round += 1) {
      const answers = await Promise.all(
        [a(), b(), a(), b()].map((node) =>
          send(node, 'PATCH', `/todos/${todo.id}`, {
            token: tokens.alice,
            headers: { 'if-match': '*' },
            body: { completed: round % 2 === 0 },
          }),
        ),
      );
      expect(answers.map((x) => x.status)).toEqual([200, 200, 200, 200]);
    }
    const read = await send(a(), 'GET', `/todos/${todo.id}`, { token: tokens.alice });
    expect(read.body.version).toBe(1 + 8 * 4);
  });

  it('applies every concurrent If-Match: * rename of an existing list', async () => {
    const list = await send(a(), 'POST', '/lists/', { token: tokens.alice, body: { name: 'L' } });
    expect(list.status).toBe(201);
    const id = list.body.id as string;
    for (let round = 0; round < 8; round += 1) {
      const answers = await Promise.all(
        [a(), b(), a(), b()].map((node, i) =>
          send(node, 'PATCH', `/lists/${id}`, {
            token: tokens.alice,
            headers: { 'if-match': '*' },
            body: { name: `L ${round}.${i}` },
          }),
        ),
      );
      expect(answers.map((x) => x.status)).toEqual([200, 200, 200, 200]);
    }
  });

  it("a viewer's write with a matching If-Match is refused 403, not 412", async () => {
    const list = await send(a(), 'POST', '/lists/', { token: tokens.alice, body: { name: 'V' } });
    const id = list.body.id as string;
    const share = await send(b(), 'PUT', `/lists/${id}/members/bob`, {
      token: tokens.alice,
      body: { relation: 'viewer' },
    });
    expect(share.status).toBe(200);
    const todo = await send(a(), 'POST', `/lists/${id}/todos/`, {
      token: tokens.alice,
      body: { title: 'read only for bob' },
    });
    const patch = await send(b(), 'PATCH', `/todos/${todo.body.id}`, {
      token: tokens.bob,
      headers: { 'if-match': '"1"' },
      body: { completed: true },
    });
    expect(patch.status).toBe(403);
    const star = await send(b(), 'DELETE', `/todos/${todo.body.id}`, {
      token: tokens.bob,
      headers: { 'if-match': '*' },
    });
    expect(star.status).toBe(403);
  });
});

describe.skipIf(skip)(
  'writes racing a change of access, at two instances on one PostgreSQL',
  () => {
    const database = useTestDatabase(postgres);
    const idp = useIssuer(skip, { profile: 'keycloak' });
    const nodes = useCluster(skip, idp, database);
    let tokens: Awaited<ReturnType<typeof peopleTokens>>;
    let admin: pg.Client;
    beforeAll(async () => {
      tokens = await peopleTokens(idp);
      for (const token of Object.values(tokens)) await send(a(), 'GET', '/todos/', { token });
      admin = new pg.Client({ connectionString: (database.config as { url: string }).url });
      await admin.connect();
    });
    afterAll(async () => {
      await admin?.end();
    });
    const a = () => nodes[0] as Node;
    const b = () => nodes[1] as Node;

    /** Alice's new list, shared with bob as `relation`. */
    async function sharedList(relation: 'editor' | 'viewer' = 'editor'): Promise<string> {
      const list = await send(a(), 'POST', '/lists/', { token: tokens.alice, body: { name: 'S' } });
      const id = list.body.id as string;
      const share = await send(b(), 'PUT', `/lists/${id}/members/bob`, {
        token: tokens.alice,
        body: { relation },
      });
      expect(share.status).toBe(200);
      return id;
    }

    /** Sessions waiting for a lock in the test database. */
    async function waiting(): Promise<number> {
      const { rows } = await admin.query<{ n: string }>(
        `select count(*) as n from pg_locks l join pg_stat_activity s on s.pid = l.pid
        where not l.granted and s.datname = current_database()`,
      );
      return Number(rows[0]?.n);
    }

    async function until(done: () => Promise<boolean>, what: string): Promise<void> {
      const deadline = Date.now() + 10_000;
      while (!(await done())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }

    /**
     * Bob's todo into the list at instance A, held just before it writes (a third session locks
     * `todos`), while `other` runs at instance B; then the lock is released. Returns bob's answer,
     * the other's, and whether the other had answered while bob's write was still held.
     */
    async function createWhile(
      listId: string,
      other: () => Promise<Answer>,
      held: { table: string; write: () => Promise<Answer> } = {
        table: 'todos',
        write: () =>
          send(a(), 'POST', `/lists/${listId}/todos/`, {
            token: tokens.bob,
            body: { title: 'written by bob' },
          }),
      },
    ) {
      await admin.query('begin');
      await admin.query(`lock table ${held.table} in exclusive mode`);
      const before = await waiting();
      const created = held.write();
      await until(async () => (await waiting()) > before, "bob's write to wait");
      let answeredFirst = false;
      const raced = other().then((answer) => {
        answeredFirst = true;
        return answer;
      });
      await until(async () => answeredFirst || (await waiting()) > before + 1, 'the other write');
      const otherFirst = answeredFirst;
      await admin.query('rollback');
      return { bob: await created, other: await raced, otherFirst };
    }

    it('a member removed while their todo is on its way: the todo is not written after the removal', async () => {
      const id = await sharedList();
      const { bob, other, otherFirst } = await createWhile(id, () =>
        send(b(), 'DELETE', `/lists/${id}/members/bob`, { token: tokens.alice }),
      );
      expect(other.status).toBe(204);
      // Serialisable outcomes only: the write before the removal (201, the removal answering
      // after it), or the removal first and the write refused as for a stranger (404).
      if (otherFirst) expect(bob.status).toBe(404);
      else expect(bob.status).toBe(201);
      const { rows } = await admin.query(
        `select count(*)::int as n from todos where list_id = $1 and title = 'written by bob'`,
        [id],
      );
      expect(rows[0].n).toBe(bob.status === 201 ? 1 : 0);
    });

    it('a member made viewer while their todo is on its way: no todo after the change', async () => {
      const id = await sharedList();
      const { bob, other, otherFirst } = await createWhile(id, () =>
        send(b(), 'PUT', `/lists/${id}/members/bob`, {
          token: tokens.alice,
          body: { relation: 'viewer' },
        }),
      );
      expect(other.status).toBe(200);
      if (otherFirst) expect(bob.status).toBe(403);
      else expect(bob.status).toBe(201);
    });

    it('a list deleted while its owner shares it: 404 or 200, never a 500', async () => {
      const list = await send(a(), 'POST', '/lists/', { token: tokens.alice, body: { name: 'D' } });
      const id = list.body.id as string;
      const share = () =>
        send(a(), 'PUT', `/lists/${id}/members/carol`, {
          token: tokens.alice,
          body: { relation: 'viewer' },
        });
      const { bob: shared, other } = await createWhile(
        id,
        () => send(b(), 'DELETE', `/lists/${id}`, { token: tokens.alice }),
        { table: 'list_members', write: share },
      );
      expect(other.status).toBe(204);
      expect([200, 404]).toContain(shared.status);
    });

    it('a list deleted while a todo is on its way into it: 404 or 201, never a 500', async () => {
      const id = await sharedList();
      const { bob, other } = await createWhile(id, () =>
        send(b(), 'DELETE', `/lists/${id}`, { token: tokens.alice }),
      );
      expect(other.status).toBe(204);
      expect([201, 404]).toContain(bob.status);
      const { rows } = await admin.query(
        `select count(*)::int as n from todos where list_id = $1`,
        [id],
      );
      expect(rows[0].n).toBe(0);
    });

    /**
     * Bob's change of a todo at instance A, held on the todo's row (a third session locks it) once
     * his statement has started, while alice removes him at instance B; then the row is released.
     */
    async function changeWhileRemoved(method: 'PATCH' | 'DELETE') {
      const id = await sharedList();
      const todo = await send(a(), 'POST', `/lists/${id}/todos/`, {
        token: tokens.alice,
        body: { title: 'changed by bob?' },
      });
      await admin.query('begin');
      await admin.query('select id from todos where id = $1 for update', [todo.body.id]);
      const before = await waiting();
      const changed = send(a(), method, `/todos/${todo.body.id}`, {
        token: tokens.bob,
        ...(method === 'PATCH' && { body: { completed: true } }),
      });
      await until(async () => (await waiting()) > before, "bob's change to wait");
      let answeredFirst = false;
      const removal = send(b(), 'DELETE', `/lists/${id}/members/bob`, { token: tokens.alice }).then(
        (answer) => {
          answeredFirst = true;
          return answer;
        },
      );
      await until(async () => answeredFirst || (await waiting()) > before + 1, 'the removal');
      const removedFirst = answeredFirst;
      await admin.query('rollback');
      return { bob: await changed, removal: await removal, removedFirst };
    }

    it('a held change of a todo holds its own list membership only, not the writer’s others', async () => {
      const [held, other] = [await sharedList(), await sharedList()];
      const todo = await send(a(), 'POST', `/lists/${held}/todos/`, {
        token: tokens.alice,
        body: { title: 'held' },
      });
      await admin.query('begin');
      await admin.query('select id from todos where id = $1 for update', [todo.body.id]);
      const before = await waiting();
      const changed = send(a(), 'PATCH', `/todos/${todo.body.id}`, {
        token: tokens.bob,
        body: { completed: true },
      });
      await until(async () => (await waiting()) > before, "bob's change to wait");
      // Removing bob from another list does not wait for his change in this one.
      const removal = await send(b(), 'DELETE', `/lists/${other}/members/bob`, {
        token: tokens.alice,
      });
      await admin.query('rollback');
      expect(removal.status).toBe(204);
      expect((await changed).status).toBe(200);
    });

    it.each(['PATCH', 'DELETE'] as const)(
      'a member removed while their %s of a todo waits: not applied after the removal',
      async (method) => {
        const { bob, removal, removedFirst } = await changeWhileRemoved(method);
        expect(removal.status).toBe(204);
        if (removedFirst) expect(bob.status).toBe(404);
        else expect(bob.status).toBe(method === 'PATCH' ? 200 : 204);
      },
    );
  },
);
