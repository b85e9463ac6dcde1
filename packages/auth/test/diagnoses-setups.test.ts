import { diagnose } from '@todo-sso/auth/diagnose';
import {
  alice,
  generateSigningKey,
  startTestIssuer,
  type TestIssuer,
} from '@todo-sso/auth/testing';
import { exportJWK } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * The doctor's verdicts come from the authenticator itself; each fixture below is a real issuer
 * over HTTP (discovery, JWKS, signed tokens) configured the way a real setup goes wrong.
 */
let idp: TestIssuer | undefined;
afterEach(async () => {
  await idp?.close();
  idp = undefined;
});

async function keycloak(options: Parameters<typeof startTestIssuer>[0] = {}) {
  idp = await startTestIssuer({ profile: 'keycloak', ...options });
  return idp;
}

const codes = (d: { findings: readonly { code: string }[] }) => d.findings.map((f) => f.code);

describe('diagnose', () => {
  it('finds nothing in a correct Keycloak setup and accepts a proper access token', async () => {
    const kc = await keycloak();
    const result = await diagnose({
      issuers: [kc.issuerOptions()],
      token: await kc.accessToken(alice),
    });
    expect(result.findings).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.token).toMatchObject({
      accepted: true,
      username: 'alice',
      missingPermissions: [],
    });
    expect(result.issuers[0]).toMatchObject({ ready: true, advertisedIssuer: kc.issuer });
    expect(result.issuers[0]?.keys).toEqual([
      expect.objectContaining({ alg: 'RS256', usable: true }),
    ]);
  });

  it('finds nothing in a correct Authentik setup', async () => {
    idp = await startTestIssuer({ profile: 'authentik' });
    const result = await diagnose({
      issuers: [idp.issuerOptions()],
      token: await idp.accessToken(alice),
    });
    expect(result.findings).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('names a missing audience mapper when aud is only "account", with the Keycloak mapper to add', async () => {
    const kc = await keycloak();
    const token = await kc.accessToken(alice, { claims: { aud: 'account' } });
    const result = await diagnose({ issuers: [kc.issuerOptions()], token });
    expect(result.ok).toBe(false);
    expect(result.token).toMatchObject({ accepted: false, refusal: 'audience_mismatch' });
    const [finding] = result.findings;
    expect(finding).toMatchObject({
      code: 'audience_mapper_missing',
      apiCode: 'audience_mismatch',
      expected: 'todo-api',
      received: 'account',
    });
    expect(finding?.summary).toContain('"account" comes from Keycloak’s default roles scope');
    expect(finding?.fix.keycloak).toContain('Audience: Included Client Audience = todo-api');
    expect(finding?.fix.authentik).toContain('OIDC_AUDIENCE');
  });

  it('tells Authentik users to list the client ids in OIDC_AUDIENCE', async () => {
    idp = await startTestIssuer({ profile: 'authentik' });
    const result = await diagnose({
      issuers: [idp.issuerOptions({ audience: 'todo-api' })],
      token: await idp.accessToken(alice),
    });
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({
      code: 'audience_mismatch',
      expected: 'todo-api',
      received: 'todo-cli',
    });
    expect(result.findings[0]?.fix.config).toBe(
      'OIDC_AUDIENCE=todo-api,todo-cli if that client is meant for this API.',
    );
  });

  it('names missing roles (no roles scope) although the token itself is valid', async () => {
    const kc = await keycloak();
    const token = await kc.accessToken(alice, {
      claims: { realm_access: undefined, resource_access: undefined },
    });
    const result = await diagnose({
      issuers: [kc.issuerOptions()],
      token,
      requiredPermissions: ['todos:read', 'todos:write'],
    });
    expect(result.token).toMatchObject({
      accepted: true,
      missingPermissions: ['todos:read', 'todos:write'],
    });
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({
      code: 'roles_missing',
      apiCode: 'insufficient_permission',
      expected: 'resource_access.todo-api.roles containing todos:read, todos:write',
      received: '(absent or empty)',
    });
    expect(result.findings[0]?.fix.keycloak).toContain('"roles" client scope as a Default scope');
    expect(result.findings[0]?.fix.authentik).toContain('"groups"');
  });

  it('names the claim that carries the permissions when the configured paths are Keycloak’s on an Authentik token', async () => {
    idp = await startTestIssuer({ profile: 'authentik' });
    const token = await idp.accessToken(alice);
    // Keycloak's paths copied into an Authentik setup, with and without the Authentik profile.
    const hint = ' (or, for Authentik, OIDC_PROVIDER=authentik, which reads both from groups)';
    for (const [profile, suggested] of [
      ['authentik', ''],
      ['keycloak', hint],
    ] as const) {
      const result = await diagnose({
        issuers: [
          idp.issuerOptions({
            profile,
            audience: ['todo-ui', 'todo-cli'],
            rolesClaim: 'realm_access.roles',
            permissionsClaim: 'resource_access.todo-api.roles',
          }),
        ],
        token,
        requiredPermissions: ['todos:read', 'todos:write'],
      });
      expect(codes(result), profile).toEqual(['roles_missing']);
      expect(result.findings[0]?.fix.config, profile).toBe(
        `The token carries todos:read, todos:write in groups, where the API does not look: set OIDC_PERMISSIONS_CLAIM=groups and OIDC_ROLES_CLAIM=groups${suggested}.`,
      );
    }
  });

  it('a scope holding the permissions joined by a comma is one scope, not advised as the claim to read', async () => {
    // RFC 6749 §3.3: the API reads `scope` as space-delimited, so "todos:read,todos:write" is one
    // scope and names neither permission: setting the permissions claim to scope would not help.
    const kc = await keycloak();
    const token = await kc.accessToken(alice, {
      claims: {
        realm_access: undefined,
        resource_access: undefined,
        scope: 'openid todos:read,todos:write',
      },
    });
    const result = await diagnose({
      issuers: [kc.issuerOptions()],
      token,
      requiredPermissions: ['todos:read', 'todos:write'],
    });
    expect(codes(result)).toEqual(['roles_missing']);
    expect(result.findings[0]?.fix.config).not.toContain('=scope');
    // Separated by a space, the scope does carry them, and is named.
    const spaced = await kc.accessToken(alice, {
      claims: {
        realm_access: undefined,
        resource_access: undefined,
        scope: 'openid todos:read todos:write',
      },
    });
    const named = await diagnose({
      issuers: [kc.issuerOptions()],
      token: spaced,
      requiredPermissions: ['todos:read', 'todos:write'],
    });
    expect(named.findings[0]?.fix.config).toContain('OIDC_PERMISSIONS_CLAIM=scope');
  });

  it('without the permissions anywhere in the token, names both configured paths', async () => {
    const kc = await keycloak();
    const token = await kc.accessToken(alice, {
      claims: { realm_access: undefined, resource_access: undefined },
    });
    const result = await diagnose({
      issuers: [kc.issuerOptions()],
      token,
      requiredPermissions: ['todos:read', 'todos:write'],
    });
    expect(result.findings[0]?.fix.config).toBe(
      'If your provider puts them in another claim, point OIDC_PERMISSIONS_CLAIM (now resource_access.todo-api.roles) and OIDC_ROLES_CLAIM (now realm_access.roles) at it.',
    );
  });

  it('names a token that names no client: accepted, but refused wherever the app’s own client is required', async () => {
    // Not Authentik: its access tokens always carry azp, and one without is taken for an ID
    // token and refused outright (token_type_invalid).
    for (const profile of ['keycloak', 'generic'] as const) {
      idp = await startTestIssuer({ profile });
      const options = idp.issuerOptions();
      const token = await idp.accessToken(alice, {
        claims: { azp: undefined, client_id: undefined },
      });
      const result = await diagnose({ issuers: [options], token });
      expect(result.token, profile).toMatchObject({ accepted: true });
      expect(result.ok, profile).toBe(false);
      expect(codes(result), profile).toEqual(['client_id_missing']);
      expect(result.findings[0], profile).toMatchObject({
        apiCode: 'forbidden',
        received: '(none of azp, client_id, cid or appid)',
      });
      expect(result.findings[0]?.summary, profile).toMatch(/admin routes.*AuthZEN API refuse it/);
      expect(result.findings[0]?.fix.keycloak, profile).toMatch(/Hardcoded claim/);
      expect(result.findings[0]?.fix.authentik, profile).toMatch(/Scope Mapping/);
      // The same provider's ordinary token (azp, or client_id for a generic one) raises nothing.
      const named = await diagnose({ issuers: [options], token: await idp.accessToken(alice) });
      expect(named.findings, profile).toEqual([]);
      await idp.close();
      idp = undefined;
    }
  });

  it('finds an issuer that differs by a trailing slash, in discovery and in the token', async () => {
    const kc = await keycloak();
    const result = await diagnose({
      issuers: [kc.issuerOptions({ issuer: `${kc.issuer}/` })],
      token: await kc.accessToken(alice),
    });
    expect(codes(result)).toEqual(['issuer_trailing_slash']);
    expect(result.findings[0]).toMatchObject({ expected: `${kc.issuer}/`, received: kc.issuer });
    expect(result.findings[0]?.fix.config).toBe(
      `Set OIDC_ISSUER=${kc.issuer} (exactly, with or without the slash as the provider writes it).`,
    );
    expect(result.token?.refusal).toBe('issuer_unknown');
  });

  it('finds an internal-versus-public host and suggests OIDC_DISCOVERY_URL', async () => {
    const kc = await keycloak();
    // The API reaches the provider as `localhost`, the provider calls itself 127.0.0.1.
    const internal = kc.issuer.replace('127.0.0.1', 'localhost');
    const result = await diagnose({ issuers: [kc.issuerOptions({ issuer: internal })] });
    expect(codes(result)).toEqual(['issuer_host']);
    expect(result.findings[0]?.fix.config).toContain(
      `OIDC_ISSUER=${kc.issuer} OIDC_DISCOVERY_URL=${new URL(internal).origin}`,
    );
    expect(result.findings[0]?.fix.keycloak).toContain('KC_HOSTNAME');
  });

  it('finds a clock that runs ahead of the provider by its Date header', async () => {
    const kc = await keycloak();
    const result = await diagnose({
      issuers: [kc.issuerOptions({ clockToleranceSec: 30 })],
      now: () => Date.now() + 120_000,
    });
    expect(codes(result)).toEqual(['clock_skew']);
    expect(result.issuers[0]?.clockSkewSec).toBeGreaterThanOrEqual(119);
    expect(result.findings[0]?.fix.keycloak).toContain('NTP');
  });

  it('explains a token issued in the future (provider clock ahead) as clock skew', async () => {
    const kc = await keycloak();
    const token = await kc.accessToken(alice, { issuedAt: Math.floor(Date.now() / 1000) + 300 });
    const result = await diagnose({ issuers: [kc.issuerOptions()], token });
    expect(result.token?.refusal).toBe('token_not_yet_valid');
    expect(result.findings[0]).toMatchObject({
      code: 'clock_skew',
      apiCode: 'token_not_yet_valid',
    });
  });

  it('names a key the provider publishes with its private part, which the API does not trust', async () => {
    const kc = await keycloak();
    const leaked = await generateSigningKey('RS256');
    kc.publishJwk({ ...(await exportJWK(leaked.privateKey)), kid: leaked.kid, alg: 'RS256' });
    const result = await diagnose({
      issuers: [kc.issuerOptions()],
      token: await kc.accessToken(alice, { key: leaked }),
    });
    expect(codes(result)).toEqual(['signing_key_disclosed']);
    expect(result.findings[0]).toMatchObject({
      check: 'keys',
      apiCode: 'key_unknown',
      received: `key ${leaked.kid} (RS256) with its private part (d, p, q, dp, dq, qi)`,
    });
    expect(result.findings[0]?.summary).toContain('anyone who reads it can sign tokens');
    // Not taken for an algorithm problem: the provider's own keys still verify.
    expect(result.issuers[0]?.keys.find((k) => k.kid === leaked.kid)?.usable).toBe(false);
    expect(result.issuers[0]?.ready).toBe(true);
  });

  it('finds keys and tokens signed with an algorithm outside the allowlist', async () => {
    // The provider signs with ES256; this API allows RS256 only.
    const kc = await keycloak({ algorithm: 'ES256' });
    const result = await diagnose({
      issuers: [kc.issuerOptions({ algorithms: ['RS256'] })],
      token: await kc.accessToken(alice),
    });
    expect(codes(result)).toEqual(['algorithm_not_allowed']);
    expect(result.findings[0]).toMatchObject({
      expected: 'RS256',
      received: 'ES256',
    });
    expect(result.token?.refusal).toBe('alg_not_allowed');
    expect(result.issuers[0]?.ready).toBe(false);
  });

  it('tells an ID token from an access token', async () => {
    const kc = await keycloak();
    const result = await diagnose({
      issuers: [kc.issuerOptions()],
      token: await kc.idToken(alice),
    });
    expect(codes(result)).toEqual(['id_token']);
    expect(result.findings[0]?.fix.keycloak).toContain('keycloak.token, not keycloak.idToken');
  });

  it('recognises a Keycloak lightweight access token', async () => {
    const kc = await keycloak();
    const token = await kc.accessToken(alice, {
      claims: {
        aud: undefined,
        realm_access: undefined,
        resource_access: undefined,
        preferred_username: undefined,
        email: undefined,
        email_verified: undefined,
        name: undefined,
        department: undefined,
      },
    });
    const result = await diagnose({ issuers: [kc.issuerOptions()], token });
    expect(codes(result)).toEqual(['lightweight_access_token']);
    expect(result.findings[0]?.fix.keycloak).toContain('Always use lightweight access token');
    expect(result.findings[0]?.fix.config).toContain('OIDC_VERIFY=introspect');
  });

  it('reports an unreachable discovery document with the OIDC_DISCOVERY_URL hint', async () => {
    const kc = await keycloak();
    await kc.close();
    idp = undefined;
    const result = await diagnose({ issuers: [kc.issuerOptions()], httpTimeoutMs: 1000 });
    expect(codes(result)).toEqual(['discovery_unreachable']);
    expect(result.findings[0]?.fix.config).toContain('OIDC_DISCOVERY_URL');
    // Refused by this machine itself: the provider is most likely not running.
    expect(result.findings[0]?.fix.config).toMatch(
      /^Nothing accepts connections at (localhost|127\.0\.0\.1):\d+ on this machine: start the provider \(the development one: npm start, or npm run idp\) or correct OIDC_ISSUER\. /,
    );
  });
});
