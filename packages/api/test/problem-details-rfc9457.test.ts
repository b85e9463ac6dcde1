import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { sqliteDriver } from './support/databases.js';
import { type UserName, useHarness } from './support/harness.js';

/**
 * Every error the committed OpenAPI document lists, as far as a generated request reaches it
 * (no token, a malformed or unknown path id, a body of another media type), answered as RFC 9457
 * problem details: checked by Ajv against a schema written from RFC 9457 §3's text, not against
 * the document's own `Problem` schema (`openapi-route-errors.test.ts` checks that one).
 */
interface Operation {
  requestBody?: { content: Record<string, unknown> };
  parameters?: { in: string; name: string; schema?: { format?: string } }[];
  responses: Record<string, unknown>;
}
const doc = JSON.parse(readFileSync(new URL('../openapi.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
};

/**
 * RFC 9457 §3.1: `type` and `instance` are URI references (§3.1.1, §3.1.5), `status` the
 * response's status code (§3.1.2), `title` and `detail` strings (§3.1.3, §3.1.4). §3.2: an
 * extension member's name SHOULD start with a letter and be ALPHA, DIGIT and `_`, three
 * characters at least. The API promises `type`, `title` and `status` on every problem.
 */
const rfc9457 = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', format: 'uri-reference' },
    status: { type: 'integer', minimum: 100, maximum: 599 },
    title: { type: 'string' },
    detail: { type: 'string' },
    instance: { type: 'string', format: 'uri-reference' },
  },
  propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_]{2,}$' },
};
const ajv = new Ajv({ strict: true, allErrors: true });
(addFormats as unknown as (a: Ajv, formats: string[]) => void)(ajv, ['uri-reference']);
const validProblem = ajv.compile(rfc9457);

/** `path` with its parameters filled: uuids as `uuid`, other strings as `text`. */
function urlOf(path: string, op: Operation, uuid: string, text: string): string {
  const formats = new Map((op.parameters ?? []).map((p) => [p.name, p.schema?.format]));
  return path.replace(/\{(\w+)\}/g, (_, name: string) =>
    formats.get(name) === 'uuid' ? uuid : text,
  );
}

/** The requests a walk can make of any operation, each meant to be refused. */
function refusedRequests(path: string, method: string, op: Operation) {
  const m = method.toUpperCase() as InjectOptions['method'];
  const requests: { user: UserName | undefined; options: InjectOptions }[] = [
    { user: undefined, options: { method: m, url: urlOf(path, op, randomUUID(), 'someone') } },
    // No body, no permissions: a 400 of the body, a 403 of a role or permission.
    { user: 'alice', options: { method: m, url: urlOf(path, op, randomUUID(), 'someone') } },
    { user: 'nobody', options: { method: m, url: urlOf(path, op, randomUUID(), 'someone') } },
  ];
  if (path.includes('{')) {
    requests.push(
      { user: 'alice', options: { method: m, url: urlOf(path, op, 'not-a-uuid', 'someone') } },
      { user: 'alice', options: { method: m, url: urlOf(path, op, randomUUID(), 'nobody-x') } },
    );
  }
  if (op.requestBody && !('text/plain' in op.requestBody.content)) {
    requests.push({
      user: 'alice',
      options: {
        method: m,
        url: urlOf(path, op, randomUUID(), 'someone'),
        headers: { 'content-type': 'text/plain' },
        payload: 'not the documented media type',
      },
    });
  }
  return requests;
}

describe('problem details (RFC 9457) of every error the OpenAPI document lists', () => {
  const h = useHarness(sqliteDriver);

  it('answers each refused request with application/problem+json valid by RFC 9457 §3, its status the HTTP one', async () => {
    const reached = new Set<string>();
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        const documented = Object.keys(op.responses).filter((s) => Number(s) >= 400);
        if (documented.length === 0) continue;
        for (const { user, options } of refusedRequests(path, method, op)) {
          const res = await h.as(user, options);
          if (res.statusCode < 400) continue;
          const at = `${options.method} ${options.url} (${user ?? 'no token'}): ${res.statusCode}`;
          expect(documented, at).toContain(String(res.statusCode));
          // RFC 9457 §3 and §6.1: the problem's own media type.
          expect(res.headers['content-type'], at).toMatch(/^application\/problem\+json/);
          const body = res.json();
          expect(validProblem(body), `${at}: ${JSON.stringify(validProblem.errors)}`).toBe(true);
          // §3.1.2: "status" is the status code the origin server generated.
          expect(body.status, at).toBe(res.statusCode);
          // §4.2.1: with `about:blank` the title SHOULD be the status code's phrase; the API's
          // own types (`urn:todo-sso:problem:*`) carry that phrase as their title too.
          expect(body.title, at).toBe(STATUS_CODES[res.statusCode]);
          reached.add(`${method} ${path} ${res.statusCode}`);
        }
      }
    }
    // The walk reached the errors a generated request can: no token, a malformed id, an unknown
    // one, another media type, on every operation that lists them.
    const statuses = new Set([...reached].map((r) => r.split(' ')[2]));
    expect([...statuses].sort()).toEqual(
      expect.arrayContaining(['400', '401', '403', '404', '415']),
    );
    expect(reached.size, [...reached].join('\n')).toBeGreaterThanOrEqual(100);
  });
});
