import { createAuthenticator } from '@todo-sso/auth';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectAuthFailure } from './support.js';

/**
 * The cases only some providers need: Authentik marks access tokens by `uid` when `azp` is
 * missing, and its code-flow access tokens carry the sign-in's `nonce`; Keycloak marks every
 * token with a `typ` claim.
 */
const PROFILE_CASES = {
  keycloak: { uidMarker: false, typClaim: true, nonceInAccess: false, idAzpNever: false },
  authentik: { uidMarker: true, typClaim: false, nonceInAccess: true, idAzpNever: true },
  generic: { uidMarker: false, typClaim: false, nonceInAccess: false, idAzpNever: false },
} as const;

describe.each(['keycloak', 'authentik', 'generic'] as const)('a %s issuer', (profile) => {
  let idp: TestIssuer;
  let auth: ReturnType<typeof createAuthenticator>;
  beforeAll(async () => {
    idp = await startTestIssuer({ profile, algorithm: 'ES256' });
    // The ID token's audience is the client; accept it so only the type check can refuse it.
    auth = createAuthenticator({
      issuers: [idp.issuerOptions({ audience: ['todo-api', 'todo-ui', 'todo-cli', idp.issuer] })],
    });
  });
  afterAll(() => idp.close());

  test('accepts its access token', async () => {
    await expect(auth.authenticate(await idp.accessToken(alice))).resolves.toMatchObject({
      subject: alice.sub,
    });
  });

  test('rejects an ID token presented as an access token with 401 token_type_invalid', async () => {
    await expectAuthFailure(auth.authenticate(await idp.idToken(alice)), 'token_type_invalid', 401);
  });

  test('rejects an ID token without nonce or at_hash (aud = azp, or Authentik without azp) with 401 token_type_invalid', async () => {
    const token = await idp.idToken(alice, { claims: { nonce: undefined, at_hash: undefined } });
    await expectAuthFailure(auth.authenticate(token), 'token_type_invalid', 401);
  });

  // OIDC Core §2 makes `azp` optional in an ID token, and §3.1.3.7 item 4 asks for it only
  // with several audiences: oidc-provider, Auth0 and Entra ID leave it out when the client is the
  // one audience, and a refreshed or device-flow ID token carries no `nonce` (§12.2, RFC 8628).
  test('rejects an ID token without azp, nonce or at_hash (refreshed, device flow) with 401 token_type_invalid', async () => {
    const token = await idp.idToken(alice, {
      claims: { nonce: undefined, at_hash: undefined, azp: undefined },
    });
    await expectAuthFailure(auth.authenticate(token), 'token_type_invalid', 401);
  });

  // Authentik's ID tokens never carry azp (its access-token marker), so this shape is not one.
  test.skipIf(PROFILE_CASES[profile].idAzpNever)(
    'rejects an ID token for two audiences whose azp is one of them (no nonce, no at_hash) with 401 token_type_invalid',
    async () => {
      const token = await idp.idToken(alice, {
        claims: {
          nonce: undefined,
          at_hash: undefined,
          aud: ['todo-ui', 'todo-api'],
          azp: 'todo-ui',
        },
      });
      await expectAuthFailure(auth.authenticate(token), 'token_type_invalid', 401);
    },
  );

  test.runIf(PROFILE_CASES[profile].uidMarker)(
    'accepts an Authentik access token that carries uid but no azp',
    async () => {
      const token = await idp.accessToken(alice, { claims: { azp: undefined, uid: 'a1b2c3' } });
      await expect(auth.authenticate(token)).resolves.toMatchObject({ subject: alice.sub });
    },
  );

  test(`${PROFILE_CASES[profile].nonceInAccess ? 'accepts' : 'rejects'} an access token that carries a nonce`, async () => {
    const token = await idp.accessToken(alice, { claims: { nonce: 'n-0S6_WzA2Mj' } });
    if (PROFILE_CASES[profile].nonceInAccess)
      await expect(auth.authenticate(token)).resolves.toMatchObject({ subject: alice.sub });
    else await expectAuthFailure(auth.authenticate(token), 'token_type_invalid', 401);
  });

  test('rejects a refresh token presented as an access token with 401 token_type_invalid', async () => {
    await expectAuthFailure(
      auth.authenticate(await idp.refreshToken(alice)),
      'token_type_invalid',
      401,
    );
  });

  test('rejects a logout token presented as an access token with 401 token_type_invalid', async () => {
    const token = await idp.logoutToken({ sub: alice.sub }, { claims: { aud: 'todo-api' } });
    await expectAuthFailure(auth.authenticate(token), 'token_type_invalid', 401);
  });

  test('rejects a header typ that is not an access-token type with 401 token_type_invalid', async () => {
    const token = await idp.accessToken(alice, { header: { typ: 'dpop+jwt' } });
    await expectAuthFailure(auth.authenticate(token), 'token_type_invalid', 401);
  });

  // `{ "toString": 1 }` makes String(value) throw: a type that cannot be printed is still a
  // token problem (401), never a crash (500).
  test('rejects a header typ that is a JSON object with 401 token_type_invalid, never a crash', async () => {
    const token = await idp.accessToken(alice, { header: { typ: { toString: 1 } } });
    await expectAuthFailure(auth.authenticate(token), 'token_type_invalid', 401);
  });

  test.runIf(PROFILE_CASES[profile].typClaim)(
    'rejects a Keycloak typ claim that is a JSON object with 401 token_type_invalid, never a crash',
    async () => {
      const token = await idp.accessToken(alice, { claims: { typ: { toString: 1, valueOf: 2 } } });
      await expectAuthFailure(auth.authenticate(token), 'token_type_invalid', 401);
    },
  );
});

