import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, sqliteDatabase, type TestDatabase } from './support/databases.js';
import { type Harness, startHarness, type UserName, useHarness } from './support/harness.js';

/**
 * The committed OpenAPI document as the contract of every answer: each response the API gives
 * must have its status listed for its operation, its media type the documented one, and its
 * body valid against the documented schema (JSON Schema 2020-12, OpenAPI 3.1 §4.8.24), checked
 * by Ajv, not by the serializer that produced it. Every operation is driven with the requests
 * that make the generic answers: no token, a token without permissions, a bad Authorization
 * header, an invalid Host field, a body of the wrong type, too large or not JSON, and a caller
 * over the rate limit.
 * Response headers the document marks `required` must be sent.
 */
interface Operation {
  requestBody?: unknown;
  parameters?: { in: string; name: string; schema?: { maxLength?: number } }[];
  responses: Record<
    string,
    {
      content?: Record<string, { schema: object }>;
      headers?: Record<string, { required?: boolean }>;
    }
  >;
}
interface Document {
  components: object;
  paths: Record<string, Record<string, Operation>>;
}

const doc = JSON.parse(
  readFileSync(new URL('../openapi.json', import.meta.url), 'utf8'),
) as Document;
const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
/**
 * Validators by the schema's text: the document repeats a few schemas (the Problem reference
 * on most answers) as objects of their own, 257 of them for 18 texts, each compiled (1.8 s).
 */
const compiled = new Map<string, ValidateFunction>();
const validator = (schema: object) => {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    // The document's own components resolve its `#/components/...` references.
    validate = ajv.compile({ ...schema, components: doc.components });
    compiled.set(key, validate);
  }
  return validate;
};

/** A valid value of each path parameter (names as the routes spell them). */
const UUID = '0b7f8a3e-2f4c-4a53-9a43-1f2e3d4c5b6a';
const PARAMS: Record<string, string> = {
  id: UUID,
  username: 'bob',
  clientId: 'some-agent',
  role: 'user',
};

const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => ({
    method: method.toUpperCase(),
    path,
    url: path.replace(/\{(\w+)\}/g, (_, name: string) => PARAMS[name] ?? 'x'),
    op,
  })),
);

/** What in one answer contradicts the document, or nothing. */
function violations(route: string, op: Operation, res: LightMyRequestResponse): string[] {
  const documented = op.responses[String(res.statusCode)];
  if (!documented) return [`${route} → ${res.statusCode}: status not documented`];
  const missing = Object.entries(documented.headers ?? {})
    .filter(
      ([name, header]) => header.required === true && res.headers[name.toLowerCase()] === undefined,
    )
    .map(([name]) => name);
  if (missing.length > 0) return [`${route} → ${res.statusCode}: without ${missing}`];
  const media = Object.keys(documented.content ?? {});
  if (media.length === 0)
    return res.body === '' ? [] : [`${route} → ${res.statusCode}: body where none is documented`];
  const type = String(res.headers['content-type'] ?? '').split(';')[0];
  const content = documented.content?.[type ?? ''];
  if (!content) return [`${route} → ${res.statusCode}: ${type} is not one of ${media}`];
  if (!type?.endsWith('json')) return [];
  const validate = validator(content.schema);
  if (validate(res.json())) return [];
  return [`${route} → ${res.statusCode}: ${ajv.errorsText(validate.errors)}`];
}

type Call = (user: UserName | undefined, options: InjectOptions) => Promise<LightMyRequestResponse>;

/** The generic requests of one operation: callers, and broken bodies for body routes. */
async function drive(call: Call, bodyLimit: number): Promise<string[]> {
  const found: string[] = [];
  for (const { method, path, url, op } of operations) {
    const route = `${method} ${path}`;
    const send = async (user: UserName | undefined, extra: Partial<InjectOptions> = {}) =>
      found.push(
        ...violations(route, op, await call(user, { method: method as 'GET', url, ...extra })),
      );
    const json = op.requestBody ? { payload: {} } : {};
    for (const user of [undefined, 'nobody', 'alice', 'admin'] as const) await send(user, json);
    await send(undefined, { headers: { authorization: 'Bearer a b' } });
    await send(undefined, { headers: { authorization: 'Basic YTpi' } });
    // A Host field that is not a host and port is refused on every route (RFC 9112 §3.2).
    await send('alice', { headers: { host: 'a.example b' } });
    // A body is read before the route runs, also on a route that takes none: its errors (400,
    // 413, 415) are every such operation's answers.
    if (method === 'GET') continue;
    // As alice and as admin: a caller the route refuses is refused before the body is read.
    const body = async (payload: string, contentType: string) => {
      for (const user of ['alice', 'admin'] as const)
        await send(user, { payload, headers: { 'content-type': contentType } });
    };
    await body('{"title":', 'application/json');
    await body('title=x', 'text/plain');
    await body('<title/>', 'application/xml');
    await body('{"title":"x"}', 'application/json; charset=latin1');
    await body(JSON.stringify({ title: 'x'.repeat(bodyLimit) }), 'application/json');
  }
  return [...new Set(found)];
}

