import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { drivers } from './support/databases.js';
import { type UserName, useHarness } from './support/harness.js';

/**
 * The errors particular to each route, as the committed OpenAPI document lists them: for each
 * of these routes one error its own logic gives (not the authentication, body and rate-limit
 * refusals every route shares, which openapi-contract.test.ts drives), answered with a status
 * the document lists for that operation, with the headers it marks required (a 412's `ETag`),
 * as `application/problem+json` (RFC 9457 §3) valid against the document's `Problem` schema,
 * with the same `status` in the body.
 */
interface Document {
  components: { schemas: { Problem: object } };
  paths: Record<
    string,
    Record<
      string,
      { responses: Record<string, { headers?: Record<string, { required?: boolean }> }> }
    >
  >;
}
const doc = JSON.parse(
  readFileSync(new URL('../openapi.json', import.meta.url), 'utf8'),
) as Document;
const validProblem = new Ajv2020({ strict: false }).compile(doc.components.schemas.Problem);

const sqlite = drivers.find((d) => d.driver === 'sqlite');
if (sqlite === undefined) throw new Error('no SQLite driver');

describe('route errors as the OpenAPI document lists them', () => {
  const h = useHarness(sqlite);

  /** The answer to one request, checked against `path`'s operation; its problem's `code`. */
  async function refused(
    user: UserName,
    path: string,
    options: InjectOptions & { method: string; url: string },
    status: number,
  ): Promise<string | undefined> {
    const at = `${options.method} ${path}`;
    const operation = doc.paths[path]?.[options.method.toLowerCase()];
    if (!operation) throw new Error(`${at} is not in the document`);
    expect(Object.keys(operation.responses), at).toContain(String(status));
    const res = await h.as(user, options);
    expect(res.statusCode, `${at}: ${res.body}`).toBe(status);
    expect(res.headers['content-type'], at).toMatch(/^application\/problem\+json/);
    for (const [name, header] of Object.entries(operation.responses[String(status)]?.headers ?? {}))
      if (header.required === true)
        expect(res.headers[name.toLowerCase()], `${at}: ${name}`).toBeDefined();
    const body = res.json();
    expect(validProblem(body), `${at}: ${JSON.stringify(validProblem.errors)}`).toBe(true);
    expect(body.status, at).toBe(status);
    return body.code;
  }

  it('answers each with a documented status and problem details', async () => {
    const todo = (
      await h.as('alice', { method: 'POST', url: '/todos/', payload: { title: 'a' } })
    ).json();
    const list = (
      await h.as('alice', { method: 'POST', url: '/lists/', payload: { name: 'L' } })
    ).json();
    const lists = (await h.as('alice', { method: 'GET', url: '/lists/' })).json();
    const own = lists.find((l: { isDefault: boolean }) => l.isDefault);
    const stale = { 'if-match': '"999"' };
    const key = { 'idempotency-key': randomUUID() };

    const codes = [
      await refused('alice', '/todos/{id}', { method: 'GET', url: `/todos/${randomUUID()}` }, 404),
      await refused(
        'alice',
        '/todos/',
        { method: 'GET', url: `/todos/?list=${randomUUID()}` },
        404,
      ),
      await refused(
        'alice',
        '/todos/{id}',
        { method: 'PATCH', url: `/todos/${todo.id}`, headers: stale, payload: { completed: true } },
        412,
      ),
      await refused(
        'alice',
        '/todos/{id}',
        { method: 'DELETE', url: `/todos/${todo.id}`, headers: stale },
        412,
      ),
      await refused(
        'alice',
        '/lists/{id}/todos/',
        { method: 'POST', url: `/lists/${randomUUID()}/todos/`, payload: { title: 'x' } },
        404,
      ),
      await refused('alice', '/lists/{id}', { method: 'DELETE', url: `/lists/${own.id}` }, 409),
      await refused(
        'alice',
        '/lists/{id}/members/{username}',
        { method: 'PUT', url: `/lists/${list.id}/members/alice`, payload: { relation: 'viewer' } },
        409,
      ),
      await refused(
        'alice',
        '/lists/{id}/members/{username}',
        { method: 'DELETE', url: `/lists/${list.id}/members/bob` },
        404,
      ),
      await refused(
        'alice',
        '/me/agents/{clientId}',
        {
          method: 'DELETE',
          url: '/me/agents/no-such-agent',
        },
        404,
      ),
      await refused(
        'admin',
        '/admin/sessions/revoke',
        {
          method: 'POST',
          url: '/admin/sessions/revoke',
          payload: { sub: 'someone', issuer: 'https://untrusted.example' },
        },
        400,
      ),
    ];
    // The second create with the key but another body (draft-ietf-httpapi-idempotency-key-header
    // §2.7): the first one is stored, the second refused.
    await h.as('alice', { method: 'POST', url: '/todos/', headers: key, payload: { title: 'k' } });
    codes.push(
      await refused(
        'alice',
        '/todos/',
        { method: 'POST', url: '/todos/', headers: key, payload: { title: 'other' } },
        422,
      ),
    );
    expect(codes).toEqual([
      'not_found',
      'not_found',
      'precondition_failed',
      'precondition_failed',
      'not_found',
      'conflict',
      'conflict',
      'not_found',
      'not_found',
      'validation_failed',
      'idempotency_key_reused',
    ]);
  });
});
