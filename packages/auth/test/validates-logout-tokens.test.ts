import { createAuthenticator } from '@todo-sso/auth';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectAuthFailure, frozenClock } from './support.js';

describe.each(['keycloak', 'generic'] as const)(
  'back-channel logout tokens from a %s issuer',
  (profile) => {
    const clock = frozenClock();
    let idp: TestIssuer;
    let auth: ReturnType<typeof createAuthenticator>;
    const audiences = ['todo-ui', 'todo-cli'];
    beforeAll(async () => {
      idp = await startTestIssuer({ profile, algorithm: 'ES256', now: clock.now });
      auth = createAuthenticator({ issuers: [idp.issuerOptions()], now: clock.now });
    });
    afterAll(() => idp.close());

    test('accepts a valid logout token and returns sub, sid and jti', async () => {
      const token = await idp.logoutToken({ sub: alice.sub, sid: 'session-1' });
      const claims = await auth.verifyLogoutToken(token, audiences);
      expect(claims).toMatchObject({
        issuer: idp.issuer,
        subject: alice.sub,
        sessionId: 'session-1',
        audience: ['todo-ui'],
      });
      expect(claims.jti).toEqual(expect.any(String));
    });

    test('accepts a logout token for several audiences when each is one of its clients', async () => {
      const token = await idp.logoutToken(
        { sub: alice.sub, sid: 'session-3' },
        { claims: { aud: ['todo-ui', 'todo-cli'] } },
      );
      const claims = await auth.verifyLogoutToken(token, audiences);
      expect(claims.audience).toEqual(['todo-ui', 'todo-cli']);
    });

    test('accepts a logout token naming only a sid', async () => {
      const claims = await auth.verifyLogoutToken(
        await idp.logoutToken({ sid: 'session-2' }),
        audiences,
      );
      expect(claims.subject).toBeUndefined();
      expect(claims.sessionId).toBe('session-2');
    });

    test.each([
      ['without the back-channel logout event', { claims: { events: { 'urn:other': {} } } }],
      ['without events', { claims: { events: undefined } }],
      ['with a nonce', { claims: { nonce: 'n' } }],
      ['for another audience', { claims: { aud: 'other-client' } }],
      [
        'that also names an audience this API does not trust (OIDC Core §3.1.3.7 step 3)',
        { claims: { aud: ['todo-ui', 'other-client'] } },
      ],
      [
        'issued too long ago',
        { issuedAt: Math.floor(clock.now() / 1000) - 3600, expiresInSec: 7200 },
      ],
      ['issued in the future', { issuedAt: Math.floor(clock.now() / 1000) + 600 }],
      ['without iat', { claims: { iat: undefined } }],
      ['without exp (§2.4 errata set 1: REQUIRED)', { claims: { exp: undefined } }],
      ['with a non-numeric exp', { claims: { exp: 'soon' } }],
      ['expired', { issuedAt: Math.floor(clock.now() / 1000) - 200, expiresInSec: 60 }],
      [
        'not valid yet (nbf, RFC 7519 §4.1.5)',
        { claims: { nbf: Math.floor(clock.now() / 1000) + 600 } },
      ],
      ['with a non-numeric nbf', { claims: { nbf: 'now' } }],
      ['typed as an access token', { header: { typ: 'at+jwt' }, claims: { typ: undefined } }],
      [
        'typed as an access token in its header despite a Logout typ claim (RFC 8725 §3.11)',
        { header: { typ: 'at+jwt' }, claims: { typ: 'Logout' } },
      ],
    ])('rejects a logout token %s with logout_token_invalid (400)', async (_name, options) => {
      const token = await idp.logoutToken({ sub: alice.sub, sid: 's' }, options);
      await expectAuthFailure(
        auth.verifyLogoutToken(token, audiences),
        'logout_token_invalid',
        400,
      );
    });

    test('rejects a logout token with neither sub nor sid', async () => {
      const token = await idp.logoutToken(
        { sub: alice.sub },
        { claims: { sub: undefined, sid: undefined } },
      );
      await expectAuthFailure(
        auth.verifyLogoutToken(token, audiences),
        'logout_token_invalid',
        400,
      );
    });

    // §2.4: `sid` and `sub` are strings; one of another type (or empty) is not left out, which
    // would let the other one decide what ends.
    test.each([
      ['sid', 42],
      ['sid', { id: 's' }],
      ['sid', ['s']],
      ['sid', ''],
      ['sid', null],
      ['sub', 42],
      ['sub', { id: alice.sub }],
      ['sub', [alice.sub]],
      ['sub', ''],
      ['sub', null],
    ])('rejects a logout token whose %s is %j beside a valid other', async (name, value) => {
      const token = await idp.logoutToken(
        { sub: alice.sub, sid: 'session-typed' },
        { claims: { [name]: value } },
      );
      await expectAuthFailure(
        auth.verifyLogoutToken(token, audiences),
        'logout_token_invalid',
        400,
      );
    });

    test('rejects an access token presented as a logout token', async () => {
      await expectAuthFailure(
        auth.verifyLogoutToken(
          await idp.accessToken(alice, { claims: { aud: 'todo-ui' } }),
          audiences,
        ),
        'logout_token_invalid',
        400,
      );
    });

    test('rejects a logout token with a forged signature', async () => {
      const [h, p, s] = (await idp.logoutToken({ sub: alice.sub })).split('.');
      const claims = JSON.parse(Buffer.from(p as string, 'base64url').toString());
      claims.sub = 'someone-else';
      const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
      await expectAuthFailure(
        auth.verifyLogoutToken(forged, audiences),
        'logout_token_invalid',
        400,
      );
    });

    test('rejects a logout token from an untrusted issuer', async () => {
      const token = await idp.logoutToken(
        { sub: alice.sub },
        { claims: { iss: 'https://evil.example' } },
      );
      await expectAuthFailure(
        auth.verifyLogoutToken(token, audiences),
        'logout_token_invalid',
        400,
      );
    });
  },
);

test('validates logout tokens of an issuer whose access tokens are introspected (keys loaded on demand)', async () => {
  const idp = await startTestIssuer({ profile: 'keycloak', algorithm: 'ES256' });
  try {
    const auth = createAuthenticator({ issuers: [idp.issuerOptions({ verify: 'introspect' })] });
    await auth.authenticate(await idp.accessToken(alice));
    expect(idp.counters.jwks).toBe(0);
    const claims = await auth.verifyLogoutToken(await idp.logoutToken({ sub: alice.sub }), [
      'todo-ui',
    ]);
    expect(claims.subject).toBe(alice.sub);
    expect(idp.counters.jwks).toBe(1);
    await expect(auth.authenticate(await idp.accessToken(alice))).resolves.toMatchObject({
      subject: alice.sub,
    });
  } finally {
    await idp.close();
  }
});

test('loads the keys for a logout token that arrives while a metadata-only load is in flight', async () => {
  const idp = await startTestIssuer({ profile: 'keycloak', algorithm: 'ES256' });
  try {
    const auth = createAuthenticator({ issuers: [idp.issuerOptions({ verify: 'introspect' })] });
    const token = await idp.logoutToken({ sub: alice.sub });
    const [ready, claims] = await Promise.all([
      auth.ready(),
      auth.verifyLogoutToken(token, ['todo-ui']),
    ]);
    expect(ready).toBe(true);
    expect(claims.subject).toBe(alice.sub);
  } finally {
    await idp.close();
  }
});
