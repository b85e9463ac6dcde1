import { type AuthEvent, createAuthenticator, type Principal } from '@todo-sso/auth';
import { alice, bob, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectAuthFailure, frozenClock } from './support.js';

describe('verified-token cache and revocation', () => {
  const clock = frozenClock();
  let idp: TestIssuer;
  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'keycloak', algorithm: 'ES256', now: clock.now });
  });
  afterAll(() => idp.close());

  test('serves a repeated token from the cache, returning the same principal', async () => {
    const events: AuthEvent[] = [];
    const auth = createAuthenticator({
      issuers: [idp.issuerOptions()],
      now: clock.now,
      onEvent: (e) => events.push(e),
    });
    const token = await idp.accessToken(alice);
    const first = await auth.authenticate(token);
    const second = await auth.authenticate(token);
    expect(second).toBe(first);
    expect(
      events
        .filter((e) => e.type === 'authenticated')
        .map((e) => (e as { cached: boolean }).cached),
    ).toEqual([false, true]);
  });

  test('consults revocation on cache hits: a revoked subject gets 401 token_revoked at once', async () => {
    const revoked = new Set<string>();
    const auth = createAuthenticator({
      issuers: [idp.issuerOptions()],
      now: clock.now,
      revocation: { isRevoked: (p: Principal) => revoked.has(p.subject) },
    });
    const token = await idp.accessToken(alice);
    await auth.authenticate(token);
    revoked.add(alice.sub);
    await expectAuthFailure(auth.authenticate(token), 'token_revoked', 401);
    await expect(auth.authenticate(await idp.accessToken(bob))).resolves.toMatchObject({
      subject: bob.sub,
    });
  });

  test('never serves a cached token past its exp', async () => {
    const auth = createAuthenticator({
      issuers: [idp.issuerOptions({ clockToleranceSec: 0 })],
      now: clock.now,
    });
    const token = await idp.accessToken(alice, { expiresInSec: 10 });
    await auth.authenticate(token);
    clock.advance(10);
    await expectAuthFailure(auth.authenticate(token), 'token_expired', 401);
  });

  test('stays bounded: the least recently used entry is evicted first', async () => {
    let fetches = 0;
    const auth = createAuthenticator({
      issuers: [idp.issuerOptions()],
      now: clock.now,
      cache: { maxEntries: 2 },
      onEvent: (e) => {
        if (e.type === 'authenticated' && !e.cached) fetches += 1;
      },
    });
    const [a, b, c] = await Promise.all([
      idp.accessToken(alice),
      idp.accessToken(alice),
      idp.accessToken(alice),
    ]);
    for (const t of [a, b, c, a, c] as string[]) await auth.authenticate(t);
    // a was evicted by c, so a is verified again; c is still cached.
    expect(fetches).toBe(4);
  });
});