test('accepts an RFC 9068 at+jwt access token from a generic issuer', async () => {
  const idp = await startTestIssuer({ profile: 'generic', algorithm: 'ES256' });
  try {
    const auth = createAuthenticator({ issuers: [idp.issuerOptions()] });
    const token = await idp.accessToken(alice);
    expect(JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()).typ).toBe(
      'at+jwt',
    );
    await expect(auth.authenticate(token)).resolves.toMatchObject({ roles: ['user'] });
  } finally {
    await idp.close();
  }
});

// Without `scope`/`scp`, `client_id` or `azp`, an access token may still name its client under a
// provider's own claim: Entra ID v1's application token (`appid`, `roles`), Okta's `cid`.
test('accepts a generic access token naming its client by appid or cid; refuses the same token without', async () => {
  const idp = await startTestIssuer({ profile: 'generic', algorithm: 'ES256' });
  try {
    const auth = createAuthenticator({ issuers: [idp.issuerOptions({ audience: 'todo-api' })] });
    const now = Math.floor(Date.now() / 1000);
    const base = { iss: idp.issuer, sub: 'svc-1', aud: 'todo-api', iat: now, exp: now + 300 };
    for (const client of [{ appid: 'svc-client', roles: ['user'] }, { cid: 'svc-client' }]) {
      const token = await idp.sign({ ...base, ...client });
      await expect(auth.authenticate(token)).resolves.toMatchObject({ subject: 'svc-1' });
    }
    await expectAuthFailure(auth.authenticate(await idp.sign(base)), 'token_type_invalid', 401);
  } finally {
    await idp.close();
  }
});

// RFC 7515 §4.1.9: a header `typ` is a media type (any case, `application/` optional).
test('accepts the at+jwt and JWT typ spellings of RFC 7515, and refuses look-alikes', async () => {
  const idp = await startTestIssuer({ profile: 'generic', algorithm: 'ES256' });
  try {
    const auth = createAuthenticator({ issuers: [idp.issuerOptions()] });
    for (const typ of ['application/at+jwt', 'AT+JWT', 'Application/At+Jwt', 'application/jwt'])
      await expect(
        auth.authenticate(await idp.accessToken(alice, { header: { typ } })),
      ).resolves.toMatchObject({ roles: ['user'] });
    for (const typ of ['at+jwt; x=1', 'text/at+jwt', 'application/dpop+jwt'])
      await expectAuthFailure(
        auth.authenticate(await idp.accessToken(alice, { header: { typ } })),
        'token_type_invalid',
        401,
      );
  } finally {
    await idp.close();
  }
});

test('rejects a Keycloak Offline token with 401 token_type_invalid', async () => {
  const idp = await startTestIssuer({ profile: 'keycloak', algorithm: 'ES256' });
  try {
    const auth = createAuthenticator({ issuers: [idp.issuerOptions()] });
    await expectAuthFailure(
      auth.authenticate(await idp.accessToken(alice, { claims: { typ: 'Offline' } })),
      'token_type_invalid',
      401,
    );
  } finally {
    await idp.close();
  }
});

test('accepts a Keycloak DPoP-bound access token (typ DPoP with cnf.jkt); refuses typ DPoP without cnf.jkt', async () => {
  const idp = await startTestIssuer({ profile: 'keycloak', algorithm: 'ES256' });
  try {
    const auth = createAuthenticator({ issuers: [idp.issuerOptions()] });
    const jkt = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
    const bound = await idp.accessToken(alice, { claims: { typ: 'DPoP', cnf: { jkt } } });
    await expect(auth.authenticate(bound)).resolves.toMatchObject({
      subject: alice.sub,
      confirmation: { jkt },
    });
    await expectAuthFailure(
      auth.authenticate(await idp.accessToken(alice, { claims: { typ: 'DPoP' } })),
      'token_type_invalid',
      401,
    );
  } finally {
    await idp.close();
  }
});

test('says which kind of token it refused, with the right article: An ID token, A Refresh token', async () => {
  const idp = await startTestIssuer({ profile: 'keycloak', algorithm: 'ES256' });
  try {
    const auth = createAuthenticator({ issuers: [idp.issuerOptions()] });
    for (const [typ, said] of [
      ['ID', 'An ID token is not an access token'],
      ['Offline', 'An Offline token is not an access token'],
      ['Refresh', 'A Refresh token is not an access token'],
    ] as const) {
      const token = await idp.accessToken(alice, { claims: { typ } });
      await expect(auth.authenticate(token)).rejects.toThrow(said);
    }
  } finally {
    await idp.close();
  }
});
