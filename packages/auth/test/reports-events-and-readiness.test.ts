import { type AuthEvent, createAuthenticator } from '@todo-sso/auth';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectAuthFailure } from './support.js';

describe('metrics hook and readiness', () => {
  let idp: TestIssuer;
  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'keycloak', algorithm: 'ES256' });
  });
  afterAll(() => idp.close());

  test('counts failures by reason code and never passes the token to the hook', async () => {
    const events: AuthEvent[] = [];
    const auth = createAuthenticator({
      issuers: [idp.issuerOptions()],
      onEvent: (e) => events.push(e),
    });
    const expired = await idp.accessToken(alice, {
      issuedAt: Math.floor(Date.now() / 1000) - 1000,
    });
    await expectAuthFailure(auth.authenticate(expired), 'token_expired', 401);
    await expectAuthFailure(auth.authenticate(undefined), 'token_missing', 401);
    const failures = events
      .filter((e) => e.type === 'auth_failed')
      .map((e) => (e as { code: string }).code);
    expect(failures).toEqual(['token_expired', 'token_missing']);
    expect(events.find((e) => e.type === 'auth_failed')).toMatchObject({ issuer: idp.issuer });
    expect(events.some((e) => e.type === 'jwks_fetch' && e.ok && e.keys === 1)).toBe(true);
    expect(JSON.stringify(events)).not.toContain(expired.split('.')[2]);
  });

  test('a throwing metrics hook does not change the decision', async () => {
    const auth = createAuthenticator({
      issuers: [idp.issuerOptions()],
      onEvent: () => {
        throw new Error('metrics backend down');
      },
    });
    await expect(auth.authenticate(await idp.accessToken(alice))).resolves.toMatchObject({
      subject: alice.sub,
    });
  });

  test('ready() is true for an introspection issuer once its metadata is loaded', async () => {
    const auth = createAuthenticator({ issuers: [idp.issuerOptions({ verify: 'introspect' })] });
    idp.resetCounters();
    expect(await auth.ready()).toBe(true);
    expect(idp.counters).toMatchObject({ discovery: 1, jwks: 0 });
    expect(auth.status()[0]).toMatchObject({ verify: 'introspect', keysCached: true });
  });

  test('an introspection issuer stays usable past the keys lifetime: ready() loads its metadata again', async () => {
    const clock = { t: Date.now() };
    const auth = createAuthenticator({
      issuers: [idp.issuerOptions({ verify: 'introspect' })],
      now: () => clock.t,
    });
    expect(await auth.ready()).toBe(true);
    clock.t += 16 * 60_000; // past jwksTtlSec (300) + staleIfErrorSec (600)
    idp.resetCounters();
    expect(await auth.ready()).toBe(true);
    expect(auth.status()[0]).toMatchObject({ verify: 'introspect', usable: true });
    expect(idp.counters).toMatchObject({ discovery: 1, jwks: 0 });
  });

  test('ready() is false while an issuer is unreachable, and true after it recovers', async () => {
    const clock = { t: Date.now() };
    const auth = createAuthenticator({ issuers: [idp.issuerOptions()], now: () => clock.t });
    idp.setFault('down');
    try {
      expect(await auth.ready()).toBe(false);
      expect(auth.status()[0]).toMatchObject({
        usable: false,
        lastError: expect.stringContaining('503'),
      });
    } finally {
      idp.setFault(undefined);
    }
    clock.t += 5_000; // the first-load retry gap
    expect(await auth.ready()).toBe(true);
  });

  test('ready() is false when the JWKS holds no usable signature key', async () => {
    const empty = await startTestIssuer({ profile: 'keycloak', algorithm: 'ES256' });
    try {
      empty.removeKey(empty.currentKid);
      const { generateSigningKey } = await import('@todo-sso/auth/testing');
      empty.publishJwk({ ...(await generateSigningKey('ES256')).publicJwk, use: 'enc' });
      const auth = createAuthenticator({ issuers: [empty.issuerOptions()] });
      expect(await auth.ready()).toBe(false);
      expect(auth.status()[0]).toMatchObject({ keysCached: true, keyCount: 0 });
    } finally {
      await empty.close();
    }
  });

  test('introspect() without client credentials answers 503 idp_unavailable, and canIntrospect() says so up front', async () => {
    const auth = createAuthenticator({
      issuers: [{ issuer: idp.issuer, audience: 'todo-api', profile: 'keycloak' }],
    });
    expect(auth.canIntrospect()).toBe(false);
    expect(createAuthenticator({ issuers: [idp.issuerOptions()] }).canIntrospect()).toBe(true);
    await expect(auth.introspect(await idp.accessToken(alice))).rejects.toMatchObject({
      name: 'AuthError',
      code: 'idp_unavailable',
      status: 503,
    });
  });

  test('verifyLogoutToken without audiences is a TypeError', async () => {
    const auth = createAuthenticator({ issuers: [idp.issuerOptions()] });
    expect(() => auth.verifyLogoutToken('x', [])).toThrow(TypeError);
  });
});
