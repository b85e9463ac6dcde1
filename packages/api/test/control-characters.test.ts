import { describe, expect, it } from 'vitest';
import { LINE_PATTERN_MESSAGE, MULTILINE_PATTERN_MESSAGE } from '../src/schemas/common.js';
import { drivers, rowCount, useTestDatabase } from './support/databases.js';
import { suiteFixture } from './support/fixture.js';
import { startHarness } from './support/harness.js';
import { callMcpTool } from './support/mcp.js';

const BASE = 'https://todo.example.com';
const json = { 'content-type': 'application/json' };

interface Problem {
  status: number;
  code: string;
  errors?: { field: string; message: string }[];
}

/** A JSON string literal of `text`, every non-ASCII and control character escaped. */
const literal = (text: string) =>
  `"${[...text].map((c) => (/[ -~]/.test(c) && c !== '"' && c !== '\\' ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)).join('')}"`;

/** A C0 control character (U+0000–U+001F) or DEL (U+007F), each one. */
const CONTROLS = [...Array.from({ length: 0x20 }, (_, i) => i), 0x7f].map((c) =>
  String.fromCharCode(c),
);
/** What a description may hold of them: tab, line feed, carriage return. */
const LINE_BREAKS = ['\t', '\n', '\r'];

/**
 * A todo's title and a list's name are one line, a description may hold tabs and line breaks;
 * no other C0 control character nor DEL is stored. Refused with the 400 of a schema failure
 * naming the field, on create and update, over REST and MCP, alike on both engines (PostgreSQL's
 * `text` cannot hold U+0000, SQLite can).
 */
