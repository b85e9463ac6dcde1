import Fastify from 'fastify';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createErrorHandler } from '../src/http/error-handler.js';
import { drivers, rowCount } from './support/databases.js';
import { useHarness } from './support/harness.js';

interface Problem {
  status: number;
  code: string;
  errors?: { field: string; message: string }[];
}

describe.each(drivers)('input validation on $driver', ({ driver, skip, create }) => {
  const h = useHarness({ skip, create });
  let todoId: string;
  beforeAll(async () => {
    if (skip) return;
    const created = await h.as('alice', {
      method: 'POST',
      url: '/todos/',
      payload: { title: 'keep' },
    });
    todoId = created.json().id;
  });

  const count = () => rowCount(h.context.db, 'todos');

  const bad = [
    { name: 'an empty title', payload: { title: '' }, field: 'body.title' },
    { name: 'a 201-character title', payload: { title: 'x'.repeat(201) }, field: 'body.title' },
    {
      name: 'a 2001-character description',
      payload: { title: 'ok', description: 'd'.repeat(2001) },
      field: 'body.description',
    },
    { name: 'a missing title', payload: { description: 'no title' }, field: 'body.title' },
    { name: 'a numeric title', payload: { title: 42 }, field: 'body.title' },
    {
      name: 'a string completed',
      payload: { title: 'ok', completed: 'yes' },
      field: 'body.completed',
    },
    { name: 'an owner field', payload: { title: 'ok', owner: 'bob' }, field: 'body.owner' },
    {
      name: 'an id field',
      payload: { title: 'ok', id: '6f1c2a52-9b0e-4a7e-9d1a-a11ce0000001' },
      field: 'body.id',
    },
  ];

  it.skipIf(skip).each(bad)(
    'refuses $name with 400 naming $field and stores nothing',
    async ({ payload, field }) => {
      const before = await count();
      const response = await h.as('alice', { method: 'POST', url: '/todos/', payload });
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      const body = response.json() as Problem;
      expect(body).toMatchObject({ status: 400, code: 'validation_failed' });
      expect(body.errors?.map((e) => e.field)).toContain(field);
      expect(await count()).toBe(before);
    },
  );

  it.skipIf(skip)(
    'accepts the bounds themselves: a 200-character title and a 2000-character description',
    async () => {
      const response = await h.as('alice', {
        method: 'POST',
        url: '/todos/',
        payload: { title: 't'.repeat(200), description: 'd'.repeat(2000) },
      });
      expect(response.statusCode).toBe(201);
      expect(response.json().title).toHaveLength(200);
    },
  );

  it.skipIf(skip)(
    'refuses a PATCH with unknown fields or nothing to change, leaving the todo as it was',
    async () => {
      for (const payload of [{ owner: 'bob' }, {}, { title: '' }]) {
        const response = await h.as('alice', { method: 'PATCH', url: `/todos/${todoId}`, payload });
        expect(response.statusCode).toBe(400);
      }
      const after = await h.as('alice', { method: 'GET', url: `/todos/${todoId}` });
      expect(after.json()).toMatchObject({ title: 'keep', completed: false });
    },
  );

  it.skipIf(skip)(
    'refuses a PUT without the whole todo with 400 naming body.completed',
    async () => {
      const response = await h.as('alice', {
        method: 'PUT',
        url: `/todos/${todoId}`,
        payload: { title: 'x' },
      });
      expect(response.statusCode).toBe(400);
      expect((response.json() as Problem).errors?.map((e) => e.field)).toEqual(['body.completed']);
    },
  );

  it.skipIf(skip).each(['not-a-uuid', '123', '6f1c2a52-9b0e-4a7e-9d1a-a11ce000000'])(
    'refuses the malformed id %s with 400 naming params.id',
    async (id) => {
      const response = await h.as('alice', { method: 'GET', url: `/todos/${id}` });
      expect(response.statusCode).toBe(400);
      expect((response.json() as Problem).errors?.[0]?.field).toBe('params.id');
    },
  );

  it.skipIf(skip).each([
    ['limit=0', 'querystring.limit'],
    ['limit=101', 'querystring.limit'],
    ['limit=ten', 'querystring.limit'],
    ['completed=maybe', 'querystring.completed'],
    ['cursor=bm90LWEtY3Vyc29y', 'querystring.cursor'],
    ['cursor=%25%25%25', 'querystring.cursor'],
    ['sort=title', 'querystring.sort'],
  ])('refuses the query %s with 400 naming %s', async (query, field) => {
    const response = await h.as('alice', { method: 'GET', url: `/todos/?${query}` });
    expect(response.statusCode).toBe(400);
    expect((response.json() as Problem).errors?.map((e) => e.field)).toContain(field);
  });

  const impossible = (at: string) =>
    Buffer.from(JSON.stringify([at, '6f1c2a52-9b0e-4a7e-9d1a-a11ce0000000'])).toString('base64url');
  it.skipIf(skip).each([
    ['/todos/', 'alice', '2024-13-45T99:99:99.999Z'],
    ['/todos/', 'alice', '2023-02-29T00:00:00.000Z'],
    ['/admin/audit', 'admin', '2024-13-45T99:99:99.999Z'],
    ['/admin/audit', 'admin', '2024-01-01T24:00:00.000Z'],
  ] as const)(
    'refuses on %s (as %s) a cursor holding the impossible instant %s with 400 naming querystring.cursor',
    async (url, user, at) => {
      const response = await h.as(user, { method: 'GET', url: `${url}?cursor=${impossible(at)}` });
      expect(response.statusCode).toBe(400);
      expect((response.json() as Problem).errors?.map((e) => e.field)).toEqual([
        'querystring.cursor',
      ]);
    },
  );

  it.skipIf(skip || driver !== 'postgres')(
    'answers a PostgreSQL data exception (SQLSTATE class 22) with a 400 problem, never 500',
    async () => {
      const app = Fastify();
      app.setErrorHandler(createErrorHandler(h.context));
      app.get('/bad-instant', async () => {
        await sql`select ${'2024-13-45T99:99:99.999Z'}::timestamptz`.execute(h.context.db.kysely);
        return {};
      });
      try {
        const response = await app.inject({ method: 'GET', url: '/bad-instant' });
        expect(response.statusCode).toBe(400);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.json()).toMatchObject({ status: 400, code: 'invalid_request' });
      } finally {
        await app.close();
      }
    },
  );

  it.skipIf(skip)('accepts limit=100 and limit=1', async () => {
    expect((await h.as('alice', { method: 'GET', url: '/todos/?limit=100' })).statusCode).toBe(200);
    const one = await h.as('alice', { method: 'GET', url: '/todos/?limit=1' });
    expect(one.json().items).toHaveLength(1);
  });

  it.skipIf(skip)('answers a body over the limit with 413 and stores nothing', async () => {
    const before = await count();
    const response = await h.as('alice', {
      method: 'POST',
      url: '/todos/',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ title: 'big', description: 'x'.repeat(h.config.bodyLimit) }),
    });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ status: 413, code: 'payload_too_large' });
    expect(await count()).toBe(before);
  });

  it.skipIf(skip).each([
    ['a non-JSON body', 415, 'unsupported_media_type', 'text/plain', 'title=hello'],
    ['malformed JSON', 400, 'invalid_request', 'application/json', '{"title": '],
  ])('answers %s with %i %s problem details', async (_name, status, code, type, payload) => {
    const response = await h.as('alice', {
      method: 'POST',
      url: '/todos/',
      headers: { 'content-type': type },
      payload,
    });
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status, code });
  });

  it.skipIf(skip)(
    'answers an unknown route with 404 problem details, even without a token',
    async () => {
      const response = await h.as(undefined, { method: 'GET', url: '/nope' });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ status: 404, code: 'route_not_found' });
    },
  );
});

