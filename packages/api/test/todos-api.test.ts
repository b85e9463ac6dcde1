import { describe, expect, it } from 'vitest';
import { drivers } from './support/databases.js';
import { startHarness, useHarness, users } from './support/harness.js';
import { nextMillisecond } from './support/time.js';

describe.each(drivers)('the todo API on $driver', ({ skip, create }) => {
  const h = useHarness({ skip, create });

  it.skipIf(skip)(
    'creates, reads, replaces, patches and deletes a todo, with and without the trailing slash',
    async () => {
      const created = await h.as('alice', {
        method: 'POST',
        url: '/todos',
        payload: { title: 'Buy milk', description: '2 litres' },
      });
      expect(created.statusCode).toBe(201);
      const todo = created.json();
      expect(todo).toMatchObject({ title: 'Buy milk', description: '2 litres', completed: false });
      expect(created.headers.location).toBe(`/todos/${todo.id}`);
      expect(todo.createdAt).toBe(todo.updatedAt);

      expect((await h.as('alice', { method: 'GET', url: `/todos/${todo.id}` })).json()).toEqual(
        todo,
      );
      expect((await h.as('alice', { method: 'GET', url: `/todos/${todo.id}/` })).statusCode).toBe(
        200,
      );

      const replaced = await h.as('alice', {
        method: 'PUT',
        url: `/todos/${todo.id}`,
        payload: { title: 'Buy oat milk', completed: true },
      });
      expect(replaced.json()).toMatchObject({
        title: 'Buy oat milk',
        description: null,
        completed: true,
      });

      const patched = await h.as('alice', {
        method: 'PATCH',
        url: `/todos/${todo.id}`,
        payload: { description: 'barista edition' },
      });
      expect(patched.json()).toMatchObject({
        title: 'Buy oat milk',
        description: 'barista edition',
        completed: true,
      });

      expect((await h.as('alice', { method: 'DELETE', url: `/todos/${todo.id}` })).statusCode).toBe(
        204,
      );
      expect((await h.as('alice', { method: 'GET', url: `/todos/${todo.id}` })).statusCode).toBe(
        404,
      );
      expect((await h.as('alice', { method: 'DELETE', url: `/todos/${todo.id}` })).statusCode).toBe(
        404,
      );
    },
  );

  it.skipIf(skip)(
    'lists only the caller’s todos, filtered and paginated by an opaque cursor',
    async () => {
      for (let i = 0; i < 5; i++) {
        await h.as('bob', {
          method: 'POST',
          url: '/todos/',
          payload: { title: `bob ${i}`, completed: i < 2 },
        });
        // Newest first is by creation time (ms), then id: each todo in a millisecond of its own.
        await nextMillisecond();
      }
      await h.as('carol', { method: 'POST', url: '/todos/', payload: { title: 'carol only' } });

      const first = await h.as('bob', { method: 'GET', url: '/todos?limit=3' });
      expect(first.statusCode).toBe(200);
      const page1 = first.json();
      expect(page1.items.map((t: { title: string }) => t.title)).toEqual([
        'bob 4',
        'bob 3',
        'bob 2',
      ]);
      expect(page1.nextCursor).toEqual(expect.any(String));
      const page2 = (
        await h.as('bob', { method: 'GET', url: `/todos/?limit=3&cursor=${page1.nextCursor}` })
      ).json();
      expect(page2.items.map((t: { title: string }) => t.title)).toEqual(['bob 1', 'bob 0']);
      expect(page2.nextCursor).toBeNull();

      const done = (await h.as('bob', { method: 'GET', url: '/todos/?completed=true' })).json();
      expect(done.items.map((t: { title: string }) => t.title)).toEqual(['bob 1', 'bob 0']);
      const carols = (await h.as('carol', { method: 'GET', url: '/todos/' })).json();
      expect(carols.items.map((t: { title: string }) => t.title)).toEqual(['carol only']);
    },
  );

  it.skipIf(skip)('describes the caller at /me from the token', async () => {
    const me = await h.as('carol', { method: 'GET', url: '/me' });
    expect(me.json()).toEqual({
      sub: users.carol.sub,
      issuer: h.idp.issuer,
      username: 'carol',
      email: 'carol@example.com',
      name: users.carol.name,
      roles: ['user'],
      permissions: expect.arrayContaining(['todos:read', 'todos:write', 'reports:generate']),
      department: 'engineering',
      isAdmin: false,
    });
    expect((await h.as('admin', { method: 'GET', url: '/me' })).json()).toMatchObject({
      isAdmin: true,
    });
  });

  it.skipIf(skip)('answers /me the same for a new token and for the same token again', async () => {
    // A new token's first answer is serialised for it; from its second request on the
    // body is remembered: every answer is the same, and another token gets its own.
    const token = await h.idp.accessToken(users.bob);
    const bodies: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await h.app.inject({
        url: '/me',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.statusCode).toBe(200);
      bodies.push(res.body);
    }
    expect(new Set(bodies).size).toBe(1);
    expect(JSON.parse(bodies[0] as string)).toMatchObject({ sub: users.bob.sub, username: 'bob' });
    const other = await h.as('carol', { method: 'GET', url: '/me' });
    expect(other.json()).toMatchObject({ sub: users.carol.sub });
  });

  it.skipIf(skip)(
    'a remembered /me body: a new token after a role change answers its own roles, a revoked token answers 401',
    async () => {
      const me = (token: string) =>
        h.app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } });
      const sid = 'session-bob-me-body';
      const before = await h.idp.accessToken(users.bob, { sessionId: sid });
      for (let i = 0; i < 2; i++)
        expect((await me(before)).json().roles).toEqual([...users.bob.roles]);
      // The IdP grants a role; the next token carries it, for the same subject and session.
      const promoted = await h.idp.accessToken(
        { ...users.bob, roles: [...users.bob.roles, 'admin'] },
        { sessionId: sid },
      );
      for (let i = 0; i < 2; i++) {
        const body = (await me(promoted)).json();
        expect(body.roles).toEqual([...users.bob.roles, 'admin']);
        expect(body.isAdmin).toBe(true);
      }
      // The first token's body is still its own, never the new token's.
      expect((await me(before)).json()).toMatchObject({ isAdmin: false });
      // The session ends at the IdP (back-channel logout): no remembered body outlives it.
      const logout = await h.app.inject({
        method: 'POST',
        url: '/auth/backchannel-logout',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({
          logout_token: await h.idp.logoutToken({ sub: users.bob.sub, sid }),
        }).toString(),
      });
      expect(logout.statusCode).toBe(200);
      for (const token of [before, promoted]) {
        const refused = await me(token);
        expect(refused.statusCode).toBe(401);
        expect(refused.json()).toMatchObject({ code: 'token_revoked' });
      }
    },
  );

  it.skipIf(skip)(
    'counts a department’s todos for carol and any department for admin',
    async () => {
      await h.as('alice', {
        method: 'POST',
        url: '/todos/',
        payload: { title: 'eng 1', completed: true },
      });
      const own = (await h.as('carol', { method: 'GET', url: '/reports/summary' })).json();
      expect(own.department).toBe('engineering');
      // engineering: alice's and carol's todos
      const engineering = await h.context.db.kysely
        .selectFrom('todos')
        .where('owner_sub', 'in', [users.alice.sub, users.carol.sub])
        .selectAll()
        .execute();
      expect(own.total).toBe(engineering.length);
      expect(own.completed + own.pending).toBe(own.total);
      const sales = (
        await h.as('admin', { method: 'GET', url: '/reports/summary?department=sales' })
      ).json();
      expect(sales).toMatchObject({ department: 'sales', total: 5, completed: 2, pending: 3 });
      const denied = await h.as('carol', {
        method: 'GET',
        url: '/reports/summary?department=sales',
      });
      expect(denied.statusCode).toBe(403);
    },
  );

  it.skipIf(skip)(
    'lists owners with counts and every todo for admins, filtered by owner',
    async () => {
      const owners = (await h.as('admin', { method: 'GET', url: '/admin/users' })).json();
      expect(owners.items).toContainEqual(
        expect.objectContaining({
          sub: users.bob.sub,
          username: 'bob',
          department: 'sales',
          todos: 5,
          completed: 2,
        }),
      );
      const bobs = (
        await h.as('admin', { method: 'GET', url: `/admin/todos?owner=${users.bob.sub}&limit=100` })
      ).json();
      expect(bobs.items).toHaveLength(5);
      expect(bobs.items.every((t: { owner: string }) => t.owner === users.bob.sub)).toBe(true);
    },
  );

  it.skipIf(skip)('audits every write and every denial, newest first, paginated', async () => {
    // The denial is the newest record only in a millisecond after the last one (carol's denial
    // a few requests before): records of one millisecond are ordered by their random ids.
    await nextMillisecond();
    await h.as('bob', { method: 'GET', url: '/admin/audit' }); // a denial
    const page = (await h.as('admin', { method: 'GET', url: '/admin/audit?limit=2' })).json();
    expect(page.items).toHaveLength(2);
    expect(page.items[0]).toMatchObject({
      action: 'GET /admin/audit',
      outcome: 'denied',
      actorSub: users.bob.sub,
    });
    const all = (await h.as('admin', { method: 'GET', url: '/admin/audit?limit=100' })).json();
    const actions = all.items.map((a: { action: string }) => a.action);
    expect(actions).toEqual(
      expect.arrayContaining(['todo.create', 'todo.replace', 'todo.update', 'todo.delete']),
    );
    const next = (
      await h.as('admin', { method: 'GET', url: `/admin/audit?limit=2&cursor=${page.nextCursor}` })
    ).json();
    expect(next.items[0].id).toBe(all.items[2].id);
  });

  it.skipIf(skip)(
    'rate-limits per subject: one noisy user gets 429 while another is served',
    async () => {
      const limited = await startHarness(h.config.database, { RATE_LIMIT_PER_MINUTE: '3' });
      try {
        const statuses = [];
        for (let i = 0; i < 4; i++)
          statuses.push((await limited.as('alice', { method: 'GET', url: '/me' })).statusCode);
        expect(statuses).toEqual([200, 200, 200, 429]);
        const over = await limited.as('alice', { method: 'GET', url: '/me' });
        expect(over.json()).toMatchObject({ status: 429, code: 'rate_limited' });
        expect(over.headers['retry-after']).toBeDefined();
        expect((await limited.as('bob', { method: 'GET', url: '/me' })).statusCode).toBe(200);
      } finally {
        await limited.close();
      }
    },
  );

  it.skipIf(skip)(
    'rate-limits per address before authentication: a flood of bad tokens gets 429 problem+json with Retry-After',
    async () => {
      const limited = await startHarness(h.config.database, {
        RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '5',
      });
      try {
        const bad = () =>
          limited.app.inject({
            method: 'GET',
            url: '/todos/',
            headers: { authorization: 'Bearer not-a-token' },
          });
        const statuses = [];
        for (let i = 0; i < 5; i++) statuses.push((await bad()).statusCode);
        expect(statuses).toEqual([401, 401, 401, 401, 401]);
        const over = await bad();
        expect(over.statusCode).toBe(429);
        expect(over.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(over.headers['retry-after']).toMatch(/^\d+$/);
        expect(over.json()).toMatchObject({ status: 429, code: 'rate_limited' });
        // The address is limited for valid tokens too, but never for probes and metrics.
        expect((await limited.as('alice', { method: 'GET', url: '/me' })).statusCode).toBe(429);
        expect((await limited.app.inject({ url: '/healthz' })).statusCode).toBe(200);
        expect((await limited.app.inject({ url: '/metrics' })).statusCode).toBe(200);
      } finally {
        await limited.close();
      }
    },
  );
});
