import { alice, bob, carol, type TestUser } from '@todo-sso/auth/testing';
import { describe, expect, it } from 'vitest';
import { listRepository } from '../src/lists/repository.js';
import { ownerRepository } from '../src/repositories/owners.js';
import { rowCount, sqliteDriver, useTestDatabase } from './support/databases.js';
import { suiteFixture } from './support/fixture.js';
import { type Harness, startHarness } from './support/harness.js';
import { postMcp } from './support/mcp.js';
import { nextMillisecond } from './support/time.js';

/**
 * `/mcp` through `app.inject`, JSON-RPC written by hand: the resource's own audience (RFC 8707),
 * the tools' requirements and relations, and the audit of every write with its client.
 */
const BASE = 'https://todo.example.com';
const MCP = `${BASE}/mcp`;
const MCP_METADATA = `${BASE}/.well-known/oauth-protected-resource/mcp`;

function useMcpHarness(env: Record<string, string> = {}): Harness {
  const database = useTestDatabase(sqliteDriver);
  return suiteFixture(
    false,
    () => startHarness(database.config, { API_PUBLIC_URL: BASE, ...env }),
    (h) => h.close(),
  );
}

interface ToolAnswer {
  isError?: boolean;
  content: { type: string; text: string }[];
}

describe('the MCP endpoint', () => {
  const h = useMcpHarness();
  let id = 0;
  const agentToken = (user: TestUser, claims: Record<string, unknown> = {}) =>
    h.idp.accessToken(user, { claims: { aud: MCP, azp: 'agent-client', ...claims } });

  const rpc = (token: string | undefined, method: string, params: object = {}) =>
    h.app.inject({
      method: 'POST',
      url: '/mcp',
      headers: {
        ...(token && { authorization: `Bearer ${token}` }),
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      payload: { jsonrpc: '2.0', id: ++id, method, params },
    });

  const callTool = async (token: string, name: string, args: object = {}) => {
    const res = await rpc(token, 'tools/call', { name, arguments: args });
    expect(res.statusCode, res.body).toBe(200);
    const answer = res.json().result as ToolAnswer;
    const body = JSON.parse(answer.content[0]?.text ?? 'null');
    return { isError: answer.isError === true, body };
  };

  it('answers a request without a token with 401 naming the MCP metadata and scopes', async () => {
    const res = await rpc(undefined, 'tools/list');
    expect(res.statusCode).toBe(401);
    // RFC 6750 §3 `scope` (MCP authorization 2025-11-25): the metadata's `scopes_supported`.
    const scopes = (await h.app.inject({ url: '/.well-known/oauth-protected-resource/mcp' })).json()
      .scopes_supported as string[];
    expect(scopes).toEqual(['openid', 'profile', 'email']);
    const params = `realm="todo-api", resource_metadata="${MCP_METADATA}", scope="${scopes.join(' ')}"`;
    const algs = 'algs="ES256 ES384 ES512 PS256 RS256 EdDSA Ed25519"';
    expect(res.headers['www-authenticate']).toBe(
      `Bearer ${params}, DPoP realm="todo-api", ${algs}, resource_metadata="${MCP_METADATA}", scope="${scopes.join(' ')}"`,
    );
  });

  it('refuses a token for the REST API alone with 401 invalid_token and the RFC 9728 challenge', async () => {
    const res = await rpc(h.tokens.alice, 'tools/list');
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('audience_mismatch');
    // AUTH_EXPLAIN (on with the embedded database) names the audience /mcp expected.
    expect(res.json()).toMatchObject({ expected: MCP, received: 'todo-api, account' });
    const challenge = String(res.headers['www-authenticate']).split(', DPoP ')[0];
    expect(challenge).toMatch(/^Bearer realm="todo-api", error="invalid_token", /);
    expect(challenge).toContain(`resource_metadata="${MCP_METADATA}"`);
  });

  it('lists the seven tools to a token for the MCP resource', async () => {
    const res = await rpc(await agentToken(alice), 'tools/list');
    expect(res.statusCode).toBe(200);
    const names = (res.json().result.tools as { name: string }[]).map((t) => t.name).sort();
    expect(names).toEqual([
      'complete_todo',
      'create_todo',
      'delete_todo',
      'list_lists',
      'list_todos',
      'share_list',
      'update_todo',
    ]);
  });

  it('creates, completes and deletes a todo, each write audited with the agent client', async () => {
    const token = await agentToken(alice);
    const created = await callTool(token, 'create_todo', { title: 'buy milk' });
    expect(created.isError).toBe(false);
    const todoId = created.body.id as string;
    const rest = await h.as('alice', { url: '/todos/' });
    expect(rest.json().items.map((t: { id: string }) => t.id)).toContain(todoId);
    // Audit records of one millisecond are in id order: each write gets a millisecond of its own.
    await nextMillisecond();
    const done = await callTool(token, 'complete_todo', { id: todoId });
    expect(done.body).toMatchObject({ id: todoId, completed: true });
    await nextMillisecond();
    expect((await callTool(token, 'delete_todo', { id: todoId })).body).toEqual({
      deleted: todoId,
    });
    const rows = await h.context.db.kysely
      .selectFrom('audit_log')
      .select(['action', 'actor_client'])
      .where('resource', '=', `todo:${todoId}`)
      .orderBy('at')
      .execute();
    expect(rows.map((r) => [r.action, r.actor_client])).toEqual([
      ['todo.create', 'agent-client'],
      ['todo.update', 'agent-client'],
      ['todo.delete', 'agent-client'],
    ]);
  });

  it('refuses a title of invisible characters as the REST routes do, writing nothing', async () => {
    const token = await agentToken(alice);
    const created = await callTool(token, 'create_todo', { title: 'visible' });
    const id = created.body.id as string;
    for (const title of ['\u200b', '\u2060\ufeff', '\u00ad\u180e', '\u3164', ' \u00a0 ']) {
      for (const [name, args] of [
        ['create_todo', { title }],
        ['update_todo', { id, title }],
      ] as const) {
        const refused = await callTool(token, name, args);
        expect(refused.isError, `${name} ${JSON.stringify(title)}`).toBe(true);
        expect(refused.body).toMatchObject({ code: 'validation_failed', status: 400 });
        expect(refused.body.message).toContain('must contain a visible character');
      }
    }
    const rest = await h.as('alice', { url: '/todos/' });
    const titles = rest.json().items.map((t: { title: string }) => t.title);
    expect(titles).toContain('visible');
    expect(titles.filter((t: string) => t !== 'visible' && !/\p{L}/u.test(t))).toEqual([]);
  });

  it('refuses a tool whose route permission the token lacks, as a tool error with the reason', async () => {
    const token = await agentToken({ ...alice, permissions: ['todos:read'] });
    const refused = await callTool(token, 'create_todo', { title: 'not allowed' });
    expect(refused.isError).toBe(true);
    expect(refused.body).toMatchObject({
      code: 'insufficient_permission',
      status: 403,
      reason: 'permission_missing',
    });
    const read = await callTool(token, 'list_todos');
    expect(read.isError).toBe(false);
    const denial = await h.context.db.kysely
      .selectFrom('audit_log')
      .select(['action', 'actor_client', 'outcome'])
      .where('action', '=', 'mcp create_todo')
      .executeTakeFirst();
    expect(denial).toEqual({
      action: 'mcp create_todo',
      actor_client: 'agent-client',
      outcome: 'denied',
    });
  });

  it("refuses to share a list the caller only views, with the core's relation reason", async () => {
    const list = await h.as('bob', { method: 'POST', url: '/lists/', payload: { name: 'Bob' } });
    const listId = list.json().id as string;
    await h.as('alice', { url: '/lists/' }); // alice becomes known to the API
    const shared = await h.as('bob', {
      method: 'PUT',
      url: `/lists/${listId}/members/alice`,
      payload: { relation: 'viewer' },
    });
    expect(shared.statusCode).toBe(200);
    const token = await agentToken(alice);
    const refused = await callTool(token, 'share_list', {
      listId,
      username: 'carol',
      relation: 'editor',
    });
    expect(refused.body).toMatchObject({ code: 'forbidden', reason: 'relation_missing' });
    const create = await callTool(token, 'create_todo', { title: 'in bob', listId });
    expect(create.body).toMatchObject({ code: 'forbidden', status: 403 });
    const bobs = await callTool(await agentToken(bob), 'share_list', {
      listId,
      username: 'alice',
      relation: 'editor',
    });
    expect(bobs.isError).toBe(false);
    expect(bobs.body).toMatchObject({ relation: 'editor', username: 'alice' });
  });

  it('share_list answers with the person shared with, not a namesake sub of another issuer', async () => {
    // Two issuers may issue the same `sub`: the list already holds the other issuer's one.
    const { db } = h.context;
    const other = { issuer: 'https://other.example/realms/copy', subject: carol.sub };
    await ownerRepository(db).touch(
      { ...other, username: 'aaron', email: null, department: null },
      new Date(),
    );
    await h.as('carol', { url: '/lists/' }); // carol becomes known to the API
    const created = await h.as('alice', {
      method: 'POST',
      url: '/lists/',
      payload: { name: 'Namesakes' },
    });
    const list = created.json().id as string;
    await listRepository(db).setMember(list, other, 'viewer', new Date(), db.kysely);
    const shared = await callTool(await agentToken(alice), 'share_list', {
      listId: list,
      username: 'carol',
      relation: 'viewer',
    });
    expect(shared.isError).toBe(false);
    expect(shared.body).toEqual({ sub: carol.sub, username: 'carol', relation: 'viewer' });
  });

  it("share_list never names another issuer's person by username (OpenID Connect Core §5.7)", async () => {
    const { db } = h.context;
    const elsewhere = { issuer: 'https://partner.example/realms/todo', subject: 'zed-partner' };
    await ownerRepository(db).touch(
      { ...elsewhere, username: 'zed', email: null, department: null },
      new Date(),
    );
    const created = await h.as('alice', { method: 'POST', url: '/lists/', payload: { name: 'Z' } });
    const list = created.json().id as string;
    const token = await agentToken(alice);
    const shared = await callTool(token, 'share_list', {
      listId: list,
      username: 'zed',
      relation: 'viewer',
    });
    expect(shared.isError).toBe(true);
    expect(shared.body).toMatchObject({ code: 'not_found', status: 404 });
    const members = await h.as('alice', { url: `/lists/${list}/members` });
    expect(members.json().map((m: { username: string }) => m.username)).toEqual(['alice']);
  });

  it('answers a todo the caller cannot see as not_found, never as another person’s', async () => {
    const bobs = await h.as('bob', { method: 'POST', url: '/todos/', payload: { title: 'b' } });
    const token = await agentToken(alice);
    const res = await callTool(token, 'delete_todo', { id: bobs.json().id });
    expect(res.body).toMatchObject({ code: 'not_found', status: 404 });
    expect((await h.as('bob', { url: `/todos/${bobs.json().id}` })).statusCode).toBe(200);
  });

  it("ends an agent's access at once when the person is revoked, through the same revocation path", async () => {
    const token = await agentToken(carol);
    expect((await rpc(token, 'tools/list')).statusCode).toBe(200);
    const revoked = await h.as('admin', {
      method: 'POST',
      url: '/admin/sessions/revoke',
      payload: { sub: carol.sub },
    });
    expect(revoked.statusCode).toBe(200);
    const started = Date.now();
    const res = await rpc(token, 'tools/list');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('token_revoked');
    expect(res.headers['www-authenticate']).toContain(`resource_metadata="${MCP_METADATA}"`);
  });

  it('refuses a token for the REST API alone at /mcp however its path is written (RFC 8707 §2)', async () => {
    // The router decodes percent-encoded octets: each of these is the /mcp route.
    const paths = ['/%6Dcp', '/%6dcp', '/mc%70', '/%6D%63%70'];
    const post = (url: string, token: string) =>
      h.app.inject({
        method: 'POST',
        url,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        payload: { jsonrpc: '2.0', id: ++id, method: 'tools/list', params: {} },
      });
    const agent = await agentToken(alice);
    for (const url of paths) {
      const refused = await post(url, h.tokens.alice);
      expect(refused.statusCode, url).toBe(401);
      expect(refused.json().code, url).toBe('audience_mismatch');
      expect(refused.headers['www-authenticate'], url).toContain(
        `resource_metadata="${MCP_METADATA}"`,
      );
      const served = await post(url, agent);
      expect(served.statusCode, url).toBe(200);
      expect(served.json().result.tools).toHaveLength(7);
    }
  });

  it('accepts a token for the MCP resource at the REST API by default', async () => {
    const res = await h.app.inject({
      url: '/todos/',
      headers: { authorization: `Bearer ${await agentToken(alice)}` },
    });
    expect(res.statusCode).toBe(200);
  });
});

describe('the REST API with API_ACCEPTS_MCP_TOKENS=false', () => {
  const h = useMcpHarness({ API_ACCEPTS_MCP_TOKENS: 'false' });

  it('refuses a token whose audience is the MCP resource alone, pointing at its own metadata', async () => {
    const token = await h.idp.accessToken(alice, { claims: { aud: MCP } });
    const res = await h.app.inject({
      url: '/todos/',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('audience_mismatch');
    expect(res.headers['www-authenticate']).toContain(
      `resource_metadata="${BASE}/.well-known/oauth-protected-resource"`,
    );
    const api = await h.idp.accessToken(alice, { claims: { aud: BASE } });
    const own = await h.app.inject({ url: '/todos/', headers: { authorization: `Bearer ${api}` } });
    expect(own.statusCode).toBe(200);
  });

  it('refuses a token that names no client, which cannot be shown to be the app’s own', async () => {
    const person = { ...alice, sub: 'clientless-0000-rest', username: 'clientless' };
    const clientless = await h.idp.accessToken(person, {
      claims: { aud: BASE, azp: undefined, client_id: undefined },
    });
    const [audits, lists] = [
      await rowCount(h.context.db, 'audit_log'),
      await rowCount(h.context.db, 'lists'),
    ];
    for (const [method, url] of [
      ['GET', '/todos/'],
      ['GET', '/me'],
      ['POST', '/lists/'],
    ] as const) {
      const res = await h.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${clientless}` },
        ...(method === 'POST' && { payload: { name: 'never' } }),
      });
      expect(res.statusCode, url).toBe(403);
      expect(res.json(), url).toMatchObject({ code: 'forbidden' });
      expect(res.json().detail, url).toMatch(
        /names no client \(none of azp, client_id, cid or appid;/,
      );
      expect(res.headers['www-authenticate'], url).toMatch(/error="insufficient_scope"/);
    }
    // Nothing written but the three denials' audit records; the person's own client is served.
    expect(await rowCount(h.context.db, 'audit_log')).toBe(audits + 3);
    expect(await rowCount(h.context.db, 'lists')).toBe(lists);
    const own = await h.idp.accessToken(person, { claims: { aud: BASE, azp: 'todo-ui' } });
    const res = await h.app.inject({ url: '/todos/', headers: { authorization: `Bearer ${own}` } });
    expect(res.statusCode).toBe(200);
  });
});

describe('the MCP endpoint and the rest of the request lifecycle', () => {
  const h = useMcpHarness();

  it('counts the request in the metrics and leaves nothing in flight', async () => {
    const token = await h.idp.accessToken(alice, { claims: { aud: MCP } });
    const res = await postMcp(h.app, token, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-request-id']).toEqual(expect.any(String));
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const metrics = (await h.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/http_requests_total\{[^}]*route="\/mcp"[^}]*status="200"[^}]*\} 1/);
    expect(metrics).toMatch(/http_requests_in_flight 1\b/);
  });

  it('answers JSON with charset=utf-8, as every other JSON answer of the API', async () => {
    const token = await h.idp.accessToken(alice, { claims: { aud: MCP } });
    const list = await postMcp(h.app, token, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(list.statusCode).toBe(200);
    expect(list.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(list.json()).toMatchObject({
      jsonrpc: '2.0',
      id: 1,
      result: { tools: expect.any(Array) },
    });
    // The transport's own JSON-RPC refusals too (MCP Transports: Accept must list both types).
    const refused = await h.app.inject({
      method: 'POST',
      url: '/mcp',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      payload: { jsonrpc: '2.0', id: 2, method: 'tools/list' },
    });
    expect(refused.statusCode).toBe(406);
    expect(refused.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(refused.json()).toMatchObject({ jsonrpc: '2.0', error: { code: expect.any(Number) } });
  });
});
