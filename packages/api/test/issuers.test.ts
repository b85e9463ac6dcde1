import { admin, alice, bob, carol, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { type Instance, mfaClaims, startInstance, testConfig } from './support/harness.js';

describe('trusting several issuers at once (OIDC_ISSUERS), as during a Keycloak → Authentik move', () => {
  let keycloak: TestIssuer;
  let authentik: TestIssuer;
  let database: TestDatabase;
  let api: Instance;
  beforeAll(async () => {
    keycloak = await startTestIssuer({ profile: 'keycloak' });
    authentik = await startTestIssuer({ profile: 'authentik' });
    database = sqliteDatabase();
    const issuers = [
      { issuer: keycloak.issuer, provider: 'keycloak', audience: 'todo-api' },
      { issuer: authentik.issuer, provider: 'authentik' },
    ];
    const config = testConfig(keycloak, database.config, { OIDC_ISSUERS: JSON.stringify(issuers) });
    api = await startInstance(config);
  });
  afterAll(async () => {
    await api?.close();
    await keycloak?.close();
    await authentik?.close();
    await database?.drop();
  });

  const call = (token: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    api.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}` },
      ...(payload && { payload }),
    });

  it('authorizes an Authentik token through its flat groups claim and a Keycloak one through roles', async () => {
    const fromAuthentik = await authentik.accessToken(bob);
    const me = await call(fromAuthentik, 'GET', '/me');
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ issuer: authentik.issuer, username: 'bob' });
    expect(me.json().permissions).toEqual(expect.arrayContaining(['todos:read', 'todos:write']));
    expect(
      (await call(fromAuthentik, 'POST', '/todos/', { title: 'from authentik' })).statusCode,
    ).toBe(201);
    expect((await call(await keycloak.accessToken(alice), 'GET', '/todos/')).statusCode).toBe(200);
  });

  it('keeps one subject’s todos apart per issuer: the same sub at another issuer is someone else', async () => {
    const sameSub = { ...alice };
    const atKeycloak = await keycloak.accessToken(sameSub);
    const atAuthentik = await authentik.accessToken(sameSub);
    const created = await call(atKeycloak, 'POST', '/todos/', { title: 'keycloak alice' });
    expect((await call(atAuthentik, 'GET', `/todos/${created.json().id}`)).statusCode).toBe(404);
    const list = await call(atAuthentik, 'GET', '/todos/');
    expect(list.json().items.map((t: { title: string }) => t.title)).not.toContain(
      'keycloak alice',
    );
  });

  it('shows an administrator each todo’s issuer and filters one person by sub and issuer', async () => {
    const atKeycloak = await keycloak.accessToken(bob);
    const atAuthentik = await authentik.accessToken(bob);
    await call(atKeycloak, 'POST', '/todos/', { title: 'bob at keycloak' });
    await call(atAuthentik, 'POST', '/todos/', { title: 'bob at authentik' });
    const asAdmin = await keycloak.accessToken(admin, { claims: mfaClaims() });
    const bySub = await call(asAdmin, 'GET', `/admin/todos?owner=${bob.sub}`);
    expect(bySub.statusCode).toBe(200);
    const issuersOf = (title: string) =>
      bySub
        .json()
        .items.filter((t: { title: string }) => t.title === title)
        .map((t: { ownerIssuer: string }) => t.ownerIssuer);
    expect(issuersOf('bob at keycloak')).toEqual([keycloak.issuer]);
    expect(issuersOf('bob at authentik')).toEqual([authentik.issuer]);

    const query = new URLSearchParams({ owner: bob.sub, issuer: authentik.issuer });
    const one = await call(asAdmin, 'GET', `/admin/todos?${query}`);
    expect(one.statusCode).toBe(200);
    const items = one.json().items as { ownerIssuer: string; owner: string }[];
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((t) => t.ownerIssuer === authentik.issuer && t.owner === bob.sub)).toBe(
      true,
    );
  });

  it('reads step-up levels by name in the one OIDC_ACR_LEVELS, whichever issuer wrote them', async () => {
    // docs/step-up.md, "Several issuers": `mfa` from either provider is the admin level, `pwd`
    // from either is challenged for the same acr_values.
    for (const idp of [keycloak, authentik]) {
      const strong = await idp.accessToken(admin, { claims: mfaClaims() });
      expect((await call(strong, 'GET', '/admin/users')).statusCode, idp.issuer).toBe(200);
      const weak = await idp.accessToken(admin, { claims: { ...mfaClaims(), acr: 'pwd' } });
      const refused = await call(weak, 'GET', '/admin/users');
      expect(refused.statusCode, idp.issuer).toBe(401);
      expect(refused.headers['www-authenticate']).toMatch(
        /error="insufficient_user_authentication".*acr_values="mfa"/,
      );
    }
  });

  it('counts one department across the issuers: a department is the organisation’s, not a provider’s', async () => {
    const atKeycloak = await keycloak.accessToken(carol);
    const atAuthentik = await authentik.accessToken(carol);
    const totals = async () =>
      Promise.all(
        [atKeycloak, atAuthentik].map(async (token) => {
          const res = await call(token, 'GET', '/reports/summary');
          expect(res.statusCode, res.body).toBe(200);
          expect(res.json().department).toBe('engineering');
          return res.json().total as number;
        }),
      );
    const before = await totals();
    expect((await call(atKeycloak, 'POST', '/todos/', { title: 'k' })).statusCode).toBe(201);
    for (const title of ['a1', 'a2'])
      expect((await call(atAuthentik, 'POST', '/todos/', { title })).statusCode).toBe(201);
    // Three todos of engineering, one per issuer's carol and two: each issuer's view counts all.
    expect(await totals()).toEqual(before.map((n) => n + 3));
  });

  it('refuses a token from an issuer that is not listed with 401 invalid_token', async () => {
    const stranger = await startTestIssuer({ profile: 'keycloak' });
    try {
      const response = await call(await stranger.accessToken(alice), 'GET', '/me');
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    } finally {
      await stranger.close();
    }
  });
});

describe('verifying by introspection (OIDC_VERIFY=introspect)', () => {
  let idp: TestIssuer;
  let database: TestDatabase;
  let api: Instance;
  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'keycloak' });
    database = sqliteDatabase();
    api = await startInstance(
      testConfig(idp, database.config, {
        OIDC_VERIFY: 'introspect',
        OIDC_CLIENT_ID: idp.clientId,
        OIDC_CLIENT_SECRET: idp.clientSecret,
      }),
    );
  });
  afterAll(async () => {
    await api?.close();
    await idp?.close();
    await database?.drop();
  });

  it('verifies an opaque token by asking the issuer (RFC 7662) with the API’s client credentials', async () => {
    const token = await idp.opaqueToken(alice);
    const auth = { authorization: `Bearer ${token}` };
    expect((await api.app.inject({ url: '/me', headers: auth })).json()).toMatchObject({
      username: 'alice',
    });
    expect(idp.counters.introspection).toBeGreaterThan(0);
  });
});
