import { createAuthenticator } from '@todo-sso/auth';
import { authPlugin, createAuthErrorHandler } from '@todo-sso/auth/fastify';
import { admin, alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

/** The app's challenge realm, passed explicitly: the package has no default. */
const authErrorHandler = createAuthErrorHandler({ realm: 'todo-api' });

describe('route requirements declared beside the route (authPlugin)', () => {
  let idp: TestIssuer;
  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'keycloak' });
  });
  afterAll(async () => {
    await idp.close();
  });

  const options = () => ({
    authenticator: createAuthenticator({ issuers: [idp.issuerOptions()], httpTimeoutMs: 500 }),
    requireDeclaration: true,
    permissions: ['todos:read'],
    acrLevels: ['pwd', 'mfa'],
  });

  test('a protected route without a requirement fails start-up, naming the route', async () => {
    const app = Fastify();
    app.register(async (api) => {
      await api.register(authPlugin, options());
      api.get('/todos/', async () => []);
    });
    await expect(app.ready()).rejects.toThrow('Route GET /todos/ declares no requirement');
    await app.close();
  });

  test('a route naming a permission outside the table fails start-up, naming the route', async () => {
    const app = Fastify();
    app.register(async (api) => {
      await api.register(authPlugin, options());
      api.delete('/todos/:id', { config: { auth: { permission: 'todos:delete' } } }, async () => 1);
    });
    await expect(app.ready()).rejects.toThrow(
      'Route DELETE /todos/:id: permission todos:delete is not in the permission table',
    );
    await app.close();
  });

  test('decides authentication strength per route and counts refusals before deciding', async () => {
    const seen: string[] = [];
    const app = Fastify();
    app.setErrorHandler(authErrorHandler);
    app.register(async (api) => {
      await api.register(authPlugin, {
        ...options(),
        beforeDecision: async (request) => {
          seen.push(request.principal.subject);
        },
      });
      api.get(
        '/admin/audit',
        { config: { auth: { admin: true, acr: 'mfa', maxAge: 900 } } },
        async () => ({ ok: true }),
      );
    });
    await app.ready();
    const call = async (token: string) =>
      app.inject({ url: '/admin/audit', headers: { authorization: `Bearer ${token}` } });
    const now = Math.floor(Date.now() / 1000);
    const pwd = await call(
      await idp.accessToken(admin, { claims: { acr: 'pwd', auth_time: now } }),
    );
    expect(pwd.statusCode).toBe(401);
    expect(pwd.headers['www-authenticate']).toBe(
      'Bearer realm="todo-api", error="insufficient_user_authentication", error_description="This needs a stronger sign-in (mfa)", acr_values="mfa", max_age="900"',
    );
    const old = await call(
      await idp.accessToken(admin, { claims: { acr: 'mfa', auth_time: now - 1000 } }),
    );
    expect(old.statusCode).toBe(401);
    expect(old.json()).toMatchObject({ code: 'authentication_too_old' });
    const fresh = await call(
      await idp.accessToken(admin, { claims: { acr: 'mfa', auth_time: now - 10 } }),
    );
    expect(fresh.statusCode).toBe(200);
    const user = await call(
      await idp.accessToken(alice, { claims: { acr: 'mfa', auth_time: now } }),
    );
    expect(user.statusCode).toBe(403);
    expect(seen).toEqual([admin.sub, admin.sub, admin.sub, alice.sub]);
    await app.close();
  });
});
