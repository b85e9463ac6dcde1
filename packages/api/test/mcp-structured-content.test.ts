import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { alice } from '@todo-sso/auth/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { useListeningHarness } from './support/mcp.js';

/**
 * Every tool publishes an output schema and answers with structured content that validates
 * against it (MCP 2025-06-18, Server › Tools, "Output Schema", "Structured Content"), the same
 * JSON serialized in a text block for older clients, and the REST route's answer for the same
 * thing. The SDK's own client over real HTTP is the peer: it checks structured content against
 * the published schema itself, and its validator checks it here once more.
 */
describe('the MCP tools’ structured content', () => {
  const { h, server } = useListeningHarness();
  const clients: Client[] = [];
  afterAll(async () => {
    for (const c of clients) await c.close();
  });

  const agent = async () => {
    const token = await h.idp.accessToken(alice, {
      claims: { aud: `${server.base}/mcp`, azp: 'agent-client' },
    });
    const client = new Client({ name: 'structured-agent', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', server.base), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    clients.push(client);
    return client;
  };

  /** Calls `name`, checks the structured content against `tool`'s schema and the text. */
  const validator = new AjvJsonSchemaValidator();
  const call = async (client: Client, tools: Map<string, Tool>, name: string, args: object) => {
    const result = (await client.callTool({ name, arguments: { ...args } })) as CallToolResult;
    expect(result.isError, JSON.stringify(result.content)).not.toBe(true);
    const structured = result.structuredContent;
    expect(structured, name).toEqual(expect.any(Object));
    const schema = tools.get(name)?.outputSchema;
    expect(schema?.type, name).toBe('object');
    const check = validator.getValidator(schema as Record<string, unknown>)(structured);
    expect(check.valid, `${name}: ${check.errorMessage}`).toBe(true);
    expect(result.content).toEqual([{ type: 'text', text: JSON.stringify(structured) }]);
    return structured as Record<string, unknown>;
  };

  it('answers every tool with structured content matching its schema and the REST answer', async () => {
    const client = await agent();
    const tools = new Map((await client.listTools()).tools.map((t) => [t.name, t]));
    for (const [name, tool] of tools) expect(tool.outputSchema?.type, name).toBe('object');
    expect(tools.size).toBe(7);
    await h.as('carol', { url: '/todos/' });
    const list = (
      await h.as('alice', { method: 'POST', url: '/lists/', payload: { name: 'Shaped' } })
    ).json().id as string;

    const made = await call(client, tools, 'create_todo', { title: 'shaped', listId: list });
    const rest = (await h.as('alice', { url: `/todos/${made.id}` })).json();
    expect(made).toEqual(rest);
    const again = await call(client, tools, 'create_todo', {
      title: 'once',
      idempotencyKey: 'b1f0c2e4-5d6a-4b7c-8d9e-0f1a2b3c4d5e',
    });
    const replayed = await call(client, tools, 'create_todo', {
      title: 'once',
      idempotencyKey: 'b1f0c2e4-5d6a-4b7c-8d9e-0f1a2b3c4d5e',
    });
    expect(replayed).toEqual(again);

    const changed = await call(client, tools, 'update_todo', { id: made.id, description: null });
    const done = await call(client, tools, 'complete_todo', { id: made.id });
    expect(done).toEqual((await h.as('alice', { url: `/todos/${made.id}` })).json());
    expect([changed.version, done.version]).toEqual([2, 3]);

    const page = await call(client, tools, 'list_todos', { listId: list });
    expect(page).toEqual((await h.as('alice', { url: `/todos/?list=${list}` })).json());

    const lists = await call(client, tools, 'list_lists', {});
    const restLists = (await h.as('alice', { url: '/lists/' })).json() as { actions: unknown }[];
    expect(lists).toEqual({ items: restLists.map(({ actions: _, ...rest }) => rest) });

    const shared = await call(client, tools, 'share_list', {
      listId: list,
      username: 'carol',
      relation: 'viewer',
    });
    const members = (await h.as('alice', { url: `/lists/${list}/members` })).json();
    expect(members).toContainEqual(shared);

    expect(await call(client, tools, 'delete_todo', { id: made.id })).toEqual({ deleted: made.id });
  });

  it('answers a refusal as a tool error without structured content', async () => {
    const client = await agent();
    const result = (await client.callTool({
      name: 'delete_todo',
      arguments: { id: '12345678-1234-1234-1234-123456789abc' },
    })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toBeUndefined();
    expect(JSON.parse((result.content[0] as { text: string }).text)).toMatchObject({
      code: 'not_found',
    });
  });
});
