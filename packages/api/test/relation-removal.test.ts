import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { listRepository } from '../src/lists/repository.js';
import { ownerRepository } from '../src/repositories/owners.js';
import { drivers } from './support/databases.js';
import { useHarness, users } from './support/harness.js';

/**
 * A relation ends the moment it is removed: after the owner removes a member, or deletes the
 * list, nothing the member held grants anything any more, on the REST routes, on the list
 * actions a screen shows, and in the AuthZEN answers about them (no decision is kept from
 * before, docs/sharing.md). On SQLite and PostgreSQL.
 */
describe.each(drivers)('relations after removal on $driver', ({ skip, create }) => {
  const h = useHarness({ skip, create });
  const as = (who: 'alice' | 'bob', options: InjectOptions) =>
    h.app.inject({
      ...options,
      headers: { ...options.headers, authorization: `Bearer ${h.tokens[who]}` },
    });
  const alice = () => ({ issuer: h.idp.issuer, subject: users.alice.sub });
  const bob = () => ({ issuer: h.idp.issuer, subject: users.bob.sub });

  async function sharedList(relation: 'editor' | 'viewer') {
    const { db } = h.context;
    await ownerRepository(db).touch(
      { ...bob(), username: 'bob', email: null, department: null },
      new Date(),
    );
    const list = await listRepository(db).create(alice(), 'Shared', new Date(), db.kysely);
    await listRepository(db).setMember(list.id, bob(), relation, new Date(), db.kysely);
    const todo = await as('alice', {
      method: 'POST',
      url: `/lists/${list.id}/todos/`,
      payload: { title: 'shared work' },
    });
    expect(todo.statusCode).toBe(201);
    return { list: list.id, todo: todo.json().id as string };
  }

  /** What `bobSees` answers when bob reaches nothing of the list: every route 404, no listing. */
  const NOTHING = {
    list: 404,
    todo: 404,
    edit: 404,
    listed: false,
    inTodos: false,
    authzen: [false, false],
  };

  /** What bob can still reach of the list and its todo, after each step. */
  async function bobSees(list: string, todo: string) {
    const evaluator = await h.idp.accessToken({
      sub: 'service-account-todo-api',
      roles: [],
      permissions: ['authz:evaluate'],
    });
    const decision = await h.app.inject({
      method: 'POST',
      url: '/access/v1/evaluations',
      headers: { authorization: `Bearer ${evaluator}` },
      payload: {
        subject: { type: 'user', id: users.bob.sub },
        evaluations: [
          { action: { name: 'can_read' }, resource: { type: 'list', id: list } },
          { action: { name: 'can_read' }, resource: { type: 'todo', id: todo } },
        ],
      },
    });
    const listed = (await as('bob', { method: 'GET', url: '/lists/' })).json() as { id: string }[];
    const todos = (await as('bob', { method: 'GET', url: '/todos/' })).json().items as {
      id: string;
    }[];
    return {
      list: (await as('bob', { method: 'GET', url: `/lists/${list}` })).statusCode,
      todo: (await as('bob', { method: 'GET', url: `/todos/${todo}` })).statusCode,
      edit: (
        await as('bob', { method: 'PATCH', url: `/todos/${todo}`, payload: { completed: true } })
      ).statusCode,
      listed: listed.some((l) => l.id === list),
      inTodos: todos.some((t) => t.id === todo),
      authzen: (decision.json().evaluations as { decision: boolean }[]).map((d) => d.decision),
    };
  }

  it.skipIf(skip)(
    'an editor removed by the owner reaches nothing of the list at once',
    async () => {
      const { list, todo } = await sharedList('editor');
      expect(await bobSees(list, todo)).toEqual({
        list: 200,
        todo: 200,
        edit: 200,
        listed: true,
        inTodos: true,
        authzen: [true, true],
      });
      const removed = await as('alice', { method: 'DELETE', url: `/lists/${list}/members/bob` });
      expect(removed.statusCode).toBe(204);
      expect(await bobSees(list, todo)).toEqual(NOTHING);
    },
  );

  it.skipIf(skip)(
    'a viewer of a deleted list reaches nothing of it, nor of its todos',
    async () => {
      const { list, todo } = await sharedList('viewer');
      expect((await bobSees(list, todo)).authzen).toEqual([true, true]);
      const deleted = await as('alice', { method: 'DELETE', url: `/lists/${list}` });
      expect(deleted.statusCode).toBe(204);
      expect(await bobSees(list, todo)).toEqual(NOTHING);
      // Nor does the owner: the list and its todos are gone, not hidden.
      expect((await as('alice', { method: 'GET', url: `/todos/${todo}` })).statusCode).toBe(404);
    },
  );
});
