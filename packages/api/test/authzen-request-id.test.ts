import { beforeAll, describe, expect, it } from 'vitest';
import { sqliteDriver } from './support/databases.js';
import { useHarness, users } from './support/harness.js';

/**
 * AuthZEN 1.0 §10.1.3: a request's `X-Request-ID` comes back unchanged on every endpoint and on
 * every answer, refusals and errors included, so a PEP can match what it logged.
 */
describe('AuthZEN X-Request-ID echo', () => {
  const h = useHarness(sqliteDriver);
  let pep = '';
  const alice = { type: 'user', id: users.alice.sub };
  const read = { name: 'can_read' };
  const list = { type: 'list', id: '00000000-0000-4000-8000-000000000000' };

  beforeAll(async () => {
    pep = await h.idp.accessToken({
      sub: 'service-account-todo-api',
      roles: [],
      permissions: ['authz:evaluate'],
    });
  });

  const post = (url: string, payload: unknown, token: string | undefined, id: string) =>
    h.app.inject({
      method: 'POST',
      url,
      headers: {
        'content-type': 'application/json',
        'x-request-id': id,
        ...(token && { authorization: `Bearer ${token}` }),
      },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });

  const cases: [string, string, unknown, 'pep' | 'alice' | 'none', number][] = [
    [
      'a decision',
      '/access/v1/evaluation',
      { subject: alice, action: read, resource: list },
      'pep',
      200,
    ],
    [
      'a batch',
      '/access/v1/evaluations',
      { subject: alice, action: read, evaluations: [{ resource: list }] },
      'pep',
      200,
    ],
    [
      'a subject search',
      '/access/v1/search/subject',
      { subject: { type: 'user' }, action: read, resource: list },
      'pep',
      200,
    ],
    [
      'a resource search',
      '/access/v1/search/resource',
      { subject: alice, action: read, resource: { type: 'list' } },
      'pep',
      200,
    ],
    [
      'an action search',
      '/access/v1/search/action',
      { subject: alice, resource: list },
      'pep',
      200,
    ],
    [
      'a malformed request (400)',
      '/access/v1/evaluation',
      { action: read, resource: list },
      'pep',
      400,
    ],
    ['malformed JSON (400)', '/access/v1/evaluation', '{"subject": {', 'pep', 400],
    [
      'no token (401)',
      '/access/v1/evaluation',
      { subject: alice, action: read, resource: list },
      'none',
      401,
    ],
    [
      'a token without authz:evaluate (403)',
      '/access/v1/evaluations',
      { subject: alice, action: read, evaluations: [] },
      'alice',
      403,
    ],
  ];

  it.each(cases)('echoes it on %s', async (_name, url, body, who, status) => {
    const id = `pep-7 / ${url} / ${status}`;
    const token = who === 'pep' ? pep : who === 'alice' ? h.tokens.alice : undefined;
    const res = await post(url, body, token, id);
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['x-request-id']).toBe(id);
  });

  it.each([
    ['served', {}, 200],
    ['unavailable (503)', { host: 'pdp.example.com' }, 503],
  ])('echoes it on the decision point’s metadata, %s (§9)', async (_name, headers, status) => {
    const id = `pep-7 / metadata / ${status}`;
    const res = await h.app.inject({
      url: '/.well-known/authzen-configuration',
      headers: { 'x-request-id': id, ...headers },
    });
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['x-request-id']).toBe(id);
  });
});
