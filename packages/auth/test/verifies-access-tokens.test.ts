import { createAuthenticator, type SignatureVerifier } from '@todo-sso/auth';
import {
  alice,
  startTestIssuer,
  type TestAlgorithm,
  type TestIssuer,
} from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectAuthFailure, frozenClock } from './support.js';

const algorithms: TestAlgorithm[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];
const verifiers: SignatureVerifier[] = ['node', 'jose'];

describe.each(algorithms)('an issuer signing with %s', (algorithm) => {
  const clock = frozenClock();
  let idp: TestIssuer;
  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'keycloak', algorithm, now: clock.now });
  });
  afterAll(() => idp.close());

  test.each(verifiers)(
    'accepts a valid access token (%s signature verifier)',
    async (signatureVerifier) => {
      const auth = createAuthenticator({
        issuers: [idp.issuerOptions({ attributeClaims: ['department'] })],
        now: clock.now,
        signatureVerifier,
      });
      const principal = await auth.authenticate(await idp.accessToken(alice));
      expect(principal).toMatchObject({
        issuer: idp.issuer,
        subject: alice.sub,
        username: 'alice',
        email: 'alice@example.com',
        roles: ['user'],
        permissions: ['todos:read', 'todos:write'],
        scopes: ['openid', 'profile', 'email'],
        attributes: { department: 'engineering' },
        clientId: 'todo-ui',
        isAdmin: false,
      });
      expect(principal.expiresAt).toBe(Math.floor(clock.now() / 1000) + 300);
    },
  );

  test.each(verifiers)(
    'rejects a tampered payload with 401 signature_invalid (%s)',
    async (signatureVerifier) => {
      const auth = createAuthenticator({
        issuers: [idp.issuerOptions({ attributeClaims: ['department'] })],
        now: clock.now,
        signatureVerifier,
      });
      const [h, p, s] = (await idp.accessToken(alice)).split('.');
      const claims = JSON.parse(Buffer.from(p as string, 'base64url').toString());
      claims.realm_access.roles.push('admin');
      const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
      await expectAuthFailure(auth.authenticate(forged), 'signature_invalid', 401);
    },
  );

  test.each(verifiers)(
    'rejects a stripped signature with 401 signature_invalid (%s)',
    async (signatureVerifier) => {
      const auth = createAuthenticator({
        issuers: [idp.issuerOptions({ attributeClaims: ['department'] })],
        now: clock.now,
        signatureVerifier,
      });
      const [h, p] = (await idp.accessToken(alice)).split('.');
      await expectAuthFailure(auth.authenticate(`${h}.${p}.`), 'signature_invalid', 401);
    },
  );
});

test('rejects a token signed by a second key set reusing the trusted kid with 401 signature_invalid', async () => {
  const { generateSigningKey } = await import('@todo-sso/auth/testing');
  const idp = await startTestIssuer();
  try {
    const auth = createAuthenticator({ issuers: [idp.issuerOptions()] });
    const impostor = await generateSigningKey('RS256', idp.currentKid);
    await expectAuthFailure(
      auth.authenticate(await idp.accessToken(alice, { key: impostor })),
      'signature_invalid',
      401,
    );
  } finally {
    await idp.close();
  }
});
