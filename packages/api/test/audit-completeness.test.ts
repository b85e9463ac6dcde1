import { randomUUID } from 'node:crypto';
import { admin, alice, bob } from '@todo-sso/auth/testing';
import type { InjectOptions } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { sqliteDriver } from './support/databases.js';
import { mfaClaims, useHarness } from './support/harness.js';

interface Row {
  action: string;
  resource: string | null;
  outcome: 'success' | 'denied';
  detail: string | null;
  requestId: string | null;
  actorSub: string | null;
  [key: string]: unknown;
}

/** Unicode's control characters (general category Cc): C0, DEL and C1. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it finds
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * DESIGN: "every write and every authorization denial" is in the audit log, each exactly once,
 * whichever door it came through (REST, the AuthZEN endpoints, the MCP tools, sharing, the IdP
 * admin routes, a step-up the caller must make first), and no record holds a token, a secret or
 * a client string without bound or with control characters.
 */
describe('the audit log records every write and every denial once', () => {
  const h = useHarness(sqliteDriver);
  const issued: string[] = [];
  let teamList = '';

  /** A request with its own request id; returns the answer and that id. */
  const send = async (token: string, options: InjectOptions) => {
    issued.push(token);
    const id = `audit-${randomUUID()}`;
    const res = await h.app.inject({
      ...options,
      headers: { ...options.headers, authorization: `Bearer ${token}`, 'x-request-id': id },
    });
    return { res, id };
  };
  /** An access token of bob's MCP agent (audience the API's `/mcp`, RFC 8707). */
  const bobsAgent = () =>
    h.idp.accessToken(bob, { claims: { aud: 'http://localhost/mcp', azp: 'agent-client' } });
  /** A JSON-RPC `tools/call` of the MCP tool `name` with `args`, sent by {@link send}. */
  const callTool = (token: string, rpcId: number, name: string, args: object) =>
    send(token, {
      method: 'POST',
      url: '/mcp',
      headers: {
        host: 'localhost',
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      payload: {
        jsonrpc: '2.0',
        id: rpcId,
        method: 'tools/call',
        params: { name, arguments: args },
      },
    });
  const rows = async (): Promise<Row[]> => {
    const page = await h.as('admin', { method: 'GET', url: '/admin/audit?limit=100' });
    expect(page.statusCode).toBe(200);
    return page.json().items;
  };
  const recordsOf = async (id: string) => (await rows()).filter((r) => r.requestId === id);

  beforeAll(async () => {
    issued.push(...Object.values(h.tokens));
    const list = await h.as('alice', { method: 'POST', url: '/lists/', payload: { name: 'team' } });
    teamList = list.json().id;
    expect((await h.as('bob', { method: 'GET', url: '/lists/' })).statusCode).toBe(200);
    const shared = await h.as('alice', {
      method: 'PUT',
      url: `/lists/${teamList}/members/bob`,
      payload: { relation: 'editor' },
    });
    expect(shared.statusCode).toBe(200);
  });

  it('records whom a list was shared with, at which relation, and whom it was taken from', async () => {
    // Who gained or lost access to a list is what such a record is read for.
    const list = (
      await h.as('alice', { method: 'POST', url: '/lists/', payload: { name: 'x' } })
    ).json().id as string;
    expect((await h.as('carol', { method: 'GET', url: '/lists/' })).statusCode).toBe(200);
    const carol = {
      issuer: h.idp.issuer,
      sub: (await h.as('carol', { method: 'GET', url: '/me' })).json().sub,
    };
    const steps: [InjectOptions, string, object][] = [
      [
        { method: 'PUT', url: `/lists/${list}/members/carol`, payload: { relation: 'viewer' } },
        'list.share',
        { ...carol, relation: 'viewer' },
      ],
      [
        { method: 'PUT', url: `/lists/${list}/members/carol`, payload: { relation: 'editor' } },
        'list.share',
        { ...carol, relation: 'editor' },
      ],
      [{ method: 'DELETE', url: `/lists/${list}/members/carol` }, 'list.unshare', carol],
    ];
    for (const [options, action, member] of steps) {
      const { res, id } = await send(h.tokens.alice, options);
      expect(res.statusCode, `${options.method} ${options.url}`).toBeLessThan(300);
      const records = await recordsOf(id);
      expect(records).toMatchObject([{ action, resource: `list:${list}`, actorSub: alice.sub }]);
      expect(JSON.parse(records[0]?.detail ?? 'null'), action).toEqual(member);
    }
  });

  it('records a step-up refusal of admin work (too weak, too old), once', async () => {
    const now = Math.floor(Date.now() / 1000);
    const weak = await h.idp.accessToken(admin, { claims: { acr: 'pwd', auth_time: now } });
    const stale = await h.idp.accessToken(admin, { claims: mfaClaims(now - 3600) });
    for (const [token, url, code] of [
      [weak, '/admin/audit', 'authentication_too_weak'],
      [stale, '/admin/users', 'authentication_too_old'],
      [weak, '/admin/idp/users', 'authentication_too_weak'],
    ] as const) {
      const { res, id } = await send(token, { method: 'GET', url });
      expect(res.statusCode, url).toBe(401);
      const records = await recordsOf(id);
      expect(records, url).toHaveLength(1);
      expect(records[0]).toMatchObject({ outcome: 'denied', actorSub: admin.sub });
      expect(records[0]?.detail).toContain(code);
    }
    // The IdP admin routes' writes, refused the same way before anything reaches the provider.
    const { res, id } = await send(weak, {
      method: 'PUT',
      url: `/admin/idp/users/${randomUUID()}/roles/admin`,
    });
    expect(res.statusCode).toBe(401);
    expect(await recordsOf(id)).toHaveLength(1);
  });

  it('records refusals of the IdP admin routes, the AuthZEN endpoints and sharing, once', async () => {
    const cases: [string, InjectOptions][] = [
      ['alice', { method: 'PUT', url: `/admin/idp/users/${randomUUID()}/roles/admin` }],
      [
        'alice',
        {
          method: 'POST',
          url: '/access/v1/evaluation',
          payload: {
            subject: { type: 'user', id: alice.sub },
            action: { name: 'can_read' },
            resource: { type: 'list', id: teamList },
          },
        },
      ],
      [
        'bob',
        {
          method: 'PUT',
          url: `/lists/${teamList}/members/carol`,
          payload: { relation: 'viewer' },
        },
      ],
      ['bob', { method: 'DELETE', url: `/lists/${teamList}` }],
    ];
    for (const [who, options] of cases) {
      const token = h.tokens[who as 'alice' | 'bob'];
      const { res, id } = await send(token, options);
      expect(res.statusCode, `${options.method} ${options.url}`).toBe(403);
      const records = await recordsOf(id);
      expect(records, `${options.method} ${options.url}`).toHaveLength(1);
      expect(records[0]).toMatchObject({ outcome: 'denied' });
    }
  });

  it('records a refusal answered 404 (no relation to the list or todo) once, with its reason', async () => {
    const list = await h.as('carol', { method: 'POST', url: '/lists/', payload: { name: 'mine' } });
    const carolList = list.json().id;
    const todo = await h.as('carol', {
      method: 'POST',
      url: `/lists/${carolList}/todos/`,
      payload: { title: 'private' },
    });
    const carolTodo = todo.json().id;
    const cases: InjectOptions[] = [
      { method: 'GET', url: `/lists/${carolList}` },
      { method: 'PATCH', url: `/lists/${carolList}`, payload: { name: 'taken' } },
      { method: 'PUT', url: `/lists/${carolList}/members/bob`, payload: { relation: 'editor' } },
      { method: 'POST', url: `/lists/${carolList}/todos/`, payload: { title: 'planted' } },
      { method: 'GET', url: `/todos/${carolTodo}` },
      { method: 'PATCH', url: `/todos/${carolTodo}`, payload: { completed: true } },
      { method: 'DELETE', url: `/todos/${carolTodo}` },
    ];
    for (const options of cases) {
      const { res, id } = await send(h.tokens.bob, options);
      expect(res.statusCode, `${options.method} ${options.url}`).toBe(404);
      const records = await recordsOf(id);
      expect(records, `${options.method} ${options.url}`).toHaveLength(1);
      expect(records[0]).toMatchObject({ outcome: 'denied', actorSub: bob.sub });
      expect(records[0]?.detail).toContain('relation_missing');
    }
    // Through an agent's MCP tool, the same.
    const agent = await bobsAgent();
    const { res, id } = await callTool(agent, 2, 'delete_todo', { id: carolTodo });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().result.isError, res.body).toBe(true);
    expect(await recordsOf(id)).toMatchObject([{ outcome: 'denied', action: 'mcp delete_todo' }]);
    // Nothing was changed by any of them.
    const still = await h.as('carol', { method: 'GET', url: `/todos/${carolTodo}` });
    expect(still.json()).toMatchObject({ title: 'private', completed: false });
  });

  it('writes no record for a todo or list that does not exist: a 404, not a denial', async () => {
    // A client reading a todo deleted meanwhile, or a mistyped id, refuses nothing of anyone's:
    // no audit write on that path (it would cost every such 404 a database write).
    const missing = randomUUID();
    const cases: InjectOptions[] = [
      { method: 'GET', url: `/todos/${missing}` },
      { method: 'PATCH', url: `/todos/${missing}`, payload: { completed: true } },
      { method: 'DELETE', url: `/todos/${missing}` },
      { method: 'GET', url: `/lists/${missing}` },
      { method: 'POST', url: `/lists/${missing}/todos/`, payload: { title: 'nowhere' } },
      { method: 'PUT', url: `/lists/${missing}/members/alice`, payload: { relation: 'viewer' } },
      { method: 'DELETE', url: `/lists/${missing}/members/alice` },
      { method: 'GET', url: `/lists/${missing}/members/` },
      { method: 'GET', url: `/todos/?list=${missing}` },
      { method: 'POST', url: '/todos/', payload: { title: 'nowhere', listId: missing } },
    ];
    for (const options of cases) {
      const { res, id } = await send(h.tokens.bob, options);
      expect(res.statusCode, `${options.method} ${options.url}`).toBe(404);
      expect(await recordsOf(id), `${options.method} ${options.url}`).toHaveLength(0);
    }
  });

  it('records a refused MCP tool call once, with the agent', async () => {
    const agent = await bobsAgent();
    const { res, id } = await callTool(agent, 1, 'share_list', {
      listId: teamList,
      username: 'carol',
      relation: 'viewer',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().result.isError, res.body).toBe(true);
    const records = await recordsOf(id);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: 'denied', action: 'mcp share_list' });
  });

  it('gives a users:manage holder with a fresh second factor no way into the IdP admin routes', async () => {
    const manager = { ...bob, permissions: [...bob.permissions, 'users:manage'] };
    const token = await h.idp.accessToken(manager, { claims: mfaClaims() });
    expect((await send(token, { method: 'GET', url: '/admin/users' })).res.statusCode).toBe(200);
    for (const [method, url, payload] of [
      // Granting themselves the admin role, or the reports, or moving into a department.
      ['PUT', `/admin/idp/users/${bob.sub}/roles/admin`, undefined],
      ['PUT', `/admin/idp/users/${bob.sub}/roles/reports:generate`, undefined],
      ['PATCH', `/admin/idp/users/${bob.sub}`, { department: 'engineering' }],
      ['POST', `/admin/idp/users/${alice.sub}/reset-password`, { password: 'taken-over-1' }],
      ['GET', `/admin/todos?owner=${alice.sub}`, undefined],
    ] as const) {
      const { res, id } = await send(token, { method, url, ...(payload && { payload }) });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      expect(res.json()).toMatchObject({ code: 'insufficient_permission' });
      expect(await recordsOf(id), `${method} ${url}`).toHaveLength(1);
    }
  });

  it('records each write once, and an AuthZEN answer (allowed or not) not at all', async () => {
    const created = await send(h.tokens.alice, {
      method: 'POST',
      url: '/todos/',
      payload: { title: 'audited' },
    });
    expect(created.res.statusCode).toBe(201);
    expect(await recordsOf(created.id)).toMatchObject([{ action: 'todo.create' }]);
    const asked = await send(h.tokens.admin, {
      method: 'POST',
      url: '/access/v1/evaluation',
      payload: {
        subject: { type: 'user', id: bob.sub },
        action: { name: 'can_delete' },
        resource: { type: 'list', id: teamList },
      },
    });
    expect(asked.res.json()).toMatchObject({ decision: false });
    expect(await recordsOf(asked.id)).toEqual([]);
  });

  it('refuses a subject to revoke that holds a control character, before it reaches the log', async () => {
    for (const sub of ['bad\u001b[2Jsub', 'bad\u009b2Jsub', 'line\nbreak']) {
      const { res, id } = await send(h.tokens.admin, {
        method: 'POST',
        url: '/admin/sessions/revoke',
        payload: { sub },
      });
      expect(res.statusCode, JSON.stringify(sub)).toBe(400);
      expect(await recordsOf(id)).toEqual([]);
    }
  });

  it('refuses control characters in what the IdP admin routes would record or hand out', async () => {
    const id = randomUUID();
    for (const [method, url, payload] of [
      ['PATCH', `/admin/idp/users/${id}`, { department: 'sales\u009b31m' }],
      ['PATCH', `/admin/idp/users/${id}`, { department: 'sales\nengineering' }],
      ['POST', '/admin/idp/users', { username: 'eve', department: '\u001b]0;x\u0007' }],
      ['POST', '/admin/idp/users', { username: 'eve', firstName: 'Eve\u0085' }],
      ['POST', '/admin/idp/users', { username: 'eve', lastName: 'E\u007f' }],
    ] as const) {
      const { res } = await send(h.tokens.admin, { method, url, payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
    }
  });

  it('holds no token, no control character and nothing unbounded in any record', async () => {
    // A long, percent-encoded path the router still matches, refused.
    const long = `${'%41'.repeat(30)}`;
    const refused = await send(h.tokens.alice, {
      method: 'PUT',
      url: `/admin/idp/users/${long}/roles/admin`,
    });
    expect([400, 403]).toContain(refused.res.statusCode);
    const all = await rows();
    expect(all.length).toBeGreaterThan(5);
    for (const row of all) {
      const text = JSON.stringify(row);
      for (const token of issued) expect(text.includes(token.slice(-40))).toBe(false);
      for (const value of Object.values(row)) {
        if (typeof value !== 'string') continue;
        expect(CONTROL.test(value), value).toBe(false);
        expect(value.length, value).toBeLessThanOrEqual(1000);
      }
    }
  });
});
