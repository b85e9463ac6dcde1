import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createAuthenticator, MemoryDpopReplayCache } from '@todo-sso/auth';
import { authPlugin, createAuthErrorHandler } from '@todo-sso/auth/fastify';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { calculateJwkThumbprint, exportJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const ALGS = 'algs="ES256 ES384 ES512 PS256 RS256 EdDSA Ed25519"';

interface Holder {
  readonly privateKey: KeyObject;
  readonly jwk: Record<string, unknown>;
  readonly jkt: string;
}

async function holder(): Promise<Holder> {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = (await exportJWK(pair.publicKey)) as Record<string, unknown>;
  return { privateKey: pair.privateKey, jwk, jkt: await calculateJwkThumbprint(jwk as never) };
}

/** Starts a Fastify app with the plugin, one issuer in the given DPoP mode. */
async function appFor(idp: TestIssuer, dpop: 'allowed' | 'required' | 'off') {
  const authenticator = createAuthenticator({
    issuers: [idp.issuerOptions({ dpop })],
    dpop: { replay: new MemoryDpopReplayCache() },
  });
  const app = Fastify({ trustProxy: '127.0.0.1' });
  app.setErrorHandler(
    createAuthErrorHandler({
      realm: 'todo-api',
      dpopAlgorithms: authenticator.dpopAlgorithms,
      // The only issuer requires DPoP: no bearer token is accepted, none is offered.
      bearer: dpop !== 'required',
    }),
  );
  app.register(async (api) => {
    await api.register(authPlugin, { authenticator });
    api.get('/todos/', async (request) => ({
      sub: request.principal.subject,
      jkt: request.dpopProof?.jkt ?? null,
    }));
  });
  await app.ready();
  return app;
}

describe('DPoP-bound access tokens through the Fastify plugin (RFC 9449 §7)', () => {
  let idp: TestIssuer;
  let app: FastifyInstance;
  let key: Holder;
  let bound: string;
  let bearer: string;
  const url = 'http://localhost:80/todos/';

  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'keycloak' });
    app = await appFor(idp, 'allowed');
    key = await holder();
    bound = await idp.accessToken(alice, { claims: { cnf: { jkt: key.jkt } } });
    bearer = await idp.accessToken(alice);
  });
  afterAll(async () => {
    await app.close();
    await idp.close();
  });

  const proof = (who: Holder, token: string, claims: Record<string, unknown> = {}) =>
    new SignJWT({
      jti: crypto.randomUUID(),
      htm: 'GET',
      htu: url,
      iat: Math.floor(Date.now() / 1000),
      ath: createHash('sha256').update(token).digest('base64url'),
      ...claims,
    })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: who.jwk as never })
      .sign(who.privateKey);

  const get = (authorization: string, dpop?: string | string[], headers = {}) =>
    app.inject({
      method: 'GET',
      url: '/todos/?completed=false',
      headers: { host: 'localhost', authorization, ...(dpop ? { dpop } : {}), ...headers },
    });

  test('accepts a bound token with the DPoP scheme and a valid proof', async () => {
    const res = await get(`DPoP ${bound}`, await proof(key, bound));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ sub: alice.sub, jkt: key.jkt });
  });

  test('refuses the same proof twice with invalid_dpop_proof and the DPoP challenge', async () => {
    const p = await proof(key, bound);
    expect((await get(`DPoP ${bound}`, p)).statusCode).toBe(200);
    const replay = await get(`DPoP ${bound}`, p);
    expect(replay.statusCode).toBe(401);
    expect(replay.headers['www-authenticate']).toMatch(
      new RegExp(
        `^DPoP realm="todo-api", error="invalid_dpop_proof", error_description="The DPoP proof was already used", ${ALGS}$`,
      ),
    );
    expect(replay.json()).toMatchObject({ code: 'dpop_proof_invalid' });
  });

  test('refuses a DPoP-bound token sent as Bearer (§7.2), and with a proof of another key', async () => {
    const asBearer = await get(`Bearer ${bound}`);
    expect(asBearer.statusCode).toBe(401);
    expect(asBearer.headers['www-authenticate']).toBe(
      `Bearer realm="todo-api", error="invalid_token", error_description="The access token is DPoP-bound: send it with the DPoP scheme and a proof", DPoP realm="todo-api", ${ALGS}`,
    );
    const mallory = await holder();
    const stolen = await get(`DPoP ${bound}`, await proof(mallory, bound));
    expect(stolen.statusCode).toBe(401);
    expect(stolen.json()).toMatchObject({ code: 'token_binding_mismatch' });
    // §7.1 (its "Invalid DPoP key binding" example): a request made with the DPoP scheme has its
    // token refused in the DPoP challenge, where a DPoP client looks; Bearer stays offered.
    expect(stolen.headers['www-authenticate']).toBe(
      `DPoP realm="todo-api", error="invalid_token", error_description="The access token is bound to another key", ${ALGS}, Bearer realm="todo-api"`,
    );
  });

  test('a token refused for itself under the DPoP scheme: invalid_token in the DPoP challenge (§7.1)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await idp.accessToken(alice, {
      claims: { cnf: { jkt: key.jkt }, exp: now - 120, iat: now - 420 },
    });
    for (const [token, description] of [
      [expired, 'The access token expired'],
      [bearer, 'The access token is not DPoP-bound: send it with the Bearer scheme'],
    ] as const) {
      const res = await get(`DPoP ${token}`, await proof(key, token));
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe(
        `DPoP realm="todo-api", error="invalid_token", error_description="${description}", ${ALGS}, Bearer realm="todo-api"`,
      );
    }
    // A Bearer request keeps the error in its own scheme's challenge.
    const asBearer = await get(`Bearer ${expired}`);
    expect(asBearer.headers['www-authenticate']).toMatch(
      /^Bearer realm="todo-api", error="invalid_token", error_description="The access token expired", DPoP realm="todo-api", algs=/,
    );
  });

  test('ath is the hash of the token sent, for each of two cached tokens bound to one key', async () => {
    const other = await idp.accessToken(alice, { claims: { cnf: { jkt: key.jkt }, jti: 'other' } });
    expect(other).not.toBe(bound);
    // Both tokens verified (and cached) first, then each proof checked against its own token.
    expect((await get(`DPoP ${bound}`, await proof(key, bound))).statusCode).toBe(200);
    expect((await get(`DPoP ${other}`, await proof(key, other))).statusCode).toBe(200);
    for (const [sent, hashed] of [
      [bound, other],
      [other, bound],
    ] as const) {
      const res = await get(`DPoP ${sent}`, await proof(key, hashed));
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({
        code: 'dpop_proof_invalid',
        detail: 'The DPoP proof ath does not match the access token',
      });
    }
    expect((await get(`DPoP ${other}`, await proof(key, other))).statusCode).toBe(200);
  });

  test('refuses two DPoP headers and a missing proof', async () => {
    const p = await proof(key, bound);
    const two = await get(`DPoP ${bound}`, [p, await proof(key, bound)]);
    expect(two.statusCode).toBe(401);
    expect(two.json()).toMatchObject({
      code: 'dpop_proof_invalid',
      detail: 'More than one DPoP proof header was sent',
    });
    const none = await get(`DPoP ${bound}`);
    expect(none.json()).toMatchObject({
      code: 'dpop_proof_invalid',
      detail: 'The DPoP proof header is missing',
    });
    // §4.3 step 1: an empty field line is a DPoP header field too; beside a proof it makes two.
    for (const lines of [
      ['', await proof(key, bound)],
      [await proof(key, bound), ''],
    ]) {
      const withEmpty = await get(`DPoP ${bound}`, lines);
      expect(withEmpty.statusCode).toBe(401);
      expect(withEmpty.json()).toMatchObject({
        code: 'dpop_proof_invalid',
        detail: 'More than one DPoP proof header was sent',
      });
    }
  });

  test('compares htu with the forwarded scheme and host behind a trusted proxy', async () => {
    // Over a real socket: the proxy headers count only from a trusted peer (one hop here).
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const htu = 'https://todo.example.com/todos/';
    const send = async (headers: Record<string, string>) =>
      fetch(`${address}/todos/?completed=false`, {
        headers: {
          authorization: `DPoP ${bound}`,
          dpop: await proof(key, bound, { htu }),
          ...headers,
        },
      });
    const behind = await send({
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'todo.example.com',
    });
    expect(behind.status).toBe(200);
    const direct = await send({});
    expect(direct.status).toBe(401);
    expect(await direct.json()).toMatchObject({ code: 'dpop_proof_invalid' });
  });

  // RFC 9449 §4.3 step 9 with RFC 9110 §7.1: the target URI is the one the client addressed at
  // the edge; the outermost trusted proxy's X-Forwarded-* entries say what it was.
  test('behind trusted proxies, takes X-Forwarded-Port and the edge proxy entry of X-Forwarded-Host', async () => {
    // Listening already when the test above ran first.
    const address = app.server.listening
      ? `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
      : await app.listen({ host: '127.0.0.1', port: 0 });
    const send = async (htu: string, headers: Record<string, string>) =>
      (
        await fetch(`${address}/todos/`, {
          headers: {
            authorization: `DPoP ${bound}`,
            dpop: await proof(key, bound, { htu }),
            ...headers,
          },
        })
      ).status;
    const port = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'todo.example.com' };
    expect(
      await send('https://todo.example.com:8443/todos/', { ...port, 'x-forwarded-port': '8443' }),
    ).toBe(200);
    expect(
      await send('https://todo.example.com/todos/', { ...port, 'x-forwarded-port': '443' }),
    ).toBe(200);
    // Two trusted proxies (both on 127.0.0.1), each appending the Host it received.
    const twoHops = {
      'x-forwarded-for': '203.0.113.7, 127.0.0.1',
      'x-forwarded-proto': 'https, http',
      'x-forwarded-host': 'todo.example.com, api.internal:8000',
    };
    expect(await send('https://todo.example.com/todos/', twoHops)).toBe(200);
    // One trusted proxy: an entry left of its own is what the client wrote, never the target.
    const injected = {
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'evil.example, todo.example.com',
    };
    expect(await send('https://evil.example/todos/', injected)).toBe(401);
    expect(await send('https://todo.example.com/todos/', injected)).toBe(200);
  });

  test('ignores X-Forwarded-* from a peer that is not a trusted proxy', async () => {
    const headers = {
      host: 'localhost',
      authorization: `DPoP ${bound}`,
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'todo.example.com',
      'x-forwarded-port': '8443',
    };
    const from = (remoteAddress: string, htu: string) =>
      proof(key, bound, { htu }).then(
        async (dpop) =>
          (
            await app.inject({
              method: 'GET',
              url: '/todos/',
              remoteAddress,
              headers: { ...headers, dpop },
            })
          ).statusCode,
      );
    expect(await from('198.51.100.1', 'https://todo.example.com:8443/todos/')).toBe(401);
    expect(await from('198.51.100.1', url)).toBe(200);
    expect(await from('127.0.0.1', 'https://todo.example.com:8443/todos/')).toBe(200);
  });

  test('accepts a plain bearer token, refuses it with the DPoP scheme', async () => {
    const res = await get(`Bearer ${bearer}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ sub: alice.sub, jkt: null });
    const unbound = await get(`DPoP ${bearer}`, await proof(key, bearer));
    expect(unbound.statusCode).toBe(401);
    expect(unbound.json()).toMatchObject({ code: 'token_binding_mismatch' });
  });

  test('no token: the Bearer challenge and the DPoP challenge with its algorithms', async () => {
    const res = await app.inject({ method: 'GET', url: '/todos/' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe(
      `Bearer realm="todo-api", DPoP realm="todo-api", ${ALGS}`,
    );
  });

  test('required: a bearer token is refused with a DPoP challenge; a bound token passes', async () => {
    const strict = await appFor(idp, 'required');
    try {
      const res = await strict.inject({
        method: 'GET',
        url: '/todos/',
        headers: { host: 'localhost', authorization: `Bearer ${bearer}` },
      });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({
        code: 'token_binding_mismatch',
        detail: 'This resource needs a DPoP-bound access token',
      });
      expect(res.headers['www-authenticate']).toBe(
        `DPoP realm="todo-api", error="invalid_token", error_description="This resource needs a DPoP-bound access token", ${ALGS}`,
      );
      // RFC 9449 §7.1: the challenges of a DPoP-only resource name the DPoP scheme alone.
      const none = await strict.inject({ method: 'GET', url: '/todos/' });
      expect(none.headers['www-authenticate']).toBe(`DPoP realm="todo-api", ${ALGS}`);
      const malformed = await strict.inject({
        method: 'GET',
        url: '/todos/',
        headers: { authorization: 'Bearer not-a-token' },
      });
      expect(malformed.headers['www-authenticate']).toMatch(
        /^DPoP realm="todo-api", error="invalid_token", error_description="[^"]+", algs="[^"]+"$/,
      );
      const ok = await strict.inject({
        method: 'GET',
        url: '/todos/',
        headers: {
          host: 'localhost',
          authorization: `DPoP ${bound}`,
          dpop: await proof(key, bound),
        },
      });
      expect(ok.statusCode).toBe(200);
    } finally {
      await strict.close();
    }
  });

  test('off: the DPoP scheme counts as no credentials, and a bound token as Bearer is refused', async () => {
    const off = await appFor(idp, 'off');
    try {
      const res = await off.inject({
        method: 'GET',
        url: '/todos/',
        headers: { authorization: `DPoP ${bound}`, dpop: await proof(key, bound) },
      });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="todo-api"');
      const asBearer = await off.inject({
        method: 'GET',
        url: '/todos/',
        headers: { authorization: `Bearer ${bound}` },
      });
      expect(asBearer.json()).toMatchObject({ code: 'token_binding_mismatch' });
    } finally {
      await off.close();
    }
  });

  test("without the authenticator's dpop options: allowed means bearer only, required is refused", async () => {
    const plain = createAuthenticator({ issuers: [idp.issuerOptions({ dpop: 'allowed' })] });
    expect(plain.dpopMode(idp.issuer)).toBe('off');
    expect(plain.dpopAlgorithms).toBeUndefined();
    expect(() =>
      createAuthenticator({ issuers: [idp.issuerOptions({ dpop: 'required' })] }),
    ).toThrow(/dpop required needs/);
  });
});

test('refuses a publicPath that is not a path such as /api when the plugin is registered', async () => {
  const authenticator = createAuthenticator({
    issuers: [{ issuer: 'https://idp.example.com/realms/todo-app', audience: 'todo-api' }],
  });
  for (const publicPath of ['api', '/api/', '/a?b', '//api', 'https://example.com/api']) {
    const app = Fastify();
    app.register(authPlugin, { authenticator, publicPath });
    await expect(app.ready(), publicPath).rejects.toThrow(/is not a path such as \/api/);
    await app.close();
  }
});
