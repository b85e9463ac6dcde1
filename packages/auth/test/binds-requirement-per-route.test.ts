import { type AuthEvent, createAuthenticator } from '@todo-sso/auth';
import { authPlugin, createAuthErrorHandler } from '@todo-sso/auth/fastify';
import { admin, alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decidedRequirement } from '../src/fastify/plugin.js';

describe('decidedRequirement', () => {
  test('decides an empty requirement as none: every authenticated caller is allowed', () => {
    expect(decidedRequirement(undefined)).toBeUndefined();
    expect(decidedRequirement({})).toBeUndefined();
    expect(decidedRequirement({ permission: undefined, acr: undefined })).toBeUndefined();
  });

  test('keeps any requirement that asks for something', () => {
    for (const auth of [
      { permission: 'todos:read' },
      { admin: true as const },
      { role: 'admin' },
      { maxAge: 0 },
      { acr: 'mfa' },
      { senderConstrained: 'dpop' as const },
      { relation: [] },
      { introspect: true },
      { introspect: false },
    ])
      expect(decidedRequirement(auth)).toBe(auth);
  });
});

describe('authPlugin binds each route its own requirement when the route is declared', () => {
  let idp: TestIssuer;
  let app: FastifyInstance;
  const events: AuthEvent[] = [];
  const order: string[] = [];
  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'keycloak' });
    const authenticator = createAuthenticator({
      issuers: [idp.issuerOptions()],
      httpTimeoutMs: 500,
      onEvent: (event) => events.push(event),
    });
    app = Fastify();
    app.setErrorHandler(createAuthErrorHandler({ realm: 'todo-api' }));
    app.register(async (api) => {
      // A context-level hook registered before the plugin runs before it, as before.
      api.addHook('onRequest', (_request, _reply, done) => {
        order.push('context hook');
        done();
      });
      await api.register(authPlugin, { authenticator });
      api.get('/me', { config: { auth: {} } }, async (request) => ({
        sub: request.principal.subject,
      }));
      api.get(
        '/own-hook',
        {
          config: { auth: { permission: 'todos:read' } },
          // The route's own hook runs after the authentication, with the caller known.
          onRequest: (request, _reply, done) => {
            order.push(`route hook ${request.principal?.subject ?? 'none'}`);
            done();
          },
        },
        async () => ({ ok: true }),
      );
      api.get('/admin-only', { config: { auth: { admin: true } } }, async () => ({ ok: true }));
      api.get('/undeclared', async () => ({ ok: true }));
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await idp.close();
  });

  const get = (url: string, token?: string, method: 'GET' | 'HEAD' = 'GET') =>
    app.inject({
      method,
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
  const authentications = () => events.filter((e) => e.type === 'authenticated').length;

  test('an empty requirement still needs a valid token', async () => {
    expect((await get('/me')).statusCode).toBe(401);
    expect((await get('/me', 'not-a-jwt')).statusCode).toBe(401);
    const res = await get('/me', await idp.accessToken(alice));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ sub: alice.sub });
  });

  test('each route decides its own requirement', async () => {
    const token = await idp.accessToken(alice);
    expect((await get('/me', token)).statusCode).toBe(200);
    expect((await get('/undeclared', token)).statusCode).toBe(200);
    expect((await get('/admin-only', token)).statusCode).toBe(403);
    expect((await get('/admin-only', await idp.accessToken(admin))).statusCode).toBe(200);
    expect((await get('/undeclared')).statusCode).toBe(401);
  });

  test('the implicit HEAD route is authenticated once per request, with its requirement', async () => {
    const token = await idp.accessToken(alice);
    expect((await get('/admin-only', token, 'HEAD')).statusCode).toBe(403);
    expect((await get('/me', undefined, 'HEAD')).statusCode).toBe(401);
    const before = authentications();
    expect((await get('/me', token, 'HEAD')).statusCode).toBe(200);
    expect(authentications() - before).toBe(1);
    const again = authentications();
    expect((await get('/me', token)).statusCode).toBe(200);
    expect(authentications() - again).toBe(1);
  });

  test('runs after the context-level hooks and before the route’s own hooks', async () => {
    order.length = 0;
    expect((await get('/own-hook', await idp.accessToken(alice))).statusCode).toBe(200);
    expect(order).toEqual(['context hook', `route hook ${alice.sub}`]);
    order.length = 0;
    expect((await get('/own-hook')).statusCode).toBe(401);
    expect(order).toEqual(['context hook']);
  });
});