describe.each(drivers)('control characters in todo and list text on $driver', (driver) => {
  const database = useTestDatabase(driver);
  const h = suiteFixture(
    driver.skip,
    () => startHarness(database.config, { API_PUBLIC_URL: BASE }),
    (harness) => harness.close(),
  );

  const expectRefused = (
    response: { statusCode: number; json(): unknown },
    field: string,
    message: string,
  ) => {
    expect(response.statusCode, JSON.stringify(response.json())).toBe(400);
    const body = response.json() as Problem;
    expect(body).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(body.errors).toEqual([{ field, message }]);
  };
  const post = (url: string, payload: string) =>
    h.as('alice', { method: 'POST', url, headers: json, payload });

  it.skipIf(driver.skip)(
    'refuses every C0 control character and DEL in a new todo’s title, storing nothing',
    async () => {
      const before = await rowCount(h.context.db, 'todos');
      for (const c of CONTROLS) {
        const response = await post('/todos/', `{"title":${literal(`a${c}b`)}}`);
        expectRefused(response, 'body.title', LINE_PATTERN_MESSAGE);
      }
      expect(await rowCount(h.context.db, 'todos')).toBe(before);
    },
  );

  it.skipIf(driver.skip)(
    'refuses them in a description but tab, line feed and carriage return, stored as sent',
    async () => {
      for (const c of CONTROLS.filter((c) => !LINE_BREAKS.includes(c))) {
        const response = await post('/todos/', `{"title":"ok","description":${literal(c)}}`);
        expectRefused(response, 'body.description', MULTILINE_PATTERN_MESSAGE);
      }
      const description = 'first line\r\n\tindented\nlast';
      const created = await post('/todos/', JSON.stringify({ title: 'lines', description }));
      expect(created.statusCode).toBe(201);
      const read = await h.as('alice', { method: 'GET', url: `/todos/${created.json().id}` });
      expect(read.json()).toMatchObject({ title: 'lines', description });
    },
  );

  it.skipIf(driver.skip)(
    'refuses them in PUT and PATCH and in a list’s todo, leaving the todo as it was',
    async () => {
      const todo = (await post('/todos/', '{"title":"keep"}')).json();
      const change = (method: 'PUT' | 'PATCH', payload: string) =>
        h.as('alice', { method, url: `/todos/${todo.id}`, headers: json, payload });
      expectRefused(
        await change('PUT', '{"title":"x\\u001b[31m","completed":true}'),
        'body.title',
        LINE_PATTERN_MESSAGE,
      );
      expectRefused(
        await change('PATCH', '{"title":"tab\\there"}'),
        'body.title',
        LINE_PATTERN_MESSAGE,
      );
      expectRefused(
        await change('PATCH', '{"description":"bell\\u0007"}'),
        'body.description',
        MULTILINE_PATTERN_MESSAGE,
      );
      expectRefused(
        await change('PUT', '{"title":"ok","description":"\\u007f","completed":false}'),
        'body.description',
        MULTILINE_PATTERN_MESSAGE,
      );
      const read = await h.as('alice', { method: 'GET', url: `/todos/${todo.id}` });
      expect(read.json()).toEqual(todo);

      const before = await rowCount(h.context.db, 'todos');
      expectRefused(
        await post(`/lists/${todo.listId}/todos/`, '{"title":"nul\\u0000"}'),
        'body.title',
        LINE_PATTERN_MESSAGE,
      );
      expect(await rowCount(h.context.db, 'todos')).toBe(before);
    },
  );

  it.skipIf(driver.skip)('refuses them in a list’s name, on create and rename', async () => {
    const before = await rowCount(h.context.db, 'lists');
    for (const c of ['\u0000', '\t', '\n', '\u001f', '\u007f'])
      expectRefused(
        await post('/lists/', `{"name":${literal(`list${c}`)}}`),
        'body.name',
        LINE_PATTERN_MESSAGE,
      );
    expect(await rowCount(h.context.db, 'lists')).toBe(before);
    const list = (await post('/lists/', '{"name":"errands"}')).json();
    const rename = await h.as('alice', {
      method: 'PATCH',
      url: `/lists/${list.id}`,
      headers: json,
      payload: '{"name":"line\\nbreak"}',
    });
    expectRefused(rename, 'body.name', LINE_PATTERN_MESSAGE);
    const lists = (await h.as('alice', { method: 'GET', url: '/lists/' })).json();
    expect(lists.find((l: { id: string }) => l.id === list.id)).toMatchObject({ name: 'errands' });
  });

  it.skipIf(driver.skip)(
    'still reads and changes a todo and a list stored with them before they were refused',
    async () => {
      const todo = (await post('/todos/', '{"title":"old"}')).json();
      const list = (await post('/lists/', '{"name":"old list"}')).json();
      await h.context.db.kysely
        .updateTable('todos')
        .set({ title: 'old\u0007', description: 'bell\u0001' })
        .where('id', '=', todo.id)
        .execute();
      await h.context.db.kysely
        .updateTable('lists')
        .set({ name: 'old\tlist' })
        .where('id', '=', list.id)
        .execute();
      const stored = { title: 'old\u0007', description: 'bell\u0001' };
      const one = await h.as('alice', { method: 'GET', url: `/todos/${todo.id}` });
      expect(one.statusCode).toBe(200);
      expect(one.json()).toMatchObject(stored);
      const page = await h.as('alice', { method: 'GET', url: '/todos/?limit=100' });
      expect(page.statusCode).toBe(200);
      expect(page.json().items).toContainEqual(expect.objectContaining(stored));
      const done = await h.as('alice', {
        method: 'PATCH',
        url: `/todos/${todo.id}`,
        headers: json,
        payload: '{"completed":true}',
      });
      expect(done.statusCode).toBe(200);
      expect(done.json()).toMatchObject({ ...stored, completed: true });
      const lists = await h.as('alice', { method: 'GET', url: '/lists/' });
      expect(lists.statusCode).toBe(200);
      expect(lists.json()).toContainEqual(expect.objectContaining({ name: 'old\tlist' }));
    },
  );

  describe('over MCP', () => {
    const callTool = (name: string, args: object) => callMcpTool(h, BASE, name, args);

    it.skipIf(driver.skip).each([
      ['a NUL in the title', { title: 'a\u0000b' }, 'title'],
      ['an escape in the title', { title: '\u001b[2J' }, 'title'],
      ['a line feed in the title', { title: 'two\nlines' }, 'title'],
      ['DEL in the description', { title: 'ok', description: 'x\u007f' }, 'description'],
      ['a NUL in the description', { title: 'ok', description: '\u0000' }, 'description'],
    ])(
      'refuses create_todo with %s as the REST route does, storing nothing',
      async (_name, args, field) => {
        const before = await rowCount(h.context.db, 'todos');
        const refused = await callTool('create_todo', args);
        expect(refused.isError).toBe(true);
        expect(refused.body).toMatchObject({ code: 'validation_failed', status: 400 });
        expect(refused.body.message).toMatch(
          new RegExp(`^${field} must not contain a control character`),
        );
        expect(await rowCount(h.context.db, 'todos')).toBe(before);
      },
    );

    it.skipIf(driver.skip)(
      'refuses update_todo with them, and keeps tabs and line breaks in a description',
      async () => {
        const created = await callTool('create_todo', { title: 'agent', description: 'a\tb\r\nc' });
        expect(created.isError).toBe(false);
        expect(created.body).toMatchObject({ description: 'a\tb\r\nc' });
        for (const changes of [{ title: 'x\u0000' }, { description: '\u0008' }]) {
          const refused = await callTool('update_todo', { id: created.body.id, ...changes });
          expect(refused.isError).toBe(true);
          expect(refused.body).toMatchObject({ code: 'validation_failed', status: 400 });
        }
        const read = await h.as('alice', { method: 'GET', url: `/todos/${created.body.id}` });
        expect(read.json()).toMatchObject({ title: 'agent', description: 'a\tb\r\nc' });
      },
    );
  });
});
