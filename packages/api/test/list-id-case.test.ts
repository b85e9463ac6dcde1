import { alice } from '@todo-sso/auth/testing';
import { describe, expect, it } from 'vitest';
import { callMcpTool, postMcp, useListeningHarness } from './support/mcp.js';

/**
 * One rule for a list or todo id on the REST routes and the MCP tools: a UUID in its string
 * form (RFC 9562 §4: 8-4-4-4-12 hex digits, case-insensitive on input), lower-cased by the
 * API. An id in upper case names the same list; one of the right shape that names nothing is
 * 404 `not_found` on both, whatever its version and variant bits; anything else 400.
 */
describe('list and todo ids on REST and MCP', () => {
  const { h } = useListeningHarness();
  const BASE = 'http://localhost';
  const tool = (name: string, args: object) => callMcpTool(h, BASE, name, args);

  it('serve a list named by its upper-case id on both', async () => {
    await h.as('carol', { url: '/todos/' });
    const list = (
      await h.as('alice', { method: 'POST', url: '/lists/', payload: { name: 'Up' } })
    ).json().id as string;
    const id = list.toUpperCase();
    expect((await h.as('alice', { url: `/todos/?list=${id}` })).statusCode).toBe(200);
    const rest = await h.as('alice', {
      method: 'POST',
      url: '/todos/',
      payload: { title: 'rest', listId: id },
    });
    expect(rest.json()).toMatchObject({ listId: list });
    const made = await tool('create_todo', { title: 'mcp', listId: id });
    expect(made).toMatchObject({ isError: false, body: { listId: list } });
    const listed = await tool('list_todos', { listId: id });
    expect(listed.body.items.map((t: { title: string }) => t.title).sort()).toEqual([
      'mcp',
      'rest',
    ]);
    const shared = await tool('share_list', { listId: id, username: 'carol', relation: 'viewer' });
    expect(shared).toMatchObject({ isError: false, body: { relation: 'viewer' } });
    const done = await tool('complete_todo', { id: made.body.id.toUpperCase() });
    expect(done).toMatchObject({ isError: false, body: { id: made.body.id, completed: true } });
    const renamed = await tool('update_todo', { id: made.body.id.toUpperCase(), title: 'MCP' });
    expect(renamed).toMatchObject({ isError: false, body: { id: made.body.id, listId: list } });
    // Every answer names the todo as stored (lower case), as REST does, never as typed.
    const deleted = await tool('delete_todo', { id: made.body.id.toUpperCase() });
    expect(deleted).toEqual({ isError: false, body: { deleted: made.body.id } });
    expect((await h.as('alice', { url: `/todos/${made.body.id}` })).statusCode).toBe(404);
  });

  it('answer an id of the UUID form that names nothing 404 on both, whatever its version bits', async () => {
    // Neither version (1–8) nor variant (10xx) bits of RFC 9562 §4.1–4.2: still a UUID's form.
    for (const id of [
      '12345678-1234-1234-1234-123456789abc',
      '12345678-1234-1234-1234-123456789ABC',
      '00000000-0000-0000-c000-000000000000',
    ]) {
      expect((await h.as('alice', { url: `/todos/?list=${id}` })).statusCode, id).toBe(404);
      expect((await h.as('alice', { url: `/todos/${id}` })).statusCode, id).toBe(404);
      for (const [name, args] of [
        ['list_todos', { listId: id }],
        ['create_todo', { title: 'x', listId: id }],
        ['share_list', { listId: id, username: 'carol', relation: 'viewer' }],
        ['update_todo', { id, title: 'x' }],
        ['complete_todo', { id }],
        ['delete_todo', { id }],
      ] as const) {
        const answer = await tool(name, args);
        expect(answer, `${name} ${id}`).toMatchObject({
          isError: true,
          body: { code: 'not_found', status: 404 },
        });
      }
    }
  });

  it("publish that rule in each tool's input schema", async () => {
    const token = await h.idp.accessToken(alice, {
      claims: { aud: `${BASE}/mcp`, azp: 'agent-client' },
    });
    const res = await postMcp(h.app, token, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const tools = res.json().result.tools as {
      name: string;
      inputSchema: { properties: Record<string, { format?: string; pattern?: string }> };
    }[];
    let ids = 0;
    for (const { name, inputSchema } of tools)
      for (const [field, schema] of Object.entries(inputSchema.properties)) {
        if (schema.format !== 'uuid') continue;
        ids += 1;
        const pattern = new RegExp(schema.pattern ?? '');
        for (const id of [
          '12345678-1234-1234-1234-123456789abc',
          'ABCDEF01-2345-6789-ABCD-EF0123456789',
        ])
          expect(pattern.test(id), `${name}.${field} ${id}`).toBe(true);
        expect(pattern.test('12345678123412341234123456789abc'), `${name}.${field}`).toBe(false);
      }
    expect(ids).toBe(6);
  });

  it('refuse an id not of the UUID form with 400 on both', async () => {
    for (const id of [
      '12345678123412341234123456789abc',
      '{12345678-1234-1234-1234-123456789abc}',
      'urn:uuid:12345678-1234-1234-1234-123456789abc',
      '12345678-1234-1234-1234-123456789abg',
    ]) {
      expect(
        (await h.as('alice', { url: `/todos/?list=${encodeURIComponent(id)}` })).statusCode,
        id,
      ).toBe(400);
      const answer = await tool('list_todos', { listId: id });
      expect(answer, id).toMatchObject({
        isError: true,
        body: { code: 'validation_failed', status: 400 },
      });
    }
  });
});
