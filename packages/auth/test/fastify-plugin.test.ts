import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { createAuthenticator, isAuthError } from '@todo-sso/auth';
import { authPlugin, createAuthErrorHandler } from '@todo-sso/auth/fastify';
import { admin, alice, bob, carol, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

/** The app's challenge realm, passed explicitly: the package has no default. */
const authErrorHandler = createAuthErrorHandler({ realm: 'todo-api' });

describe('authPlugin on an encapsulated Fastify context', () => {
  let idp: TestIssuer;
  let app: FastifyInstance;
  const logged: unknown[] = [];
  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'keycloak' });
    const authenticator = createAuthenticator({
      issuers: [idp.issuerOptions()],
      httpTimeoutMs: 500,
    });
    app = Fastify();
    app.setErrorHandler((error, request, reply) => {
      logged.push(isAuthError(error) ? error.code : 'other');
      return authErrorHandler(error, request, reply);
    });
    app.get('/healthz', async () => ({ ok: true }));
    app.register(async (api) => {
      await api.register(authPlugin, { authenticator });
      api.get('/me', async (request) => ({
        sub: request.principal.subject,
        roles: request.principal.roles,
      }));
      api.post('/todos/', async () => ({ created: true }));
      api.get('/todos/', { config: { auth: { permission: 'todos:read' } } }, async () => []);
      api.get(
        '/reports/summary',
        { config: { auth: { permission: ['reports:generate', 'todos:read'] } } },
        async () => ({}),
      );
      api.get('/admin/todos', { config: { auth: { role: 'admin' } } }, async () => []);
      api.get('/live', { config: { auth: { introspect: true } } }, async (request) => ({
        sub: request.principal.subject,
      }));
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await idp.close();
  });

  const get = async (url: string, token?: string, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'GET',
      url,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    });

  test('leaves routes outside the context public', async () => {
    expect((await get('/healthz')).statusCode).toBe(200);
  });

  test('answers a request without a token with 401 and a bare challenge', async () => {
    const res = await get('/me');
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="todo-api"');
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 401, code: 'token_missing' });
  });

  test('treats another auth scheme as no bearer token (401 without error code)', async () => {
    const res = await get('/me', undefined, { authorization: 'Basic YWxpY2U6YWxpY2U=' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="todo-api"');
  });

  test('decorates request.principal for a valid token', async () => {
    const res = await get('/me', await idp.accessToken(alice));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ sub: alice.sub, roles: ['user'] });
  });

  test('accepts the scheme name case-insensitively', async () => {
    const res = await get('/me', undefined, {
      authorization: `bearer ${await idp.accessToken(alice)}`,
    });
    expect(res.statusCode).toBe(200);
  });

  test('answers an expired token with 401 invalid_token and the reason code', async () => {
    const token = await idp.accessToken(alice, { issuedAt: Math.floor(Date.now() / 1000) - 1000 });
    const res = await get('/me', token);
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(
      /^Bearer realm="todo-api", error="invalid_token", error_description="/,
    );
    expect(res.json()).toMatchObject({ code: 'token_expired' });
  });

  test('enforces the route permission: 200 with it, 403 insufficient_scope without', async () => {
    expect((await get('/todos/', await idp.accessToken(alice))).statusCode).toBe(200);
    const res = await get('/todos/', await idp.accessToken({ ...alice, permissions: [] }));
    expect(res.statusCode).toBe(403);
    expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(res.json()).toMatchObject({ code: 'insufficient_permission', missing: ['todos:read'] });
  });

  test('names every missing permission of a multi-permission route', async () => {
    const res = await get('/reports/summary', await idp.accessToken({ ...bob, permissions: [] }));
    expect(res.statusCode).toBe(403);
    expect(res.json().missing).toEqual(['reports:generate', 'todos:read']);
    expect((await get('/reports/summary', await idp.accessToken(carol))).statusCode).toBe(200);
  });

  test('enforces route roles, with the admin bypass', async () => {
    expect((await get('/admin/todos', await idp.accessToken(alice))).statusCode).toBe(403);
    expect((await get('/admin/todos', await idp.accessToken(admin))).statusCode).toBe(200);
    expect((await get('/reports/summary', await idp.accessToken(admin))).statusCode).toBe(200);
  });

  test('refuses a token in the query string with 400 invalid_request', async () => {
    const token = await idp.accessToken(alice);
    const res = await app.inject({ method: 'GET', url: `/me?access_token=${token}` });
    expect(res.statusCode).toBe(400);
    expect(res.headers['www-authenticate']).toContain('error="invalid_request"');
    // The challenge says what the problem body says: error_description is ASCII only (RFC 6750
    // §3), so a message that needs anything else would reach the header mangled.
    const { detail } = res.json() as { detail: string };
    expect(res.headers['www-authenticate']).toContain(`error_description="${detail}"`);
  });

  test('never reads a token from a form body', async () => {
    const token = await idp.accessToken(alice);
    const res = await app.inject({
      method: 'POST',
      url: '/todos/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `access_token=${token}`,
    });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'token_missing' });
  });

  test('answers a malformed Authorization header with 400 invalid_request', async () => {
    const res = await get('/me', undefined, { authorization: 'Bearer a b' });
    expect(res.statusCode).toBe(400);
  });

  test('route config introspect: a revoked token is refused at once with 401 token_inactive', async () => {
    const token = await idp.accessToken(alice);
    expect((await get('/live', token)).statusCode).toBe(200);
    const other = await idp.accessToken(alice);
    idp.revoke(other);
    const res = await get('/live', other);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'token_inactive' });
    expect((await get('/me', other)).statusCode).toBe(200); // plain routes trust the JWT
  });

  test('answers 503 (never 500) when introspection is down on a live route', async () => {
    idp.setFault('down', { endpoints: ['introspection'] });
    try {
      const res = await get('/live', await idp.accessToken(alice));
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json()).toMatchObject({ code: 'idp_unavailable' });
    } finally {
      idp.setFault(undefined);
    }
  });

  test('routes every failure through the app error handler as an AuthError', () => {
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.every((c) => c !== 'other')).toBe(true);
  });
});

