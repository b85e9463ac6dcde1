import { createAuthenticator, type Principal } from '@todo-sso/auth';
import { authPlugin, createAuthErrorHandler } from '@todo-sso/auth/fastify';
import { alice, bob, carol, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

/**
 * Tokens the cache does not hold are verified after the poll phase that read their requests,
 * back to back with the others of that phase, then each request goes on. Every check still
 * applies to each token, and each request gets the answer to its own token.
 */
describe('authPlugin: new tokens verified together', () => {
  let idp: TestIssuer;
  let app: FastifyInstance;
  let address: string;
  const order: string[] = [];

  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'keycloak' });
    const authenticator = createAuthenticator({
      issuers: [idp.issuerOptions({ clockToleranceSec: 0 })],
      revocation: { isRevoked: (p: Principal) => p.subject === carol.sub },
      onEvent: (e) => {
        if (e.type === 'authenticated') order.push(`verified ${e.cached ? 'cached' : 'new'}`);
        else if (e.type === 'auth_failed') order.push(`refused ${e.code}`);
      },
    });
    expect(await authenticator.ready()).toBe(true);
    app = Fastify();
    app.setErrorHandler(createAuthErrorHandler({ realm: 'todo-api' }));
    await app.register(async (api) => {
      // Runs before the auth plugin's hook: a tick queued here runs before a verification that
      // waits for the end of the poll phase, after one made in the hook's own call.
      api.addHook('onRequest', (_request, _reply, done) => {
        process.nextTick(() => order.push('tick'));
        done();
      });
      await api.register(authPlugin, { authenticator });
      api.get('/me', async (request) => {
        order.push('handler');
        return { sub: request.principal.subject, now: request.verifiedNow };
      });
    });
    address = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app.close();
    await idp.close();
  });

  const send = async (token: string) => {
    const res = await fetch(`${address}/me`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  test('a new token is verified after its turn, not in the hook call that read it', async () => {
    order.length = 0;
    const headers = { authorization: `Bearer ${await idp.accessToken(alice)}` };
    const res = await app.inject({ url: '/me', headers });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ sub: alice.sub, now: true });
    expect(order).toEqual(['tick', 'verified new', 'handler']);
    // Cached now: decided in the hook's own call, without waiting for the phase to end.
    order.length = 0;
    const again = await app.inject({ url: '/me', headers });
    expect(again.json()).toEqual({ sub: alice.sub, now: false });
    expect(order[0]).toBe('verified cached');
    expect(order).toContain('tick');
  });

  test('requests arriving together each get the answer to their own token', async () => {
    const users = [alice, bob, alice, bob, alice, bob];
    const valid = await Promise.all(users.map((u) => idp.accessToken(u)));
    const good = valid[0] as string;
    const forged = `${good.slice(0, good.lastIndexOf('.'))}.${'A'.repeat(342)}`;
    const tokens = [
      ...valid,
      forged,
      await idp.accessToken(alice, { expiresInSec: -60 }),
      await idp.accessToken(bob, { claims: { aud: 'another-api' } }),
      await idp.accessToken(carol),
    ];
    const answers = await Promise.all(tokens.map(send));
    answers.slice(0, 6).forEach((answer, i) => {
      expect(answer.status).toBe(200);
      expect(answer.body.sub).toBe(users[i]?.sub);
    });
    expect(answers.slice(6).map((a) => [a.status, a.body.code])).toEqual([
      [401, 'signature_invalid'],
      [401, 'token_expired'],
      [401, 'audience_mismatch'],
      [401, 'token_revoked'],
    ]);
  });

  test('the same new token sent twice at once is verified once', async () => {
    order.length = 0;
    const token = await idp.accessToken(bob);
    const answers = await Promise.all([send(token), send(token)]);
    expect(answers.map((a) => [a.status, a.body.sub])).toEqual([
      [200, bob.sub],
      [200, bob.sub],
    ]);
    expect(order.filter((e) => e === 'verified new')).toHaveLength(1);
  });
});
