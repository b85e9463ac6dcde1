import { describe, expect, it } from 'vitest';
import { drivers, rowCount } from './support/databases.js';
import { useHarness } from './support/harness.js';

interface Problem {
  status: number;
  code: string;
  errors?: { field: string; message: string }[];
}

/**
 * Text the two engines would store differently, or not as sent: PostgreSQL's `text` cannot hold
 * U+0000 (SQLite can), and an unpaired UTF-16 surrogate has no UTF-8 form, so both drivers store
 * U+FFFD in its place. Such input is refused alike on both engines, naming the field.
 */
describe.each(drivers)('text input on $driver', ({ skip, create }) => {
  const h = useHarness({ skip, create });
  const json = { 'content-type': 'application/json' };

  const expectRefused = (response: { statusCode: number; json(): unknown }, field: string) => {
    expect(response.statusCode).toBe(400);
    const body = response.json() as Problem;
    expect(body).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(body.errors?.map((e) => e.field)).toEqual([field]);
  };

  it.skipIf(skip).each([
    ['a NUL in the title', '{"title":"a\\u0000b"}', 'body.title'],
    ['a NUL in the description', '{"title":"ok","description":"d\\u0000"}', 'body.description'],
    ['an unpaired high surrogate in the title', '{"title":"a\\ud800b"}', 'body.title'],
    ['an unpaired low surrogate in the title', '{"title":"\\udc00"}', 'body.title'],
    [
      'reversed surrogates in the description',
      '{"title":"ok","description":"\\ude00\\ud83d"}',
      'body.description',
    ],
  ])(
    'refuses a todo with %s with 400 naming it and stores nothing',
    async (_name, payload, field) => {
      const before = await rowCount(h.context.db, 'todos');
      const audits = await rowCount(h.context.db, 'audit_log');
      const response = await h.as('alice', {
        method: 'POST',
        url: '/todos/',
        headers: json,
        payload,
      });
      expectRefused(response, field);
      expect(response.json().errors[0].message).toMatch(
        /^must not contain a control character .*or an unpaired surrogate$/,
      );
      expect(await rowCount(h.context.db, 'todos')).toBe(before);
      expect(await rowCount(h.context.db, 'audit_log')).toBe(audits);
    },
  );

  it.skipIf(skip)('refuses such text in PUT and PATCH, leaving the todo as it was', async () => {
    const created = await h.as('alice', {
      method: 'POST',
      url: '/todos/',
      payload: { title: 'keep' },
    });
    const todo = created.json();
    for (const [method, payload] of [
      ['PUT', '{"title":"x\\u0000","completed":true}'],
      ['PATCH', '{"title":"\\ud800"}'],
      ['PATCH', '{"description":"\\u0000"}'],
    ] as const) {
      const response = await h.as('alice', {
        method,
        url: `/todos/${todo.id}`,
        headers: json,
        payload,
      });
      expect(response.statusCode).toBe(400);
    }
    expect((await h.as('alice', { method: 'GET', url: `/todos/${todo.id}` })).json()).toEqual(todo);
  });

  it.skipIf(skip)(
    'stores 4-byte emoji up to 200 characters (code points), bidi controls and line breaks exactly as sent',
    async () => {
      const title = '😀'.repeat(200);
      const description = 'abc \u202edcba\u202c \t é\r\n';
      const created = await h.as('alice', {
        method: 'POST',
        url: '/todos/',
        payload: { title, description },
      });
      expect(created.statusCode).toBe(201);
      const read = await h.as('alice', { method: 'GET', url: `/todos/${created.json().id}` });
      expect(read.json()).toMatchObject({ title, description });
      const over = await h.as('alice', {
        method: 'POST',
        url: '/todos/',
        payload: { title: '😀'.repeat(201) },
      });
      expectRefused(over, 'body.title');
    },
  );

  it.skipIf(skip).each([
    ['/reports/summary?department=%00', 'querystring.department'],
    ['/admin/todos?owner=a%00', 'querystring.owner'],
  ])('refuses the query %s with 400 naming %s', async (url, field) => {
    expectRefused(await h.as('admin', { method: 'GET', url }), field);
  });

  it.skipIf(skip)('refuses to revoke a subject containing U+0000, storing nothing', async () => {
    const before = await rowCount(h.context.db, 'revocations');
    const response = await h.as('admin', {
      method: 'POST',
      url: '/admin/sessions/revoke',
      headers: json,
      payload: '{"sub":"a\\u0000b"}',
    });
    expectRefused(response, 'body.sub');
    expect(await rowCount(h.context.db, 'revocations')).toBe(before);
  });
});
