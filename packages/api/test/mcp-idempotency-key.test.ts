import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { alice } from '@todo-sso/auth/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { useListeningHarness } from './support/mcp.js';

/**
 * The MCP tool `create_todo` with the SDK's own client over real HTTP: a call sent again after a
 * lost answer, by the same client or by a new connection of it (as a restarted assistant would),
 * with the same `idempotencyKey` creates one todo and is answered with the first answer. Without
 * a key each call is a new todo: the JSON-RPC request id is no key, since every connection of the
 * SDK's client numbers its requests from 0 again.
 */
describe('create_todo retried through the SDK client', () => {
  const { h, server } = useListeningHarness();
  const clients: Client[] = [];
  afterAll(async () => {
    for (const c of clients) await c.close();
  });

  /** A new connection of alice's assistant (client `agent-client`) to `/mcp`. */
  const connect = async () => {
    const token = await h.idp.accessToken(alice, {
      claims: { aud: `${server.base}/mcp`, azp: 'agent-client' },
    });
    const client = new Client({ name: 'retrying-agent', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL('/mcp', server.base), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    });
    await client.connect(transport);
    clients.push(client);
    return client;
  };
  const create = async (client: Client, args: Record<string, unknown>) => {
    const result = (await client.callTool({
      name: 'create_todo',
      arguments: args,
    })) as CallToolResult;
    const first = result.content[0];
    return {
      isError: result.isError === true,
      body: JSON.parse(first?.type === 'text' ? first.text : 'null'),
    };
  };
  const titled = async (title: string) =>
    h.context.db.kysely.selectFrom('todos').select('id').where('title', '=', title).execute();

  it('documents the argument in the tool’s input schema', async () => {
    const { tools } = await (await connect()).listTools();
    const tool = tools.find((t) => t.name === 'create_todo');
    expect(tool?.inputSchema.properties).toHaveProperty('idempotencyKey');
    expect(tool?.inputSchema.required ?? []).not.toContain('idempotencyKey');
  });

  it('creates one todo for a call sent again with its key, on the same or a new connection', async () => {
    const title = `Once ${randomUUID()}`;
    const args = { title, description: 'by the assistant', idempotencyKey: randomUUID() };
    const agent = await connect();
    const first = await create(agent, args);
    const again = await create(agent, args);
    const reconnected = await create(await connect(), args);
    expect(first.isError).toBe(false);
    expect(first.body).toMatchObject({ title, description: 'by the assistant' });
    expect(again).toEqual(first);
    expect(reconnected).toEqual(first);
    expect(await titled(title)).toEqual([{ id: first.body.id }]);
    // The same key with other arguments changes nothing and says why.
    const other = await create(agent, { ...args, title: `${title} (other)` });
    expect(other).toMatchObject({ isError: true, body: { code: 'idempotency_key_reused' } });
    expect(await titled(`${title} (other)`)).toEqual([]);
  });

  it('creates a todo for each call without a key, whatever its request id', async () => {
    const title = `Twice ${randomUUID()}`;
    // Two connections: each sends `initialize` then this call, with the same request ids.
    const one = await create(await connect(), { title });
    const two = await create(await connect(), { title });
    expect(one.isError || two.isError).toBe(false);
    expect(two.body.id).not.toBe(one.body.id);
    expect(await titled(title)).toHaveLength(2);
  });

  it('refuses a malformed key and creates nothing', async () => {
    const title = `Malformed ${randomUUID()}`;
    const refused = await create(await connect(), { title, idempotencyKey: 'has space' });
    expect(refused).toMatchObject({ isError: true, body: { code: 'validation_failed' } });
    expect(refused.body.message).toContain('idempotencyKey');
    expect(await titled(title)).toEqual([]);
  });

  it('refuses a key longer than 255 characters, saying so, and creates nothing', async () => {
    const title = `Long key ${randomUUID()}`;
    const refused = await create(await connect(), { title, idempotencyKey: 'k'.repeat(256) });
    expect(refused).toMatchObject({ isError: true, body: { code: 'validation_failed' } });
    expect(refused.body.message).toContain('idempotencyKey');
    expect(refused.body.message).toContain('longer than 255 characters');
    expect(await titled(title)).toEqual([]);
    const longest = await create(await connect(), { title, idempotencyKey: 'k'.repeat(255) });
    expect(longest.isError).toBe(false);
  });
});
