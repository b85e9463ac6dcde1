import { createAuthenticator, MemoryDpopReplayCache } from '@todo-sso/auth';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectAuthFailure } from './support.js';

/**
 * A token whose `cnf` (RFC 7800 §3.1) binds it by a method this resource server cannot check is
 * not a bearer token: an RFC 8705 §3 certificate-bound token (`x5t#S256`) used without its
 * certificate, or a binding whose key is not a thumbprint, would otherwise open the API to
 * whoever holds the token. Only RFC 9449 §6.1 `jkt` is checked (by the DPoP proof), so any
 * other confirmation is refused, by JWT and by introspection alike, whatever the DPoP mode.
 */
const UNCHECKABLE: Record<string, unknown> = {
  'certificate thumbprint (RFC 8705 x5t#S256)': {
    'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2',
  },
  'jkt beside a certificate thumbprint': {
    jkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
    'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2',
  },
  'embedded public key (RFC 7800 jwk)': { jwk: { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' } },
  'key id (RFC 7800 kid)': { kid: 'holder-key-1' },
  'jkt that is not a string': { jkt: 5 },
  'empty jkt': { jkt: '' },
  'no method at all': {},
  'a string': 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
  'an array': ['NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'],
};

describe.each(['off', 'allowed', 'required'] as const)('with DPoP %s', (dpop) => {
  let idp: TestIssuer;
  let jwt: ReturnType<typeof createAuthenticator>;
  let introspected: ReturnType<typeof createAuthenticator>;
  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'keycloak' });
    const replay = { replay: new MemoryDpopReplayCache() };
    jwt = createAuthenticator({ issuers: [idp.issuerOptions({ dpop })], dpop: replay });
    introspected = createAuthenticator({
      issuers: [idp.issuerOptions({ dpop, verify: 'introspect' })],
      dpop: replay,
    });
  });
  afterAll(() => idp.close());

  test('a token bound by jkt alone is still accepted', async () => {
    const claims = { cnf: { jkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' } };
    await expect(jwt.authenticate(await idp.accessToken(alice, { claims }))).resolves.toMatchObject(
      { confirmation: { jkt: claims.cnf.jkt } },
    );
  });

  test.each(Object.entries(UNCHECKABLE))(
    'refuses cnf: %s (JWT and introspection)',
    async (_name, cnf) => {
      const claims = { cnf };
      await expectAuthFailure(
        jwt.authenticate(await idp.accessToken(alice, { claims })),
        'token_binding_mismatch',
        401,
      );
      await expectAuthFailure(
        introspected.authenticate(await idp.opaqueToken(alice, { claims })),
        'token_binding_mismatch',
        401,
      );
    },
  );
});
