import { describe, expect, it } from 'vitest';
import { drivers, rowCount, useTestDatabase } from './support/databases.js';
import { suiteFixture } from './support/fixture.js';
import { startHarness } from './support/harness.js';
import { callMcpTool } from './support/mcp.js';

const BASE = 'https://todo.example.com';
const json = { 'content-type': 'application/json' };

/** Every C1 control character (U+0080–U+009F), sent as a JSON escape. */
const C1 = Array.from({ length: 0x20 }, (_, i) => `\\u${(0x80 + i).toString(16).padStart(4, '0')}`);

/**
 * The C1 control characters (U+0080–U+009F, Unicode general category Cc like C0 and DEL) are
 * control characters too: U+009B is CSI, the one-character start of an ANSI escape sequence that
 * xterm obeys in UTF-8, U+0085 is a line break (NEL). A title, a list's name and a description
 * refuse them as they refuse ESC, on both engines, over REST and MCP; a todo stored with one
 * before still reads.
 */
describe.each(drivers)('C1 control characters in todo and list text on $driver', (driver) => {
  const database = useTestDatabase(driver);
  const h = suiteFixture(
    driver.skip,
    () => startHarness(database.config, { API_PUBLIC_URL: BASE }),
    (harness) => harness.close(),
  );
  const send = (method: string, url: string, payload: string) =>
    h.as('alice', { method, url, headers: json, payload });
  const expectRefused = (res: { statusCode: number; json(): unknown }, field: string) => {
    expect(res.statusCode, JSON.stringify(res.json())).toBe(400);
    const body = res.json() as { code: string; errors: { field: string; message: string }[] };
    expect(body.code).toBe('validation_failed');
    expect(body.errors.map((e) => e.field)).toEqual([field]);
    expect(body.errors[0]?.message).toMatch(/control character/);
  };

  it.skipIf(driver.skip)(
    'refuses each of them in a title, a description and a list name, storing nothing',
    async () => {
      const todos = await rowCount(h.context.db, 'todos');
      const lists = await rowCount(h.context.db, 'lists');
      for (const c of C1) {
        expectRefused(await send('POST', '/todos/', `{"title":"a${c}[2Jb"}`), 'body.title');
        expectRefused(
          await send('POST', '/todos/', `{"title":"ok","description":"x${c}"}`),
          'body.description',
        );
        expectRefused(await send('POST', '/lists/', `{"name":"l${c}"}`), 'body.name');
      }
      expect(await rowCount(h.context.db, 'todos')).toBe(todos);
      expect(await rowCount(h.context.db, 'lists')).toBe(lists);
    },
  );

  it.skipIf(driver.skip)(
    'refuses them on PATCH and PUT, and still reads a stored one',
    async () => {
      const todo = (await send('POST', '/todos/', '{"title":"keep"}')).json();
      expectRefused(
        await send('PATCH', `/todos/${todo.id}`, '{"title":"\\u009b2J"}'),
        'body.title',
      );
      expectRefused(
        await send(
          'PUT',
          `/todos/${todo.id}`,
          '{"title":"ok","description":"\\u0085","completed":false}',
        ),
        'body.description',
      );
      await h.context.db.kysely
        .updateTable('todos')
        .set({ title: 'old\u009b', description: 'x\u0085y' })
        .where('id', '=', todo.id)
        .execute();
      const read = await h.as('alice', { method: 'GET', url: `/todos/${todo.id}` });
      expect(read.statusCode).toBe(200);
      expect(read.json()).toMatchObject({ title: 'old\u009b', description: 'x\u0085y' });
    },
  );

  it.skipIf(driver.skip)('refuses them over MCP as over REST', async () => {
    const before = await rowCount(h.context.db, 'todos');
    const answer = await callMcpTool(h, BASE, 'create_todo', { title: '\u009b31mred' });
    expect(answer.isError).toBe(true);
    expect(answer.body).toMatchObject({ code: 'validation_failed', status: 400 });
    expect(await rowCount(h.context.db, 'todos')).toBe(before);
  });
});
