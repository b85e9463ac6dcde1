import { type AuthEvent, authErrorResponse, createAuthenticator } from '@todo-sso/auth';
import {
  alice,
  generateSigningKey,
  startTestIssuer,
  type TestIssuer,
} from '@todo-sso/auth/testing';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { expectAuthFailure, frozenClock } from './support.js';

/**
 * A flood of made-up `kid`s (tokens whose claims would pass) closes the refetch gate for one
 * cooldown after each fruitless refetch. A key the provider rotates in inside that window is
 * answered 503 with `Retry-After` to the window's end, never 401 (which would send the person to
 * sign in again), and is accepted once it ends; the flood still costs one fetch per window.
 */
describe('unknown kids while the refetch gate is closed', () => {
  let clock: ReturnType<typeof frozenClock>;
  let idp: TestIssuer;
  let events: AuthEvent[];
  const make = () =>
    createAuthenticator({
      issuers: [idp.issuerOptions()],
      now: clock.now,
      jwksTtlSec: 300,
      jwksCooldownSec: 30,
      cache: { maxEntries: 0 },
      onEvent: (e) => events.push(e),
    });
  beforeEach(async () => {
    clock = frozenClock();
    events = [];
    idp = await startTestIssuer({ profile: 'keycloak', algorithm: 'ES256', now: clock.now });
  });
  afterEach(() => idp.close());

  /** Alice's claims, issued now, signed by a key never published, under a `kid` of the caller's. */
  async function forger(): Promise<(kid: string) => string> {
    const stranger = await generateSigningKey('RS256');
    const [, payload, signature] = (await idp.accessToken(alice, { key: stranger })).split('.');
    return (kid) =>
      `${Buffer.from(JSON.stringify({ alg: 'RS256', kid })).toString('base64url')}.${payload}.${signature}`;
  }
  const flood = async (auth: ReturnType<typeof make>, forged: (kid: string) => string) => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        auth.authenticate(forged(`random-${Math.random()}`)).catch((e) => e),
      ),
    );
    return new Set(results.map((e) => e.code));
  };

  test('a key rotated in during a flood is answered 503 with Retry-After to the end of the window, then accepted', async () => {
    const auth = make();
    await auth.authenticate(await idp.accessToken(alice));
    const forged = await forger();
    clock.advance(1);
    // The refetch of the flood's first second started as its tokens arrived: 401 for them.
    expect(await flood(auth, forged)).toEqual(new Set(['key_unknown']));
    expect(idp.counters.jwks).toBe(2);

    clock.advance(5);
    await idp.rotateKeys();
    const fresh = await idp.accessToken(alice);
    const [deferred] = await Promise.all([
      expectAuthFailure(auth.authenticate(fresh), 'key_refetch_deferred', 503),
      flood(auth, forged),
    ]);
    // RFC 9110 §10.2.3: the seconds until the gate opens (it closed at second 1 for 30 s).
    expect(deferred.retryAfterSec).toBe(25);
    expect(authErrorResponse(deferred).headers['retry-after']).toBe('25');
    expect(idp.counters.jwks).toBe(2);

    // The flood goes on for the rest of the window: not one more fetch.
    for (let second = 7; second <= 30; second += 1) {
      clock.advance(1);
      expect(await flood(auth, forged)).toEqual(new Set(['key_refetch_deferred']));
    }
    await expectAuthFailure(auth.authenticate(fresh), 'key_refetch_deferred', 503);
    expect(idp.counters.jwks).toBe(2);

    // At the Retry-After the flood is first again: its refetch finds the new key.
    clock.advance(1);
    expect(await flood(auth, forged)).toEqual(new Set(['key_unknown']));
    await expect(auth.authenticate(fresh)).resolves.toMatchObject({ subject: alice.sub });
    expect(idp.counters.jwks).toBe(3);
    // That refetch brought a key, so it closed nothing: the flood's next one did, for 30 s. Its
    // tokens are freshly made again: those made at second 0 are older than the clock tolerance
    // now, and keys fetched since decide them (401).
    clock.advance(1);
    const again = await forger();
    expect(await flood(auth, again)).toEqual(new Set(['key_unknown']));
    for (let second = 33; second <= 61; second += 1) {
      clock.advance(1);
      expect(await flood(auth, again)).toEqual(new Set(['key_refetch_deferred']));
    }
    expect(idp.counters.jwks).toBe(4);

    // Reported once per closed window, naming when the keys may be fetched again.
    const reports = events.filter((e) => e.type === 'unknown_kid_deferred');
    expect(reports).toEqual([
      { type: 'unknown_kid_deferred', issuer: idp.issuer, retryAt: clock.now() - 30_000 },
      { type: 'unknown_kid_deferred', issuer: idp.issuer, retryAt: clock.now() + 1000 },
    ]);
  });

  test('a logout token of a key rotated in while refetches wait is 503 with Retry-After, then accepted; a made-up one costs no fetch', async () => {
    const auth = make();
    await auth.authenticate(await idp.accessToken(alice));
    clock.advance(1);
    // Back-channel logout tokens arrive unauthenticated: one that names no client of this API
    // is refused on its claims, before its unknown kid could refetch the keys.
    const stranger = await generateSigningKey('RS256');
    const foreign = await idp.logoutToken(
      { sub: alice.sub },
      { key: stranger, claims: { aud: 'another-client' } },
    );
    await expectAuthFailure(auth.verifyLogoutToken(foreign, ['todo-ui']), 'logout_token_invalid');
    expect(idp.counters.jwks).toBe(1);
    expect(await flood(auth, await forger())).toEqual(new Set(['key_unknown']));
    expect(idp.counters.jwks).toBe(2);

    clock.advance(5);
    await idp.rotateKeys();
    const logout = await idp.logoutToken({ sub: alice.sub, sid: 'session-1' });
    // The provider may send it again (OIDC Back-Channel Logout 1.0 §2.8): not refused as invalid.
    const deferred = await expectAuthFailure(
      auth.verifyLogoutToken(logout, ['todo-ui']),
      'key_refetch_deferred',
      503,
    );
    expect(deferred.retryAfterSec).toBe(25);
    expect(idp.counters.jwks).toBe(2);
    clock.advance(25);
    await expect(auth.verifyLogoutToken(logout, ['todo-ui'])).resolves.toMatchObject({
      sessionId: 'session-1',
    });
  });

  test('a token of a key retired before the kept keys were fetched is refused 401 inside the window', async () => {
    const auth = make();
    const old = await idp.accessToken(alice, { expiresInSec: 3600 });
    await auth.authenticate(old);
    await idp.rotateKeys({ retirePrevious: true });
    const forged = await forger();
    clock.advance(40);
    await auth.authenticate(await idp.accessToken(alice)); // the new key, fetched on sight
    clock.advance(1);
    expect(await flood(auth, forged)).toEqual(new Set(['key_unknown']));
    expect(idp.counters.jwks).toBe(3); // the gate is closed now
    clock.advance(1);
    // The keys were fetched 41 s after it was issued (past the 30 s clock tolerance) and lack
    // its kid: the provider no longer publishes its key, and waiting would change nothing.
    await expectAuthFailure(auth.authenticate(old), 'key_unknown', 401);
    // The flood's own tokens, issued 42 s ago, are decided the same way now.
    expect(await flood(auth, forged)).toEqual(new Set(['key_unknown']));
    expect(idp.counters.jwks).toBe(3);
  });
});
