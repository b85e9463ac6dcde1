import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, sqliteDatabase, type TestDatabase } from './support/databases.js';
import { type Harness, startHarness, useHarness } from './support/harness.js';

/**
 * RFC 9111 §5.2.2.5: a response that carries one person's data — or says something about their
 * token — must not be kept by any cache, the browser's own included. Every answer of a route
 * behind a token is `no-store`, whatever its status: success, refusal, conflict or limit.
 */
const noStore = (response: LightMyRequestResponse, what: string) =>
  expect(response.headers['cache-control'], what).toBe('no-store');

describe.each(drivers)(
  'Cache-Control of authenticated responses on $driver',
  ({ skip, create }) => {
    const h = useHarness({ skip, create });

    it.skipIf(skip)('is no-store on every todo and list answer, errors included', async () => {
      const created = await h.as('alice', {
        method: 'POST',
        url: '/todos/',
        payload: { title: 'a' },
      });
      expect(created.statusCode).toBe(201);
      noStore(created, '201');
      const id = created.json().id as string;
      const answers: [number, LightMyRequestResponse][] = [
        [200, await h.as('alice', { method: 'GET', url: '/todos/' })],
        [200, await h.as('alice', { method: 'GET', url: `/todos/${id}` })],
        [200, await h.as('alice', { method: 'HEAD', url: `/todos/${id}` })],
        [200, await h.as('alice', { method: 'GET', url: '/me' })],
        [200, await h.as('alice', { method: 'GET', url: '/lists/' })],
        [400, await h.as('alice', { method: 'GET', url: '/todos/?cursor=tampered' })],
        [404, await h.as('bob', { method: 'GET', url: `/todos/${id}` })],
        [
          412,
          await h.as('alice', {
            method: 'PATCH',
            url: `/todos/${id}`,
            headers: { 'if-match': '"9"' },
            payload: { completed: true },
          }),
        ],
        [
          415,
          await h.as('alice', {
            method: 'POST',
            url: '/todos/',
            headers: { 'content-type': 'text/plain' },
            payload: 'a',
          }),
        ],
        [401, await h.as(undefined, { method: 'GET', url: '/todos/' })],
        [403, await h.as('nobody', { method: 'GET', url: '/todos/' })],
        [204, await h.as('alice', { method: 'DELETE', url: `/todos/${id}` })],
      ];
      for (const [status, response] of answers) {
        expect(response.statusCode).toBe(status);
        noStore(response, `${status} ${response.raw.req.method} ${response.raw.req.url}`);
      }
    });

    it.skipIf(skip)('leaves the public discovery document cacheable', async () => {
      const response = await h.as(undefined, {
        method: 'GET',
        url: '/.well-known/oauth-protected-resource',
      });
      expect(response.statusCode).toBe(200);
      expect(response.headers['cache-control']).toBe('public, max-age=300');
    });
  },
);

describe('Cache-Control of a 429', () => {
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

  it('is no-store on the per-subject refusal too', async () => {
    expect((await h.as('alice', { method: 'GET', url: '/me' })).statusCode).toBe(200);
    const refused = await h.as('alice', { method: 'GET', url: '/me' });
    expect(refused.statusCode).toBe(429);
    noStore(refused, '429');
  });
});
