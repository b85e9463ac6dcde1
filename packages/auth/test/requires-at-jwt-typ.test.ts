import { createAuthenticator, IssuerOptionError, resolveIssuer } from '@todo-sso/auth';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectAuthFailure } from './support.js';

/**
 * RFC 9068 §4: a resource server MUST check that a JWT access token of that profile is typed
 * `at+jwt` (or `application/at+jwt`). Keycloak signs its access tokens `typ: "JWT"` unless the
 * client sets `access.token.header.type.rfc9068`, Authentik always does: `requireAtJwtTyp` makes
 * the check strict for an issuer known to type them, and leaves the others as they were.
 */
describe.each(['keycloak', 'generic'] as const)('a %s issuer', (profile) => {
  let idp: TestIssuer;
  let strict: ReturnType<typeof createAuthenticator>;
  let lenient: ReturnType<typeof createAuthenticator>;
  beforeAll(async () => {
    idp = await startTestIssuer({ profile, algorithm: 'ES256' });
    strict = createAuthenticator({ issuers: [idp.issuerOptions({ requireAtJwtTyp: true })] });
    lenient = createAuthenticator({ issuers: [idp.issuerOptions()] });
  });
  afterAll(() => idp.close());

  test.each(['at+jwt', 'application/at+jwt', 'AT+JWT'])(
    'with requireAtJwtTyp accepts an access token typed %s',
    async (typ) => {
      const token = await idp.accessToken(alice, { header: { typ } });
      await expect(strict.authenticate(token)).resolves.toMatchObject({ subject: alice.sub });
    },
  );

  test.each([['JWT'], ['application/jwt'], [undefined]])(
    'with requireAtJwtTyp refuses an access token typed %s with 401 token_type_invalid',
    async (typ) => {
      const token = await idp.accessToken(alice, { header: { typ } });
      const error = await expectAuthFailure(strict.authenticate(token), 'token_type_invalid', 401);
      expect(error.description).toBe(
        `This issuer's access tokens must have the header typ at+jwt (RFC 9068), not ${typ ?? 'none'}`,
      );
    },
  );

  test.each([['JWT'], [undefined]])(
    'without requireAtJwtTyp still accepts an access token typed %s',
    async (typ) => {
      const token = await idp.accessToken(alice, { header: { typ } });
      await expect(lenient.authenticate(token)).resolves.toMatchObject({ subject: alice.sub });
    },
  );

  // RFC 8725 §3.11: a JWT typed for another use (a DPoP proof, RFC 9449 §4.2; a logout token,
  // OIDC Back-Channel Logout §2.4; a security event token, RFC 8417 §2.3) never opens the API,
  // whatever the other claims and the issuer's setting.
  test.each([
    'dpop+jwt',
    'logout+jwt',
    'application/logout+jwt',
    'secevent+jwt',
    'token-introspection+jwt',
    'jwt; at',
  ])('refuses a token typed %s with 401 token_type_invalid, strict or not', async (typ) => {
    const token = await idp.accessToken(alice, { header: { typ } });
    for (const auth of [strict, lenient])
      await expectAuthFailure(auth.authenticate(token), 'token_type_invalid', 401);
  });

  test('with requireAtJwtTyp still refuses an ID token typed at+jwt', async () => {
    const token = await idp.idToken(alice, { header: { typ: 'at+jwt' } });
    const wide = createAuthenticator({
      issuers: [
        idp.issuerOptions({
          requireAtJwtTyp: true,
          audience: ['todo-api', 'todo-ui', 'todo-cli', idp.issuer],
        }),
      ],
    });
    await expectAuthFailure(wide.authenticate(token), 'token_type_invalid', 401);
  });
});

test('requireAtJwtTyp is refused at start-up unless a boolean, and with introspection', () => {
  const base = { issuer: 'https://sso.example.com/realms/a', audience: 'todo-api' };
  expect(resolveIssuer(base).requireAtJwtTyp).toBe(false);
  expect(resolveIssuer({ ...base, requireAtJwtTyp: true }).requireAtJwtTyp).toBe(true);
  const refused = (options: object) => {
    try {
      resolveIssuer({ ...base, ...options });
    } catch (error) {
      if (error instanceof IssuerOptionError) return error.option;
      throw error;
    }
    return undefined;
  };
  expect(refused({ requireAtJwtTyp: 'true' })).toBe('requireAtJwtTyp');
  expect(
    refused({ requireAtJwtTyp: true, verify: 'introspect', clientId: 'api', clientSecret: 's' }),
  ).toBe('requireAtJwtTyp');
});
