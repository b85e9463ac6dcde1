import { Agent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuthenticator, type Principal } from '@todo-sso/auth';
import { authPlugin, createAuthErrorHandler } from '@todo-sso/auth/fastify';
import { alice, bob, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { frozenClock } from './support.js';

/**
 * The plugin reuses the reading of a connection's last `Authorization` value (its syntax and
 * the token's cache key) when the next request on the same keep-alive connection sends the
 * same value. Every other check must still run per request: revocation, expiry, the query, a
 * repeated header, and a different or malformed value read afresh.
 */
describe('authPlugin on one keep-alive connection', () => {
  const clock = frozenClock();
  const revoked = new Set<string>();
  let idp: TestIssuer;
  let app: FastifyInstance;
  let base: string;
  let connections = 0;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'keycloak', now: clock.now });
    const authenticator = createAuthenticator({
      issuers: [idp.issuerOptions({ clockToleranceSec: 0 })],
      now: clock.now,
      revocation: { isRevoked: (p: Principal) => revoked.has(p.subject) },
    });
    app = Fastify();
    app.setErrorHandler(createAuthErrorHandler({ realm: 'todo-api' }));
    app.register(async (api) => {
      await api.register(authPlugin, { authenticator });
      api.get('/me', async (request) => ({ sub: request.principal.subject }));
    });
    app.server.on('connection', () => connections++);
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    agent.destroy();
    await app.close();
    await idp.close();
  });

  /** One GET on the shared connection; `headers` may repeat a name (raw pairs). */
  const get = (path: string, headers: string[]) =>
    new Promise<{ status: number; body: { sub?: string; code?: string } }>((resolve, reject) => {
      // Raw header pairs are sent as given: the Host field too.
      const raw = ['host', base.slice('http://'.length), ...headers];
      const req = httpRequest(`${base}${path}`, { agent, headers: raw }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text === '' ? {} : JSON.parse(text) }),
        );
      });
      req.on('error', reject);
      req.end();
    });
  const bearer = (token: string) => ['authorization', `Bearer ${token}`];

  test('checks every request, whatever the connection sent before', async () => {
    const aliceToken = await idp.accessToken(alice, { expiresInSec: 60 });
    const bobToken = await idp.accessToken(bob);
    const before = connections;

    expect(await get('/me', bearer(aliceToken))).toMatchObject({
      status: 200,
      body: { sub: alice.sub },
    });
    expect(await get('/me', bearer(aliceToken))).toMatchObject({
      status: 200,
      body: { sub: alice.sub },
    });
    // Another token on the same connection is read afresh.
    expect(await get('/me', bearer(bobToken))).toMatchObject({
      status: 200,
      body: { sub: bob.sub },
    });
    expect(await get('/me', bearer(aliceToken))).toMatchObject({
      status: 200,
      body: { sub: alice.sub },
    });
    // The same value with a token in the query, or sent twice: refused (RFC 6750 §2.3, §3.1).
    expect(await get('/me?access_token=x', bearer(aliceToken))).toMatchObject({
      status: 400,
      body: { code: 'request_invalid' },
    });
    expect(await get('/me', [...bearer(aliceToken), ...bearer(aliceToken)])).toMatchObject({
      status: 400,
      body: { code: 'request_invalid' },
    });
    // A malformed value after a good one is refused; the good one still works after it.
    expect(await get('/me', ['authorization', `Bearer ${aliceToken} x`])).toMatchObject({
      status: 400,
      body: { code: 'request_invalid' },
    });
    expect(await get('/me', bearer(aliceToken))).toMatchObject({ status: 200 });
    // Revocation and expiry are decided per request, not per connection.
    revoked.add(bob.sub);
    expect(await get('/me', bearer(bobToken))).toMatchObject({
      status: 401,
      body: { code: 'token_revoked' },
    });
    clock.advance(60);
    expect(await get('/me', bearer(aliceToken))).toMatchObject({
      status: 401,
      body: { code: 'token_expired' },
    });
    expect(connections - before).toBe(1);
  });
});
