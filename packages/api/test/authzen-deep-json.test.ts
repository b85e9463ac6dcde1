import { beforeAll, describe, expect, it } from 'vitest';
import { sqliteDriver } from './support/databases.js';
import { useHarness, users } from './support/harness.js';

/**
 * A search's `page` and `context` may hold members of any depth (the schemas leave them open),
 * and a page token commits to every one of them (AuthZEN 1.0 §8.2: a follow-up "MUST be
 * identical to the preceding request"). However deep the JSON the body limit lets through, a
 * search is answered as documented, never with a server error.
 */
describe('AuthZEN searches with deeply nested members', () => {
  const h = useHarness(sqliteDriver);
  let pep = '';
  const alice = { type: 'user', id: users.alice.sub };
  const list = { type: 'list', id: '00000000-0000-4000-8000-000000000000' };
  const read = { name: 'can_read' };
  /** JSON text nested `n` deep (as text: serialising it would overflow the test's own stack). */
  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

  beforeAll(async () => {
    pep = await h.idp.accessToken({ sub: 'pep', roles: [], permissions: ['authz:evaluate'] });
  });

  const post = (url: string, payload: string) =>
    h.app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${pep}`, 'content-type': 'application/json' },
      payload,
    });
  /** The search's members, then `extra` (members as JSON text, without the braces). */
  const text = (body: object, extra: string) => `${JSON.stringify(body).slice(0, -1)},${extra}}`;

  const searches: [string, Record<string, unknown>][] = [
    ['/access/v1/search/subject', { subject: { type: 'user' }, action: read, resource: list }],
    ['/access/v1/search/resource', { subject: alice, action: read, resource: { type: 'list' } }],
    ['/access/v1/search/action', { subject: alice, resource: list }],
  ];

  for (const [url, body] of searches) {
    it(`${url}: a page or context nested 7,000 deep (within the body limit) is answered, and its token continues it`, async () => {
      const cases: [string, (token: string) => string][] = [
        ['"page":{"limit":1,"x":DEEP}', (t) => `"page":{"limit":1,"x":DEEP,"token":"${t}"}`],
        [
          '"context":{"x":DEEP},"page":{"limit":1}',
          (t) => `"context":{"x":DEEP},"page":{"token":"${t}"}`,
        ],
      ];
      for (const [extra, follow] of cases) {
        const first = await post(url, text(body, extra.replace('DEEP', deep(7000))));
        expect(first.statusCode, first.body).toBe(200);
        const token = first.json().page?.next_token as string;
        expect(typeof token).toBe('string');
        if (token === '') continue;
        const next = await post(url, text(body, follow(token).replace('DEEP', deep(7000))));
        expect(next.statusCode, next.body).toBe(200);
      }
    });
  }
});
