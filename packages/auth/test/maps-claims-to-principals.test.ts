import { createAuthenticator } from '@todo-sso/auth';
import { admin, alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

describe('claim mapping', () => {
  let idp: TestIssuer;
  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'generic', algorithm: 'EdDSA' });
  });
  afterAll(() => idp.close());

  test('maps generic roles and permissions arrays by default', async () => {
    const auth = createAuthenticator({ issuers: [idp.issuerOptions()] });
    const p = await auth.authenticate(await idp.accessToken(alice));
    expect(p).toMatchObject({
      roles: ['user'],
      permissions: ['todos:read', 'todos:write'],
      clientId: 'todo-ui',
    });
  });

  test('reads configured dot paths whose values are space- or comma-separated strings', async () => {
    const auth = createAuthenticator({
      issuers: [
        idp.issuerOptions({
          rolesClaim: 'ext.roles',
          permissionsClaim: 'scope',
          attributeClaims: ['org.unit', 'tenant'],
        }),
      ],
    });
    const token = await idp.accessToken(alice, {
      claims: {
        ext: { roles: 'user, auditor' },
        scope: 'todos:read todos:write',
        org: { unit: 'r&d' },
        tenant: ['a', 'b'],
      },
    });
    const p = await auth.authenticate(token);
    expect(p.roles).toEqual(['user', 'auditor']);
    expect(p.permissions).toEqual(['todos:read', 'todos:write']);
    expect(p.scopes).toEqual(['todos:read', 'todos:write']);
    expect(p.attributes).toEqual({ 'org.unit': 'r&d', tenant: ['a', 'b'] });
  });

  // RFC 6749 §3.3: scope-tokens are delimited by spaces, and a comma is a scope-token character.
  test('splits scope on spaces only: a comma belongs to the scope, also as permissions', async () => {
    const auth = createAuthenticator({ issuers: [idp.issuerOptions()] });
    const claims = { scope: 'todos:read,todos:write  mcp', roles: 'user,auditor' };
    const p = await auth.authenticate(await idp.accessToken(alice, { claims }));
    expect(p.scopes).toEqual(['todos:read,todos:write', 'mcp']);
    // A configured role list keeps its comma-separated reading.
    expect(p.roles).toEqual(['user', 'auditor']);
    const byScope = createAuthenticator({
      issuers: [idp.issuerOptions({ permissionsClaim: 'scope' })],
    });
    const q = await byScope.authenticate(await idp.accessToken(alice, { claims }));
    expect(q.permissions).toEqual(['todos:read,todos:write', 'mcp']);
    const scp = await auth.authenticate(
      await idp.accessToken(alice, { claims: { scope: undefined, scp: ['a,b', 'c'] } }),
    );
    expect(scp.scopes).toEqual(['a,b', 'c']);
  });

  test('marks the configured admin role as admin', async () => {
    const auth = createAuthenticator({ issuers: [idp.issuerOptions({ adminRole: 'superuser' })] });
    expect((await auth.authenticate(await idp.accessToken(admin))).isAdmin).toBe(false);
    const p = await auth.authenticate(await idp.accessToken({ ...admin, roles: ['superuser'] }));
    expect(p.isAdmin).toBe(true);
  });

  test('ignores claim values of the wrong type instead of trusting them', async () => {
    const auth = createAuthenticator({ issuers: [idp.issuerOptions()] });
    const p = await auth.authenticate(
      await idp.accessToken(alice, {
        claims: { roles: { admin: true }, permissions: [1, 'todos:read'] },
      }),
    );
    expect(p.roles).toEqual([]);
    expect(p.permissions).toEqual(['todos:read']);
    expect(p.isAdmin).toBe(false);
  });

  test('lists are deduplicated and frozen, also when a claim array is shared by the principal', async () => {
    const auth = createAuthenticator({ issuers: [idp.issuerOptions()] });
    const plain = await auth.authenticate(
      await idp.accessToken(alice, {
        claims: { roles: ['user', 'auditor'], scope: 'openid todos:read' },
      }),
    );
    expect(plain.roles).toEqual(['user', 'auditor']);
    for (const list of [plain.roles, plain.permissions, plain.scopes, plain.claims.roles])
      expect(Object.isFrozen(list)).toBe(true);
    expect(() => (plain.roles as string[]).push('admin')).toThrow(TypeError);
    const repeated = await auth.authenticate(
      await idp.accessToken(alice, {
        claims: { roles: ['user', 'admin', 'user', ''], scope: 'openid todos:read' },
      }),
    );
    expect(repeated.roles).toEqual(['user', 'admin']);
    expect(repeated.claims.roles).toEqual(['user', 'admin', 'user', '']);
    expect(repeated.scopes).toEqual(['openid', 'todos:read']);
    // The same scope string of two tokens: one frozen list serves both principals.
    expect(repeated.scopes).toBe(plain.scopes);
    expect(Object.isFrozen(repeated.claims)).toBe(true);
    expect(repeated.claims.iss).toBe(idp.issuer);
  });

  test('Keycloak permissionsClient selects which resource_access client holds permissions', async () => {
    const kc = await startTestIssuer({ profile: 'keycloak', algorithm: 'ES256' });
    try {
      const auth = createAuthenticator({
        issuers: [kc.issuerOptions({ permissionsClient: 'reports' })],
      });
      const token = await kc.accessToken(alice, {
        claims: {
          resource_access: {
            reports: { roles: ['reports:generate'] },
            'todo-api': { roles: ['todos:read'] },
          },
        },
      });
      expect((await auth.authenticate(token)).permissions).toEqual(['reports:generate']);
    } finally {
      await kc.close();
    }
  });
});

describe('configuration misuse is a TypeError at start-up', () => {
  test.each([
    ['no issuers', { issuers: [] }],
    [
      'HS256 in the allowlist',
      { issuers: [{ issuer: 'https://a', audience: 'x', algorithms: ['HS256'] }] },
    ],
    [
      'none in the allowlist',
      { issuers: [{ issuer: 'https://a', audience: 'x', algorithms: ['none'] }] },
    ],
    ['no audience', { issuers: [{ issuer: 'https://a', audience: [] }] }],
    [
      'introspection without client credentials',
      { issuers: [{ issuer: 'https://a', audience: 'x', verify: 'introspect' }] },
    ],
    [
      'a clock tolerance over five minutes',
      { issuers: [{ issuer: 'https://a', audience: 'x', clockToleranceSec: 301 }] },
    ],
    [
      'a duplicated issuer',
      {
        issuers: [
          { issuer: 'https://a', audience: 'x' },
          { issuer: 'https://a', audience: 'y' },
        ],
      },
    ],
  ])('%s', (_name, options) => {
    expect(() => createAuthenticator(options as never)).toThrow(TypeError);
  });
});
