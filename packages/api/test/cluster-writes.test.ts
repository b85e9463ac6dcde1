import { beforeAll, describe, expect, it } from 'vitest';
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
