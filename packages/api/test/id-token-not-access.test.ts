import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { type Instance, startInstance, testConfig } from './support/harness.js';

/**
 * A provider whose web client is also the API's audience (one application registration for
 * the app and its API) signs ID tokens the API would accept if only a `nonce`, an `at_hash` or
 * `aud` = `azp` told them apart: OpenID Connect Core §2 makes `azp` optional (oidc-provider,
 * Auth0 and Entra ID leave it out for a single audience) and a refreshed (§12.2) or device-flow
 * ID token has no `nonce`. Such an ID token travels in `id_token_hint` URLs to the provider's
 * end-session endpoint; it must never open the API (RFC 8725 §3.11).
 */
describe('a generic issuer whose web client is an API audience', () => {
  let idp: TestIssuer;
  let database: TestDatabase;
  let api: Instance;
  let url: string;
  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'generic' });
    database = sqliteDatabase();
    api = await startInstance(
      testConfig(idp, database.config, {
        OIDC_ISSUER: idp.issuer,
        OIDC_PROVIDER: 'generic',
        OIDC_AUDIENCE: 'todo-api,todo-ui',
      }),
    );
    url = await api.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await api?.close();
    await idp?.close();
    await database?.drop();
  });

  const me = (token: string) =>
    fetch(`${url}/me`, { headers: { authorization: `Bearer ${token}` } });

  it('answers the access token 200', async () => {
    expect((await me(await idp.accessToken(alice))).status).toBe(200);
  });

  it.each([
    ['naming no azp (a refreshed or device-flow ID token)', { azp: undefined }],
    ['for two audiences, azp one of them', { aud: ['todo-ui', 'todo-api'], azp: 'todo-ui' }],
  ])(
    'answers an ID token without nonce or at_hash %s 401 token_type_invalid',
    async (_, claims) => {
      const token = await idp.idToken(alice, {
        claims: { nonce: undefined, at_hash: undefined, ...claims },
      });
      const res = await me(token);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(await res.json()).toMatchObject({
        code: 'token_type_invalid',
        received: expect.stringMatching(/^an ID token/),
      });
    },
  );
});
