import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useDevIdp } from './support/dev-idp.js';
import type { Instance } from './support/harness.js';

/** A TCP port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * When the identity provider's admin API cannot be used, the admin routes say so plainly:
 * 501 with where to manage people for a provider without a Keycloak Admin REST API or without
 * credentials, 503 when the IdP is unreachable; never a 500, and nothing half-done.
 */
describe('admin routes for the identity provider when it cannot be used', () => {
  const suite = useDevIdp('idp-admin-down');
  const api = suite.instance;
  const call = (instance: Instance, method: 'GET' | 'POST', url: string, payload?: unknown) =>
    instance.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${suite.adminToken}` },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  it('answers 503 problem details when the IdP admin API is unreachable, and changes nothing', async () => {
    const port = await closedPort();
    const instance = await api({
      OIDC_CLIENT_ID: 'todo-api',
      OIDC_CLIENT_SECRET: 'todo-api-secret',
      IDP_ADMIN_URL: `http://127.0.0.1:${port}/admin/realms/todo-app`,
    });
    const listed = await call(instance, 'GET', '/admin/idp/users');
    expect(listed.statusCode).toBe(503);
    expect(listed.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(listed.json()).toMatchObject({ status: 503, code: 'idp_unavailable' });
    // RFC 9110 §10.2.3, as every other 503 of the API: when to try again.
    expect(listed.headers['retry-after']).toBe('5');
    const created = await call(instance, 'POST', '/admin/idp/users', { username: 'dave' });
    expect(created.statusCode).toBe(503);
    // No connection was made: the IdP cannot have created dave, and the answer says so.
    expect(created.json().detail).toMatch(/nothing was changed/);
    expect(created.headers['retry-after']).toBe('5');
    const audit = await instance.context.db.kysely
      .selectFrom('audit_log')
      .selectAll()
      .where('action', 'like', 'idp.%')
      .execute();
    expect(audit).toEqual([]);

    // Revocation still refuses the tokens at the API, and says the IdP part did not happen.
    const revoked = await call(instance, 'POST', '/admin/sessions/revoke', { sub: 'someone' });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().identityProvider).toMatchObject({ sessionsEnded: false });
    expect(revoked.json().identityProvider.detail).toMatch(/refresh token/);
  });

  it('says nothing was changed when the admin API is on a port fetch refuses to connect to', async () => {
    // 10080 is one of the Fetch Standard's "bad ports" (§2.9): Node's fetch never connects.
    const instance = await api({
      OIDC_CLIENT_ID: 'todo-api',
      OIDC_CLIENT_SECRET: 'todo-api-secret',
      IDP_ADMIN_URL: 'http://127.0.0.1:10080/admin/realms/todo-app',
    });
    const created = await call(instance, 'POST', '/admin/idp/users', { username: 'erin' });
    expect(created.statusCode).toBe(503);
    expect(created.json()).toMatchObject({ code: 'idp_unavailable' });
    expect(created.json().detail).toMatch(/nothing was changed/);
  });

  it('answers 501 with where to manage people for a generic provider profile', async () => {
    const instance = await api({
      OIDC_PROVIDER: 'generic',
      OIDC_ROLES_CLAIM: 'realm_access.roles',
      OIDC_PERMISSIONS_CLAIM: 'resource_access.todo-api.roles',
      OIDC_CLIENT_ID: 'todo-api',
      OIDC_CLIENT_SECRET: 'todo-api-secret',
    });
    for (const [method, url] of [
      ['GET', '/admin/idp/users'],
      ['GET', '/admin/idp/users/x/sessions'],
      ['POST', '/admin/idp/users/x/logout'],
    ] as const) {
      const res = await call(instance, method, url);
      expect(res.statusCode, url).toBe(501);
      expect(res.json()).toMatchObject({ code: 'not_implemented' });
      expect(res.json().detail).toMatch(/generic provider profile has no Keycloak Admin REST API/);
    }
    const revoked = await call(instance, 'POST', '/admin/sessions/revoke', { sub: 'someone' });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().identityProvider).toMatchObject({ sessionsEnded: false });
    expect(revoked.json().identityProvider.detail).toMatch(/were not ended/);
  });

  it('answers 501 naming OIDC_CLIENT_SECRET when the API has no service-account credentials', async () => {
    const instance = await api({});
    const res = await call(instance, 'GET', '/admin/idp/users');
    expect(res.statusCode).toBe(501);
    expect(res.json().detail).toMatch(/OIDC_CLIENT_SECRET/);
  });
});
