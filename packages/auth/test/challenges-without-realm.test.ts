import { createAuthenticator } from '@todo-sso/auth';
import { authErrorHandler, authPlugin } from '@todo-sso/auth/fastify';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

/**
 * RFC 6750 §3: the `Bearer` scheme is "followed by one or more auth-param values". An app that
 * sets no `realm` (the default `authErrorHandler`) still sends a challenge with one: the realm
 * is left out only where another auth-param stands.
 */
describe.each([false, true])('the default error handler (DPoP accepted: %s)', (dpop) => {
  let idp: TestIssuer;
  let app: FastifyInstance;
  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'keycloak' });
    const authenticator = createAuthenticator({
      issuers: [idp.issuerOptions()],
      ...(dpop && { dpop: { replay: { claim: () => true } } }),
    });
    app = Fastify();
    app.setErrorHandler(authErrorHandler);
    app.register(async (api) => {
      await api.register(authPlugin, { authenticator });
      api.get('/me', async (request) => ({ sub: request.principal.subject }));
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await idp.close();
  });

  /** The challenges of a `WWW-Authenticate` value, each as its scheme and auth-params. */
  const challenges = (value: string) =>
    value.split(/, (?=Bearer\b|DPoP\b)/).map((c) => {
      const [scheme, ...rest] = c.split(' ');
      return { scheme, params: rest.join(' ') };
    });

  test('no token: every challenge carries an auth-param, the Bearer one a realm', async () => {
    const res = await app.inject({ url: '/me' });
    expect(res.statusCode).toBe(401);
    const www = String(res.headers['www-authenticate']);
    expect(www.startsWith('Bearer realm="api"')).toBe(true);
    for (const { scheme, params } of challenges(www))
      expect(params, `${scheme} in ${www}`).toMatch(/^[a-z_]+="[^"]*"/);
  });

  test('a bad token: invalid_token, and no realm the app did not set', async () => {
    const token = await idp.accessToken(alice, { claims: { aud: 'account' } });
    const res = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token", /);
  });
});
