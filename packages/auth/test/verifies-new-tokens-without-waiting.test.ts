import { type AuthEvent, createAuthenticator, isAuthError, type Principal } from '@todo-sso/auth';
import { authPlugin, createAuthErrorHandler } from '@todo-sso/auth/fastify';
import { alice, bob, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { frozenClock } from './support.js';

/**
 * `authenticateNow`: a new JWT under a fresh key is verified and answered in the same call (no
 * promise); anything that must wait (the issuer's keys not loaded yet) is a promise; a refusal
 * found at once is thrown and counted. Every check of `authenticate` still applies.
 */
describe('authenticateNow', () => {
  const clock = frozenClock();
  let idp: TestIssuer;
  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'keycloak', now: clock.now });
  });
  afterAll(() => idp.close());

  test('a new token under a loaded key is a principal, not a promise; again, the cached one', async () => {
    const events: AuthEvent[] = [];
    const auth = createAuthenticator({
      issuers: [idp.issuerOptions()],
      now: clock.now,
      onEvent: (e) => events.push(e),
    });
    expect(await auth.ready()).toBe(true);
    const token = await idp.accessToken(alice);
    const first = auth.authenticateNow?.(token);
    expect(first).not.toBeInstanceOf(Promise);
    expect((first as Principal).subject).toBe(alice.sub);
    expect(Object.isFrozen(first)).toBe(true);
    expect(auth.authenticateNow?.(token)).toBe(first);
    expect(auth.cached?.(token)).toBe(first);
    expect(events.flatMap((e) => (e.type === 'authenticated' ? [e.cached] : []))).toEqual([
      false,
      true,
      true,
    ]);
  });

  test('before the keys are loaded: a promise of the same principal', async () => {
    const auth = createAuthenticator({ issuers: [idp.issuerOptions()], now: clock.now });
    const token = await idp.accessToken(bob);
    const pending = auth.authenticateNow?.(token);
    expect(pending).toBeInstanceOf(Promise);
    const principal = await pending;
    expect(principal?.subject).toBe(bob.sub);
    expect(auth.authenticateNow?.(token)).toBe(principal);
  });

  test('refusals are thrown at once and counted: malformed, expired, wrong audience, revoked', async () => {
    const failures: string[] = [];
    const auth = createAuthenticator({
      issuers: [idp.issuerOptions({ clockToleranceSec: 0 })],
      now: clock.now,
      revocation: { isRevoked: (p: Principal) => p.subject === bob.sub },
      onEvent: (e) => {
        if (e.type === 'auth_failed') failures.push(e.code);
      },
    });
    expect(await auth.ready()).toBe(true);
    const codeOf = (token: string | undefined) => {
      try {
        auth.authenticateNow?.(token as string);
      } catch (e) {
        return isAuthError(e) ? e.code : 'not an AuthError';
      }
      return 'accepted';
    };
    expect(codeOf('not.a.jwt!')).toBe('token_malformed');
    expect(codeOf(undefined)).toBe('token_missing');
    expect(codeOf(await idp.accessToken(alice, { expiresInSec: -60 }))).toBe('token_expired');
    expect(codeOf(await idp.accessToken(alice, { claims: { aud: 'another-api' } }))).toBe(
      'audience_mismatch',
    );
    expect(codeOf(await idp.accessToken(bob))).toBe('token_revoked');
    expect(failures).toEqual([
      'token_malformed',
      'token_missing',
      'token_expired',
      'audience_mismatch',
      'token_revoked',
    ]);
  });
});

describe('authPlugin with new tokens', () => {
  const clock = frozenClock();
  let idp: TestIssuer;
  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'keycloak', now: clock.now });
  });
  afterAll(() => idp.close());

  const appWith = async (authenticator: ReturnType<typeof createAuthenticator>) => {
    const app = Fastify();
    app.setErrorHandler(createAuthErrorHandler({ realm: 'todo-api' }));
    await app.register(async (api) => {
      await api.register(authPlugin, { authenticator });
      api.get('/me', async (request) => ({ sub: request.principal.subject }));
    });
    return app;
  };

  test('each new token is verified once and answered for its own subject, before and after the keys load', async () => {
    const verified: boolean[] = [];
    const authenticator = createAuthenticator({
      issuers: [idp.issuerOptions()],
      now: clock.now,
      onEvent: (e) => {
        if (e.type === 'authenticated') verified.push(e.cached);
      },
    });
    const app = await appWith(authenticator);
    try {
      // The first request finds no keys loaded: its verification waits for the JWKS.
      for (const user of [alice, bob, alice]) {
        const token = await idp.accessToken(user);
        const res = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } });
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual({ sub: user.sub });
      }
      expect(verified).toEqual([false, false, false]);
    } finally {
      await app.close();
    }
  });

  test('request.verifiedNow is true only for the request that verified its token', async () => {
    const authenticator = createAuthenticator({ issuers: [idp.issuerOptions()], now: clock.now });
    expect(await authenticator.ready()).toBe(true);
    const app = Fastify();
    app.setErrorHandler(createAuthErrorHandler({ realm: 'todo-api' }));
    await app.register(async (api) => {
      await api.register(authPlugin, { authenticator });
      api.get('/me', async (request) => ({ now: request.verifiedNow }));
    });
    try {
      const token = await idp.accessToken(alice);
      const seen: unknown[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } });
        expect(res.statusCode).toBe(200);
        seen.push(res.json().now);
      }
      expect(seen).toEqual([true, false, false]);
    } finally {
      await app.close();
    }
  });

  test('a refused new token gets its 401 and challenge', async () => {
    const app = await appWith(
      createAuthenticator({ issuers: [idp.issuerOptions()], now: clock.now }),
    );
    try {
      const token = await idp.accessToken(alice, { claims: { aud: 'another-api' } });
      const res = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
      expect(res.json()).toMatchObject({ code: 'audience_mismatch' });
    } finally {
      await app.close();
    }
  });
});