describe('authErrorHandler logging', () => {
  test('logs the reason code of a failure and never the token', async () => {
    const idp = await startTestIssuer({ profile: 'keycloak', algorithm: 'ES256' });
    const lines: string[] = [];
    const app = Fastify({
      logger: { level: 'info', stream: { write: (line: string) => void lines.push(line) } },
    });
    try {
      const authenticator = createAuthenticator({ issuers: [idp.issuerOptions()] });
      app.setErrorHandler(authErrorHandler);
      app.register(async (api) => {
        await api.register(authPlugin, { authenticator });
        api.get('/me', async (request) => ({ sub: request.principal.subject }));
      });
      const token = await idp.accessToken(alice, { claims: { aud: 'account' } });
      const res = await app.inject({
        method: 'GET',
        url: '/me',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.statusCode).toBe(401);
      const log = lines.join('');
      expect(log).toContain('"code":"audience_mismatch"');
      expect(log).not.toContain(token.split('.')[1]);
      expect(log).not.toContain(token.split('.')[2]);
    } finally {
      await app.close();
      await idp.close();
    }
  });
});

describe('authPlugin with route introspection and issuers that cannot introspect', () => {
  let keycloak: TestIssuer;
  let other: TestIssuer;
  beforeAll(async () => {
    keycloak = await startTestIssuer({ profile: 'keycloak' });
    other = await startTestIssuer({ profile: 'keycloak' });
  });
  afterAll(async () => {
    await keycloak.close();
    await other.close();
  });

  test('refuses at start-up a route asking for introspection when no issuer has client credentials', async () => {
    const authenticator = createAuthenticator({
      issuers: [{ issuer: keycloak.issuer, audience: 'todo-api', profile: 'keycloak' }],
    });
    const app = Fastify();
    app.register(async (api) => {
      await api.register(authPlugin, { authenticator });
      api.get('/live', { config: { auth: { introspect: true } } }, async () => ({}));
    });
    try {
      await expect(app.ready()).rejects.toThrow(/GET \/live asks for introspection/);
    } finally {
      await app.close().catch(() => {});
    }
  });

  test('answers 503 idp_unavailable (never 500) for a JWT of an issuer without introspection credentials', async () => {
    const authenticator = createAuthenticator({
      issuers: [
        { issuer: keycloak.issuer, audience: 'todo-api', profile: 'keycloak' },
        other.issuerOptions(),
      ],
      httpTimeoutMs: 500,
    });
    const app = Fastify();
    app.setErrorHandler(authErrorHandler);
    app.register(async (api) => {
      await api.register(authPlugin, { authenticator });
      api.get('/live', { config: { auth: { introspect: true } } }, async (request) => ({
        sub: request.principal.subject,
      }));
    });
    try {
      await app.ready();
      const live = (token: string) =>
        app.inject({ method: 'GET', url: '/live', headers: { authorization: `Bearer ${token}` } });
      const refused = await live(await keycloak.accessToken(alice));
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toMatchObject({ code: 'idp_unavailable' });
      expect(refused.json().detail).toMatch(/not configured for introspection/);
      expect((await live(await other.accessToken(alice))).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  test('never sends an opaque token to an issuer that only verifies JWTs, even with credentials', async () => {
    // Both issuers hold client credentials, neither verifies by introspection: an opaque token
    // has no issuer of its own and must not be shown to either IdP.
    const authenticator = createAuthenticator({
      issuers: [keycloak.issuerOptions(), other.issuerOptions()],
      httpTimeoutMs: 500,
    });
    const opaque = await keycloak.opaqueToken(alice);
    const asked = () => keycloak.counters.introspection + other.counters.introspection;
    const before = asked();
    await expect(authenticator.introspect(opaque)).rejects.toMatchObject({
      code: 'token_malformed',
      status: 401,
    });
    expect(asked()).toBe(before);
  });
});

/** Sends a raw HTTP/1.1 request, so one header can be repeated; resolves status and body. */
function rawGet(port: number, path: string, headerLines: string[]) {
  return new Promise<{ status: number; head: string; body: string }>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        [
          `GET ${path} HTTP/1.1`,
          'Host: 127.0.0.1',
          ...headerLines,
          'Connection: close',
          '',
          '',
        ].join('\r\n'),
      );
    });
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk;
    });
    socket.on('error', reject);
    socket.on('end', () => {
      const split = data.indexOf('\r\n\r\n');
      const head = data.slice(0, split);
      resolve({ status: Number(head.split(' ')[1]), head, body: data.slice(split + 4) });
    });
  });
}

