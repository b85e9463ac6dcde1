import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { type Harness, startHarness, users } from './support/harness.js';

/**
 * The back-channel logout receiver is unauthenticated (OpenID Connect Back-Channel Logout 1.0
 * §2.5) and each post costs a signature check: the posts it refuses are limited per address
 * (same headers, same 429 as the rest of the API), in a window of its own. Posts that end a
 * session are never counted: a mass sign-out sends many from the provider's one address, and a
 * 429 would lose them (§2.8).
 */
describe('the back-channel logout receiver under the per-address limit', () => {
  let database: TestDatabase;
  let h: Harness;
  beforeAll(async () => {
    database = sqliteDatabase();
    h = await startHarness(database.config, { RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '3' });
  });
  afterAll(async () => {
    await h?.close();
    await database?.drop();
  });

  const post = (remoteAddress: string, token: string) =>
    h.app.inject({
      method: 'POST',
      url: '/auth/backchannel-logout',
      remoteAddress,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ logout_token: token }).toString(),
    });
  const limitOf = (res: LightMyRequestResponse) => ({
    limit: res.headers['x-ratelimit-limit'],
    remaining: res.headers['x-ratelimit-remaining'],
  });

  it('refuses more posts than the limit from one address with 429 and Retry-After, and no other address', async () => {
    const attacker = '203.0.113.7';
    const statuses: number[] = [];
    const answers: LightMyRequestResponse[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await post(attacker, 'forged.logout.token');
      statuses.push(res.statusCode);
      answers.push(res);
    }
    expect(statuses).toEqual([400, 400, 400, 429, 429]);
    expect(answers.map(limitOf)).toEqual([
      { limit: '3', remaining: '2' },
      { limit: '3', remaining: '1' },
      { limit: '3', remaining: '0' },
      { limit: '3', remaining: '0' },
      { limit: '3', remaining: '0' },
    ]);
    const over = answers[3] as LightMyRequestResponse;
    expect(over.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(over.json()).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(over.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    expect(over.headers['retry-after']).toBe(over.headers['x-ratelimit-reset']);

    // The provider, at another address, still ends a session.
    const token = await h.idp.logoutToken({ sub: users.alice.sub, sid: 'session-limited-1' });
    const provider = await post('198.51.100.20', token);
    expect(provider.statusCode).toBe(200);
    expect(limitOf(provider)).toEqual({ limit: '3', remaining: '3' });

    // The logout window is the receiver's own: the attacker's address keeps its API budget.
    const api = await h.app.inject({
      url: '/.well-known/oauth-protected-resource',
      remoteAddress: attacker,
    });
    expect(api.statusCode).toBe(200);
    expect(limitOf(api)).toEqual({ limit: '3', remaining: '2' });
  });

  it('never refuses logouts that verify, however many one address posts', async () => {
    const provider = '198.51.100.40';
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const token = await h.idp.logoutToken({ sub: users.bob.sub, sid: `mass-sign-out-${i}` });
      statuses.push((await post(provider, token)).statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    // Its refused posts still count: three forged ones, then 429.
    const forged: number[] = [];
    for (let i = 0; i < 4; i++)
      forged.push((await post(provider, 'forged.logout.token')).statusCode);
    expect(forged).toEqual([400, 400, 400, 429]);
  });

  it('refuses a valid logout too from an address over its budget of refusals', async () => {
    // The budget is the address's: forged posts from an address the provider shares (one NAT,
    // a proxy not named in TRUST_PROXY) make its valid logouts 429 until the window ends.
    const shared = '198.51.100.60';
    for (let i = 0; i < 3; i++)
      expect((await post(shared, 'forged.logout.token')).statusCode).toBe(400);
    const token = await h.idp.logoutToken({ sub: users.carol.sub, sid: 'shared-address-1' });
    const refused = await post(shared, token);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  });

  it('documents the 429 of the receiver', async () => {
    const doc = (await h.app.inject({ url: '/openapi.json', remoteAddress: '192.0.2.1' })).json();
    const responses = doc.paths['/auth/backchannel-logout'].post.responses;
    expect(responses['429']?.headers?.['Retry-After']).toBeDefined();
  });
});
