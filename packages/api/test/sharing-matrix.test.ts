import type { InjectOptions } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { listRepository } from '../src/lists/repository.js';
import { ownerRepository } from '../src/repositories/owners.js';
import { todoRepository } from '../src/todos/repository.js';
import { drivers } from './support/databases.js';
import { useHarness, users } from './support/harness.js';

/**
 * Who may do what to a shared list, its todos and its members: every list, todo and member
 * route × owner, editor, viewer, stranger, admin, and an editor whose token lacks todos:write.
 * Each cell gets a fresh list (alice owns it; bob edits, carol views, walt edits without
 * todos:write, frank views) with one todo, so no cell depends on another.
 */

type Role = 'owner' | 'editor' | 'viewer' | 'stranger' | 'admin' | 'noWrite';
const ROLES: Role[] = ['owner', 'editor', 'viewer', 'stranger', 'admin', 'noWrite'];

/** People beyond the test issuer's demo users, with the permissions of a plain `user`. */
const extra = {
  dave: { sub: 'dave-0000-stranger', username: 'dave', permissions: ['todos:read', 'todos:write'] },
  walt: { sub: 'walt-0000-no-write', username: 'walt', permissions: ['todos:read'] },
  frank: { sub: 'frank-000-viewer', username: 'frank', permissions: ['todos:read', 'todos:write'] },
  erin: { sub: 'erin-0000-invitee', username: 'erin', permissions: ['todos:read', 'todos:write'] },
};

interface Cell {
  list: string;
  defaultList: string;
  todo: string;
}

/** The status for each role, in ROLES order. */
type Row = [string, (c: Cell, caller: Role) => InjectOptions, Record<Role, number>];
const all = (status: number): Record<Role, number> =>
  Object.fromEntries(ROLES.map((r) => [r, status])) as Record<Role, number>;
const read = { owner: 200, editor: 200, viewer: 200, stranger: 404, admin: 404, noWrite: 200 };
const ownerOnly = (ok: number) => ({
  owner: ok,
  editor: 403,
  viewer: 403,
  stranger: 404,
  admin: 404,
  noWrite: 403,
});
const editors = (ok: number) => ({
  owner: ok,
  editor: ok,
  viewer: 403,
  stranger: 404,
  admin: 404,
  noWrite: 403,
});
const SELF: Record<Role, string> = {
  owner: 'alice',
  editor: 'bob',
  viewer: 'carol',
  stranger: 'dave',
  admin: 'admin',
  noWrite: 'walt',
};

const ROWS: Row[] = [
  ['GET /lists/', () => ({ method: 'GET', url: '/lists/' }), all(200)],
  [
    'POST /lists/',
    () => ({ method: 'POST', url: '/lists/', payload: { name: 'Mine' } }),
    { ...all(201), noWrite: 403 },
  ],
  ['GET /lists/:id', (c) => ({ method: 'GET', url: `/lists/${c.list}` }), read],
  [
    'PATCH /lists/:id',
    (c) => ({ method: 'PATCH', url: `/lists/${c.list}`, payload: { name: 'Renamed' } }),
    ownerOnly(200),
  ],
  ['DELETE /lists/:id', (c) => ({ method: 'DELETE', url: `/lists/${c.list}` }), ownerOnly(204)],
  [
    'DELETE /lists/:id (the owner’s default list)',
    (c) => ({ method: 'DELETE', url: `/lists/${c.defaultList}` }),
    { ...ownerOnly(409), editor: 404, viewer: 404 },
  ],
  ['GET /lists/:id/todos/', (c) => ({ method: 'GET', url: `/lists/${c.list}/todos/` }), read],
  [
    'POST /lists/:id/todos/',
    (c) => ({ method: 'POST', url: `/lists/${c.list}/todos/`, payload: { title: 'new' } }),
    editors(201),
  ],
  ['GET /lists/:id/members', (c) => ({ method: 'GET', url: `/lists/${c.list}/members` }), read],
  [
    'PUT /lists/:id/members/:username (share with erin)',
    (c) => ({
      method: 'PUT',
      url: `/lists/${c.list}/members/erin`,
      payload: { relation: 'viewer' },
    }),
    ownerOnly(200),
  ],
  [
    'PUT /lists/:id/members/:username (someone unknown)',
    (c) => ({
      method: 'PUT',
      url: `/lists/${c.list}/members/nobody-known`,
      payload: { relation: 'editor' },
    }),
    ownerOnly(404),
  ],
  [
    'DELETE /lists/:id/members/:username (remove frank)',
    (c) => ({ method: 'DELETE', url: `/lists/${c.list}/members/frank` }),
    ownerOnly(204),
  ],
  [
    'DELETE /lists/:id/members/:username (leave)',
    (c, caller) => ({ method: 'DELETE', url: `/lists/${c.list}/members/${SELF[caller]}` }),
    { owner: 409, editor: 204, viewer: 204, stranger: 404, admin: 404, noWrite: 403 },
  ],
  ['GET /todos/:id', (c) => ({ method: 'GET', url: `/todos/${c.todo}` }), read],
  [
    'PUT /todos/:id',
    (c) => ({
      method: 'PUT',
      url: `/todos/${c.todo}`,
      payload: { title: 'replaced', completed: true },
    }),
    editors(200),
  ],
  [
    'PATCH /todos/:id',
    (c) => ({ method: 'PATCH', url: `/todos/${c.todo}`, payload: { completed: true } }),
    editors(200),
  ],
  ['DELETE /todos/:id', (c) => ({ method: 'DELETE', url: `/todos/${c.todo}` }), editors(204)],
  ['GET /todos/?list=', (c) => ({ method: 'GET', url: `/todos/?list=${c.list}` }), read],
  [
    'POST /todos/ with listId',
    (c) => ({ method: 'POST', url: '/todos/', payload: { title: 'new', listId: c.list } }),
    editors(201),
  ],
];

