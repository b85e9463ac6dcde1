import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { type Harness, startHarness, users } from './support/harness.js';

/**
 * The back-channel logout receiver is outside the per-address limit: a limit would count posts
 * before their signature is checked, so forged posts from an address the provider shares (a
 * NAT, another tenant of a hosted provider) or a mass sign-out would get the provider's valid
 * logouts answered 429, and OpenID Connect Back-Channel Logout 1.0 §2.8 lets the provider give
 * up: sessions it ended would stay alive.
 */
describe('the back-channel logout receiver and the per-address limit', () => {
  let database: TestDatabase;
  let h: Harness;
  beforeAll(async () => {
    database = sqliteDatabase();
    h = await startHarness(database.config, {
      RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '3',
      API_PUBLIC_URL: 'https://todo.example.com',
    });
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

  it('ends every session the provider asks to end, after forged posts from the same address', async () => {
    const shared = '198.51.100.40';
    const forged: number[] = [];
    for (let i = 0; i < 5; i++) forged.push((await post(shared, 'forged.logout.token')).statusCode);
    expect(forged).toEqual([400, 400, 400, 400, 400]);

    const ended: number[] = [];
    for (let i = 0; i < 6; i++) {
      const token = await h.idp.logoutToken({ sub: users.bob.sub, sid: `mass-sign-out-${i}` });
      const res = await post(shared, token);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
      ended.push(res.statusCode);
    }
    expect(ended).toEqual([200, 200, 200, 200, 200, 200]);

    // The receiver's posts are not counted against the address's budget for the rest of the API.
    const api = await h.app.inject({
      url: '/.well-known/oauth-protected-resource',
      remoteAddress: shared,
    });
    expect(api.statusCode).toBe(200);
    expect(api.headers['x-ratelimit-remaining']).toBe('2');
  });

  it('documents no 429 for the receiver', async () => {
    const doc = (await h.app.inject({ url: '/openapi.json', remoteAddress: '192.0.2.1' })).json();
    const responses = doc.paths['/auth/backchannel-logout'].post.responses;
    expect(responses['429']).toBeUndefined();
  });
});
