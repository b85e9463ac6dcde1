import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { type RateLimitState, tighterLimit } from '../src/http/rate-limit.js';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { type Harness, startHarness } from './support/harness.js';

/** The `X-RateLimit-*` headers of a response, as numbers. */
function limitHeaders(res: LightMyRequestResponse) {
  return {
    limit: Number(res.headers['x-ratelimit-limit']),
    remaining: Number(res.headers['x-ratelimit-remaining']),
    reset: Number(res.headers['x-ratelimit-reset']),
  };
}

const state = (limit: number, remaining: number, resetSeconds: number, exceeded = false) =>
  ({ limit, remaining, resetSeconds, exceeded }) satisfies RateLimitState;

describe('tighterLimit', () => {
  it('describes the limit with fewer requests remaining, whichever counted first', () => {
    const address = state(6000, 5990, 60);
    const subject = state(600, 590, 60);
    expect(tighterLimit(address, subject)).toBe(subject);
    expect(tighterLimit(subject, address)).toBe(subject);
    const busyAddress = state(6000, 10, 30);
    expect(tighterLimit(busyAddress, subject)).toBe(busyAddress);
  });

  it('describes an exceeded limit above all, so Retry-After and the 429 agree with it', () => {
    const exceeded = state(600, 0, 40, true);
    const exhausted = state(6000, 0, 50);
    expect(tighterLimit(exhausted, exceeded)).toBe(exceeded);
    expect(tighterLimit(exceeded, exhausted)).toBe(exceeded);
  });

  it('on equal remaining requests, describes the one whose window ends later', () => {
    const sooner = state(10, 3, 20);
    const later = state(100, 3, 50);
    expect(tighterLimit(sooner, later)).toBe(later);
    expect(tighterLimit(later, sooner)).toBe(later);
  });
});

describe('X-RateLimit-* headers on the API', () => {
  let database: TestDatabase | undefined;
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    await database?.drop();
    h = undefined;
    database = undefined;
  });

  async function harness(env: Record<string, string>): Promise<Harness> {
    database = sqliteDatabase();
    h = await startHarness(database.config, env);
    return h;
  }

  it('describe the per-subject limit while it is the tighter one, on success and refusal', async () => {
    const api = await harness({
      RATE_LIMIT_PER_MINUTE: '5',
      RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '100',
    });
    const first = await api.as('alice', { method: 'GET', url: '/me' });
    expect(first.statusCode).toBe(200);
    expect(limitHeaders(first)).toMatchObject({ limit: 5, remaining: 4 });
    expect(limitHeaders(first).reset).toBeGreaterThan(0);
    // A request refused by the route's requirement was counted too (403).
    const denied = await api.as('alice', { method: 'GET', url: '/reports/summary' });
    expect(denied.statusCode).toBe(403);
    expect(limitHeaders(denied)).toMatchObject({ limit: 5, remaining: 3 });
    // Another person behind the same address has their own budget.
    expect(limitHeaders(await api.as('bob', { method: 'GET', url: '/me' }))).toMatchObject({
      limit: 5,
      remaining: 4,
    });
    for (let i = 0; i < 3; i++) await api.as('alice', { method: 'GET', url: '/me' });
    const over = await api.as('alice', { method: 'GET', url: '/me' });
    expect(over.statusCode).toBe(429);
    expect(limitHeaders(over)).toMatchObject({ limit: 5, remaining: 0 });
    expect(over.headers['retry-after']).toBe(over.headers['x-ratelimit-reset']);
  });

  it('describe the per-address limit once it is the tighter one', async () => {
    const api = await harness({
      RATE_LIMIT_PER_MINUTE: '100',
      RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '6',
    });
    // Three people behind one address: each has used little of their own limit.
    for (const user of ['alice', 'bob', 'carol'] as const)
      await api.as(user, { method: 'GET', url: '/me' });
    const res = await api.as('alice', { method: 'GET', url: '/me' });
    expect(res.statusCode).toBe(200);
    expect(limitHeaders(res)).toMatchObject({ limit: 6, remaining: 2 });
  });

  it('describe the per-address limit on a request refused before its caller is known', async () => {
    const api = await harness({
      RATE_LIMIT_PER_MINUTE: '100',
      RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '10',
    });
    const noToken = await api.as(undefined, { method: 'GET', url: '/me' });
    expect(noToken.statusCode).toBe(401);
    expect(limitHeaders(noToken)).toMatchObject({ limit: 10, remaining: 9 });
    const badToken = await api.app.inject({
      method: 'GET',
      url: '/todos/',
      headers: { authorization: 'Bearer not-a-token' },
    });
    expect(badToken.statusCode).toBe(401);
    expect(limitHeaders(badToken)).toMatchObject({ limit: 10, remaining: 8 });
    const malformed = await api.app.inject({
      method: 'POST',
      url: '/mcp',
      headers: { authorization: 'Bearer a b' },
    });
    expect(malformed.statusCode).toBe(400);
    expect(limitHeaders(malformed)).toMatchObject({ limit: 10, remaining: 7 });
    // A public route counted per address has them as well; probes are not counted at all.
    const metadata = await api.app.inject({ url: '/.well-known/oauth-protected-resource' });
    expect(limitHeaders(metadata)).toMatchObject({ limit: 10, remaining: 6 });
    const probe = await api.app.inject({ url: '/healthz' });
    expect(probe.headers['x-ratelimit-limit']).toBeUndefined();
  });
});
