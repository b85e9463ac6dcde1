import { createAuthenticator } from '@todo-sso/auth';
import { alice, carol, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectAuthFailure } from './support.js';

describe('Keycloak and Authentik trusted side by side', () => {
  let keycloak: TestIssuer;
  let authentik: TestIssuer;
  let auth: ReturnType<typeof createAuthenticator>;
  beforeAll(async () => {
    [keycloak, authentik] = await Promise.all([
      startTestIssuer({ profile: 'keycloak', algorithm: 'RS256' }),
      startTestIssuer({ profile: 'authentik', algorithm: 'ES256' }),
    ]);
    const scoped = { attributeClaims: ['department'] };
    auth = createAuthenticator({
      issuers: [keycloak.issuerOptions(scoped), authentik.issuerOptions(scoped)],
    });
  });
  afterAll(() => Promise.all([keycloak.close(), authentik.close()]));

  test('maps a Keycloak token from realm_access and resource_access.todo-api', async () => {
    const p = await auth.authenticate(await keycloak.accessToken(carol));
    expect(p).toMatchObject({
      issuer: keycloak.issuer,
      roles: ['user'],
      permissions: ['todos:read', 'todos:write', 'reports:generate'],
      attributes: { department: 'engineering' },
    });
  });

  test('maps an Authentik token (aud = client id) from its flat groups claim', async () => {
    const p = await auth.authenticate(await authentik.accessToken(alice));
    expect(authentik.issuer.endsWith('/application/o/todo-app/')).toBe(true);
    expect(p).toMatchObject({
      issuer: authentik.issuer,
      roles: ['user', 'todos:read', 'todos:write'],
      permissions: ['user', 'todos:read', 'todos:write'],
      clientId: 'todo-cli',
    });
  });

  test('rejects a token whose iss is Keycloak but which the Authentik key signed with 401 key_unknown', async () => {
    const genuine = await keycloak.accessToken(alice);
    const claims = JSON.parse(Buffer.from(genuine.split('.')[1] as string, 'base64url').toString());
    const token = await authentik.sign(claims); // Authentik's current key and kid
    await expectAuthFailure(auth.authenticate(token), 'key_unknown', 401);
  });

  test('rejects it with 401 alg_not_allowed when it also names the Keycloak kid', async () => {
    const genuine = await keycloak.accessToken(alice);
    const claims = JSON.parse(Buffer.from(genuine.split('.')[1] as string, 'base64url').toString());
    const token = await authentik.sign(claims, { kid: keycloak.currentKid });
    await expectAuthFailure(auth.authenticate(token), 'alg_not_allowed', 401);
  });

  test('rejects an Authentik-issued token re-signed by the Keycloak key, even with the Authentik kid', async () => {
    const { generateSigningKey } = await import('@todo-sso/auth/testing');
    const fake = await generateSigningKey('ES256', authentik.currentKid);
    const token = await authentik.accessToken(alice, { key: fake });
    await expectAuthFailure(auth.authenticate(token), 'signature_invalid', 401);
  });
});