describe.each(drivers)('integer query parameters on $driver', ({ skip, create }) => {
  const h = useHarness({ skip, create });

  // Value conversion alone reads `1.5` as 1, `0x10` as 16 and `1e2` as 100: a page size the
  // caller never asked for. Only decimal digits are an integer here.
  it.skipIf(skip).each(['1.5', '0x10', '0b11', '1e2', '+5', ' 5', '5 ', '1.0', 'Infinity'])(
    'refuses limit=%s with 400 naming querystring.limit',
    async (limit) => {
      for (const [user, url] of [
        ['alice', '/todos/'],
        ['admin', '/admin/todos'],
        ['admin', '/admin/audit'],
      ] as const) {
        const response = await h.as(user, {
          method: 'GET',
          url: `${url}?limit=${encodeURIComponent(limit)}`,
        });
        expect(response.statusCode).toBe(400);
        expect(response.json()).toMatchObject({
          code: 'validation_failed',
          errors: [{ field: 'querystring.limit', message: 'must be integer' }],
        });
      }
    },
  );

  it.skipIf(skip)('accepts a decimal limit, leading zeros included', async () => {
    for (const limit of ['7', '007', '100']) {
      const response = await h.as('alice', { method: 'GET', url: `/todos/?limit=${limit}` });
      expect(response.statusCode).toBe(200);
    }
  });
});
