import { afterAll, beforeAll, expect, it } from 'vitest';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { type Harness, startHarness } from './support/harness.js';

/**
 * The per-subject limit counts a request once its caller is known and before the route's
 * requirement is decided, so a person refused again and again (403) is limited like anyone
 * else: probing routes one lacks the permission for is not free.
 */
let database: TestDatabase;
let h: Harness;
beforeAll(async () => {
  database = sqliteDatabase();
  h = await startHarness(database.config, { RATE_LIMIT_PER_MINUTE: '3' });
});
afterAll(async () => {
  await h?.close();
  await database?.drop();
});

it('counts policy-denied requests against the per-subject limit: a repeatedly refused user gets 429', async () => {
  // alice has `user` only: /reports/summary needs `reports:generate`.
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++)
    statuses.push((await h.as('alice', { method: 'GET', url: '/reports/summary' })).statusCode);
  expect(statuses).toEqual([403, 403, 403, 429]);
  const over = await h.as('alice', { method: 'GET', url: '/reports/summary' });
  expect(over.statusCode).toBe(429);
  expect(over.json()).toMatchObject({ status: 429, code: 'rate_limited' });
  expect(over.headers['retry-after']).toMatch(/^\d+$/);
  // The limit is alice's: a route she may use is limited too, another person is not.
  expect((await h.as('alice', { method: 'GET', url: '/me' })).statusCode).toBe(429);
  expect((await h.as('carol', { method: 'GET', url: '/reports/summary' })).statusCode).toBe(200);
}, 20_000);