describe('authPlugin over real HTTP', () => {
  let idp: TestIssuer;
  let app: FastifyInstance;
  let port: number;
  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'keycloak' });
    const authenticator = createAuthenticator({ issuers: [idp.issuerOptions()] });
    app = Fastify();
    app.setErrorHandler(authErrorHandler);
    app.register(async (api) => {
      await api.register(authPlugin, { authenticator });
      api.get('/me', async (request) => ({ sub: request.principal.subject }));
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await app.close();
    await idp.close();
  });

  test('answers one Authorization header over real HTTP with 200', async () => {
    const res = await rawGet(port, '/me', [
      `Authorization: Bearer ${await idp.accessToken(alice)}`,
    ]);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ sub: alice.sub });
  });

  // Node keeps only the first of repeated Authorization lines; a proxy in front may use the
  // last. Two credentials are ambiguous (RFC 9110 §5.3: Authorization is not a list field), so
  // the request is refused rather than served as whichever user came first.
  test('refuses two Authorization headers with 400 invalid_request, never serving the first user', async () => {
    const res = await rawGet(port, '/me', [
      `Authorization: Bearer ${await idp.accessToken(alice)}`,
      `Authorization: Bearer ${await idp.accessToken(bob)}`,
    ]);
    expect(res.status).toBe(400);
    expect(res.head).toMatch(/www-authenticate: Bearer realm="todo-api", error="invalid_request"/i);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'request_invalid' });
  });
});
