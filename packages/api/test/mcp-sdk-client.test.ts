import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { alice, bob, type TestUser } from '@todo-sso/auth/testing';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteDriver, useTestDatabase } from './support/databases.js';
import { suiteFixture } from './support/fixture.js';
import { type Harness, startHarness } from './support/harness.js';

/**
 * `/mcp` with the SDK's own `Client` and Streamable HTTP transport as the independent peer, over
 * real HTTP with signed tokens: an agent holding a read-only person's token writes through no
 * tool, even in a list the person edits; an agent reaches nobody else's todos; malformed tool
 * input changes nothing.
 */
describe('the MCP tools through the SDK client', () => {
  const database = useTestDatabase(sqliteDriver);
  const h: Harness = suiteFixture(
    false,
    () => startHarness(database.config),
    (x) => x.close(),
  );
  let base = '';
  const clients: Client[] = [];
  const reader: TestUser = {
    ...alice,
    sub: 'reader-0000-read-only',
    username: 'reader',
    email: 'reader@example.com',
    permissions: ['todos:read'],
  };

  beforeAll(async () => {
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
  });

  /** An SDK client connected to `/mcp` with an agent's token for `user`. */
  const agentOf = async (user: TestUser) => {
    const token = await h.idp.accessToken(user, {
      claims: { aud: `${base}/mcp`, azp: 'agent-client' },
    });
    const client = new Client({ name: 'review-agent', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL('/mcp', base), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    });
    await client.connect(transport);
    clients.push(client);
    return client;
  };
  const call = async (client: Client, name: string, args: Record<string, unknown>) => {
    const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
    const first = result.content[0];
    const text = first?.type === 'text' ? first.text : '';
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {}
    return { isError: result.isError === true, body };
  };
  /** A REST call with the person's own (first-party) token. */
  const rest = async (user: TestUser, options: InjectOptions) => {
    const token = await h.idp.accessToken(user);
    return h.app.inject({ ...options, headers: { authorization: `Bearer ${token}` } });
  };

  it('gives a read-only agent no write through any tool, even in a list its person edits', async () => {
    await rest(reader, { url: '/lists/' });
    const list = (
      await h.as('alice', { method: 'POST', url: '/lists/', payload: { name: 'R' } })
    ).json().id as string;
    const shared = await h.as('alice', {
      method: 'PUT',
      url: `/lists/${list}/members/reader`,
      payload: { relation: 'editor' },
    });
    expect(shared.statusCode).toBe(200);
    const todo = (
      await h.as('alice', {
        method: 'POST',
        url: '/todos/',
        payload: { title: 'keep', listId: list },
      })
    ).json().id as string;

    const agent = await agentOf(reader);
    const writes: [string, Record<string, unknown>][] = [
      ['create_todo', { title: 'x' }],
      ['create_todo', { title: 'x', listId: list }],
      ['update_todo', { id: todo, title: 'changed' }],
      ['complete_todo', { id: todo }],
      ['delete_todo', { id: todo }],
      ['share_list', { listId: list, username: 'bob', relation: 'viewer' }],
    ];
    for (const [name, args] of writes) {
      const answer = await call(agent, name, args);
      expect(answer.isError, name).toBe(true);
      expect(answer.body, name).toMatchObject({ status: 403, reason: 'permission_missing' });
    }
    const read = await call(agent, 'list_todos', { listId: list });
    expect(read.isError).toBe(false);
    expect(read.body).toMatchObject({ items: [{ id: todo, title: 'keep', completed: false }] });
    const members = await h.as('alice', { url: `/lists/${list}/members` });
    expect(
      members
        .json()
        .map((m: { username: string }) => m.username)
        .sort(),
    ).toEqual(['alice', 'reader']);
  });

  it("reaches nobody else's todos: another person's todo is not_found to every tool", async () => {
    const bobs = (
      await rest(bob, { method: 'POST', url: '/todos/', payload: { title: 'bob' } })
    ).json().id as string;
    const agent = await agentOf(alice);
    for (const [name, args] of [
      ['update_todo', { id: bobs, title: 'mine now' }],
      ['complete_todo', { id: bobs }],
      ['delete_todo', { id: bobs }],
    ] as const) {
      const answer = await call(agent, name, args);
      expect(answer.isError, name).toBe(true);
      expect(answer.body, name).toMatchObject({ code: 'not_found', status: 404 });
    }
    const listed = await call(agent, 'list_todos', {});
    expect(JSON.stringify(listed.body)).not.toContain(bobs);
    const still = await rest(bob, { url: `/todos/${bobs}` });
    expect(still.json()).toMatchObject({ title: 'bob', completed: false });
  });

  it('answers a cursor it never issued and an update without a change as validation_failed, as REST does', async () => {
    const agent = await agentOf(alice);
    const forged = Buffer.from(JSON.stringify(['2024-13-45T99:99:99.999Z', 'x'])).toString(
      'base64url',
    );
    for (const cursor of ['!!!', forged]) {
      const answer = await call(agent, 'list_todos', { cursor });
      expect(answer.isError, cursor).toBe(true);
      expect(answer.body, cursor).toMatchObject({ code: 'validation_failed', status: 400 });
      const rest = await h.as('alice', { url: `/todos/?cursor=${cursor}` });
      expect(rest.statusCode, cursor).toBe(400);
    }
    const todo = (
      await h.as('alice', { method: 'POST', url: '/todos/', payload: { title: 'same' } })
    ).json() as { id: string; version: number };
    const empty = await call(agent, 'update_todo', { id: todo.id });
    expect(empty.isError).toBe(true);
    expect(empty.body).toMatchObject({ code: 'validation_failed', status: 400 });
    const rest = await h.as('alice', { method: 'PATCH', url: `/todos/${todo.id}`, payload: {} });
    expect(rest.statusCode).toBe(400);
    const after = (await h.as('alice', { url: `/todos/${todo.id}` })).json();
    expect(after).toMatchObject({ title: 'same', version: todo.version });
  });

  it('shares with a person known by an email as long as the REST route takes (320 characters)', async () => {
    const email = `${'l'.repeat(244)}.${'o'.repeat(63)}@example.com`;
    expect(email.length).toBe(320);
    const longMail: TestUser = {
      ...bob,
      sub: 'long-mail-0000-person',
      username: 'longmail',
      email,
    };
    // The person signs in once, so the API knows them by their email.
    expect((await rest(longMail, { url: '/todos/' })).statusCode).toBe(200);
    const list = (
      await h.as('alice', { method: 'POST', url: '/lists/', payload: { name: 'L' } })
    ).json().id as string;
    const agent = await agentOf(alice);
    const shared = await call(agent, 'share_list', {
      listId: list,
      username: email,
      relation: 'viewer',
    });
    expect(shared.isError, JSON.stringify(shared.body)).toBe(false);
    expect(shared.body).toMatchObject({ username: 'longmail', relation: 'viewer' });
    const tooLong = await call(agent, 'share_list', {
      listId: list,
      username: `x${email}`,
      relation: 'viewer',
    });
    expect(tooLong.isError).toBe(true);
  });

  it('refuses malformed tool input and writes nothing', async () => {
    const agent = await agentOf(alice);
    const before = (await h.as('alice', { url: '/todos/?limit=100' })).json().items.length;
    for (const args of [
      { title: '' },
      { title: '   ' },
      { title: 'x'.repeat(201) },
      { title: 'ok', listId: '../../lists' },
      { title: 'ok', description: 'd'.repeat(2001) },
      { title: 42 },
    ]) {
      const answer = await call(agent, 'create_todo', args);
      expect(answer.isError, JSON.stringify(args).slice(0, 60)).toBe(true);
    }
    const after = (await h.as('alice', { url: '/todos/?limit=100' })).json().items.length;
    expect(after).toBe(before);
  });

  it('refuses an argument the tool does not name, as the REST routes refuse an unknown field', async () => {
    const agent = await agentOf(alice);
    for (const tool of (await agent.listTools()).tools)
      expect(tool.inputSchema.additionalProperties, tool.name).toBe(false);
    const list = (
      await h.as('alice', { method: 'POST', url: '/lists/', payload: { name: 'Typos' } })
    ).json().id as string;
    const todo = (await call(agent, 'create_todo', { title: 'kept', listId: list })).body as {
      id: string;
    };
    const before = (await h.as('alice', { url: '/todos/?limit=100' })).json().items.length;
    // A misspelt field is not dropped: the todo would land in the default list, the change
    // would be half made.
    for (const [name, args, field] of [
      ['create_todo', { title: 'typo', list_id: list }, 'list_id'],
      ['update_todo', { id: todo.id, title: 'renamed', complete: true }, 'complete'],
      ['list_todos', { listID: list }, 'listID'],
      ['delete_todo', { id: todo.id, confirm: true }, 'confirm'],
    ] as const) {
      const answer = await call(agent, name, args);
      expect(answer.isError, name).toBe(true);
      expect(answer.body).toMatchObject({ code: 'validation_failed', status: 400 });
      expect((answer.body as { message: string }).message).toContain(field);
    }
    const after = (await h.as('alice', { url: '/todos/?limit=100' })).json().items;
    expect(after.length).toBe(before);
    expect(after.find((t: { id: string }) => t.id === todo.id)?.title).toBe('kept');
  });
});