/** One person's ordinary work, every success answer of the todo and list routes. */
async function scenario(call: Call): Promise<string[]> {
  const found: string[] = [];
  const step = async (
    user: UserName,
    method: string,
    path: string,
    url: string,
    payload?: object,
  ) => {
    const op = doc.paths[path]?.[method.toLowerCase()];
    if (!op) throw new Error(`${method} ${path} is not in the document`);
    const res = await call(user, { method: method as 'GET', url, ...(payload && { payload }) });
    found.push(...violations(`${method} ${path}`, op, res));
    if (res.statusCode >= 300) found.push(`${method} ${path} → ${res.statusCode}: not a success`);
    return res.statusCode < 300 && res.body !== '' ? res.json() : undefined;
  };
  const todo = await step('alice', 'POST', '/todos/', '/todos/', { title: 'contract' });
  const at = `/todos/${todo.id}`;
  await step('alice', 'GET', '/todos/{id}', at);
  await step('alice', 'PATCH', '/todos/{id}', at, { completed: true });
  await step('alice', 'PUT', '/todos/{id}', at, {
    title: 'put',
    description: null,
    completed: false,
  });
  const list = await step('alice', 'POST', '/lists/', '/lists/', { name: 'Shared' });
  const lat = `/lists/${list.id}`;
  await step('alice', 'GET', '/lists/{id}', lat);
  await step('alice', 'PATCH', '/lists/{id}', lat, { name: 'Renamed' });
  await step('alice', 'POST', '/lists/{id}/todos/', `${lat}/todos/`, { title: 'in list' });
  await step('alice', 'GET', '/lists/{id}/todos/', `${lat}/todos/`);
  await step('alice', 'PUT', '/lists/{id}/members/{username}', `${lat}/members/bob`, {
    relation: 'editor',
  });
  await step('alice', 'GET', '/lists/{id}/members', `${lat}/members`);
  await step('alice', 'DELETE', '/lists/{id}/members/{username}', `${lat}/members/bob`);
  await step('alice', 'DELETE', '/todos/{id}', at);
  await step('alice', 'DELETE', '/lists/{id}', lat);
  await step('admin', 'GET', '/admin/todos', '/admin/todos');
  await step('admin', 'GET', '/admin/audit', '/admin/audit');
  return found;
}

describe.each(drivers)(
  'every answer matches the OpenAPI document on $driver',
  ({ skip, create }) => {
    const h = useHarness({ skip, create });

    it.skipIf(skip)('for no token, each role, bad headers and bad bodies', async () => {
      const found = await drive((user, options) => h.as(user, options), h.config.bodyLimit);
      expect(found).toEqual([]);
    });

    it.skipIf(skip)('for path parameters as long as the document allows', async () => {
      const found: string[] = [];
      for (const { method, path, op } of operations) {
        const params = (op.parameters ?? []).filter((p) => p.in === 'path');
        if (!params.some((p) => p.schema?.maxLength)) continue;
        // The longest value each parameter's schema admits (a uuid is a uuid).
        const url = params.reduce(
          (u, p) =>
            u.replace(`{${p.name}}`, p.schema?.maxLength ? 'a'.repeat(p.schema.maxLength) : UUID),
          path,
        );
        const res = await h.as('admin', { method: method as 'GET', url });
        found.push(...violations(`${method} ${path}`, op, res));
        if (res.json().detail === 'The request cannot be routed')
          found.push(`${method} ${path}: a documented parameter length cannot be routed`);
      }
      expect(found).toEqual([]);
    });

    it.skipIf(skip)('for the successes of ordinary work', async () => {
      await h.as('bob', { method: 'GET', url: '/lists/' });
      expect(await scenario((user, options) => h.as(user, options))).toEqual([]);
    });
  },
);

describe('every answer matches the OpenAPI document past the rate limit', () => {
  let database: TestDatabase;
  let h: Harness;
  beforeAll(async () => {
    database = sqliteDatabase();
    h = await startHarness(database.config, { RATE_LIMIT_PER_MINUTE: '1' });
  });
  afterAll(async () => {
    await h?.close();
    await database?.drop();
  });

  it('documents the 429 of every limited route', async () => {
    const found = await drive((user, options) => h.as(user, options), h.config.bodyLimit);
    expect(found).toEqual([]);
  });
});