describe.each(drivers)('sharing matrix on $driver', ({ skip, create }) => {
  const h = useHarness({ skip, create });
  const tokens = {} as Record<Role, string>;
  const person = (name: string) => {
    const sub = name in extra ? extra[name as keyof typeof extra].sub : users[name as 'alice'].sub;
    return { issuer: h.idp.issuer, subject: sub };
  };

  beforeAll(async () => {
    if (skip) return;
    tokens.owner = h.tokens.alice;
    tokens.editor = h.tokens.bob;
    tokens.viewer = h.tokens.carol;
    tokens.admin = h.tokens.admin;
    tokens.stranger = await h.idp.accessToken({ ...extra.dave, roles: ['user'] });
    tokens.noWrite = await h.idp.accessToken({ ...extra.walt, roles: [] });
    // Everyone has signed in before, so they can be found by username.
    const owners = ownerRepository(h.context.db);
    for (const name of ['alice', 'bob', 'carol', 'admin', 'dave', 'walt', 'frank', 'erin']) {
      await owners.touch(
        { ...person(name), username: name, email: `${name}@example.com`, department: null },
        new Date(),
      );
    }
  });

  async function cell(): Promise<Cell> {
    const { db } = h.context;
    const lists = listRepository(db);
    const now = new Date();
    const alice = person('alice');
    const list = await lists.create(alice, 'Release checklist', now, db.kysely);
    await lists.setMember(list.id, person('bob'), 'editor', now, db.kysely);
    await lists.setMember(list.id, person('carol'), 'viewer', now, db.kysely);
    await lists.setMember(list.id, person('walt'), 'editor', now, db.kysely);
    await lists.setMember(list.id, person('frank'), 'viewer', now, db.kysely);
    const todo = await todoRepository(db).create(alice, { title: 'ship' }, now, db.kysely, list.id);
    return { list: list.id, defaultList: await lists.ensureDefault(alice, now), todo: todo.id };
  }

  const cells = ROWS.flatMap(([route, request, statuses]) =>
    ROLES.map((role) => ({ route, role, request, status: statuses[role] })),
  );

  it.skipIf(skip).each(cells)('$route as $role → $status', async ({ role, request, status }) => {
    const c = await cell();
    const options = request(c, role);
    const res = await h.app.inject({
      ...options,
      headers: { ...options.headers, authorization: `Bearer ${tokens[role]}` },
    });
    expect(res.statusCode, res.body).toBe(status);
    if (status === 403 && role !== 'noWrite') {
      // A relation refusal is problem details, not an insufficient_scope challenge.
      expect(res.json()).toMatchObject({ status: 403, code: 'forbidden' });
    }
    if (status === 404) expect(res.body).not.toContain('Release checklist');
  });

  it.skipIf(skip)(
    'lists a shared list for each member with their relation, and nobody else',
    async () => {
      const c = await cell();
      for (const role of ROLES) {
        const res = await h.app.inject({
          url: '/lists/',
          headers: { authorization: `Bearer ${tokens[role]}` },
        });
        const shared = (res.json() as { id: string; relation: string }[]).find(
          (l) => l.id === c.list,
        );
        const expected = { owner: 'owner', editor: 'editor', viewer: 'viewer', noWrite: 'editor' };
        expect(shared?.relation).toBe(expected[role as keyof typeof expected]);
      }
    },
  );

  it.skipIf(skip)('shows a shared todo in /todos/ to every member and to nobody else', async () => {
    const c = await cell();
    for (const role of ROLES) {
      const res = await h.app.inject({
        url: '/todos/?limit=100',
        headers: { authorization: `Bearer ${tokens[role]}` },
      });
      const ids = (res.json().items as { id: string }[]).map((t) => t.id);
      expect(ids.includes(c.todo), role).toBe(!['stranger', 'admin'].includes(role));
    }
  });
});
