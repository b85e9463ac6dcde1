import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningIdp, startIdp } from '@todo-sso/idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../idp/test/seed-keys.js';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { type Instance, startInstance, testConfig } from './support/harness.js';

/** The API against the dev IdP's Authentik profile over real HTTP, in both verification modes. */
describe('the API with the dev IdP in its Authentik profile', () => {
  let idp: RunningIdp;
  let idpData: string;
  let tokenEndpoint: string;
  const databases: TestDatabase[] = [];
  const instances: Instance[] = [];

  async function api(
    verify: 'jwt' | 'introspect',
    secret = 'todo-api-secret',
    fetchVia?: typeof fetch,
  ): Promise<Instance> {
    const database = sqliteDatabase();
    databases.push(database);
    const config = testConfig(idp, database.config, {
      OIDC_PROVIDER: 'authentik',
      OIDC_AUDIENCE: 'todo-ui,todo-cli',
      OIDC_VERIFY: verify,
      OIDC_CLIENT_ID: 'todo-api',
      OIDC_CLIENT_SECRET: secret,
    });
    const instance = await startInstance(config, fetchVia ? { fetch: fetchVia } : {});
    instances.push(instance);
    return instance;
  }

  async function passwordGrant(extra: Record<string, string> = {}) {
    const res = await fetch(tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'todo-cli',
        username: 'alice',
        password: 'alice',
        ...extra,
      }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, string>;
  }

  const me = (instance: Instance, token: string | undefined) =>
    instance.app.inject({
      method: 'GET',
      url: '/me',
      headers: { authorization: `Bearer ${token}` },
    });

  beforeAll(async () => {
    idpData = mkdtempSync(join(tmpdir(), 'idp-authentik-'));
    idp = await startIdp({
      host: '127.0.0.1',
      port: 0,
      profile: 'authentik',
      dataDir: seedKeys(idpData),
    });
    const discovery = (await (
      await fetch(`${idp.issuer}.well-known/openid-configuration`)
    ).json()) as Record<string, string>;
    tokenEndpoint = discovery.token_endpoint as string;
  });
  afterAll(async () => {
    for (const instance of instances) await instance.close();
    for (const database of databases) await database.drop();
    await idp?.close();
    rmSync(idpData, { recursive: true, force: true });
  });

  it.each([
    ['introspect', 'a refresh token', 'refresh_token', 'openid offline_access'],
    ['jwt', 'the ID token', 'id_token', 'openid'],
  ] as const)(
    'in %s mode, answers GET /me with %s 401 token_type_invalid and with the access token 200',
    async (verify, _name, refusedToken, scope) => {
      const instance = await api(verify);
      const tokens = await passwordGrant({ scope });
      expect(tokens[refusedToken]).toBeTruthy();
      const refused = await me(instance, tokens[refusedToken]);
      expect(refused.statusCode).toBe(401);
      expect(refused.headers['www-authenticate']).toContain('error="invalid_token"');
      expect(refused.json()).toMatchObject({ code: 'token_type_invalid' });
      const ok = await me(instance, tokens.access_token);
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({ username: 'alice' });
    },
  );

  it('introspecting with a wrong client secret: 503 saying the client is refused, and /readyz not ready', async () => {
    // Authentik answers a client it does not authenticate {"active": false}, as for an unknown
    // token (providers/oauth2/views/introspection.py); the API asks its token endpoint about the
    // client instead of refusing every token with 401 as inactive.
    const instance = await api('introspect', 'hunter2-not-the-secret');
    const refused = await me(instance, (await passwordGrant()).access_token);
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({
      code: 'idp_unavailable',
      detail: expect.stringMatching(/^The identity provider refuses the API's client credentials/),
    });
    const ready = await instance.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().issuers[0]).toMatchObject({ state: 'unavailable' });
    expect(ready.json().issuers[0].clientRefusedSince).toEqual(expect.any(String));
  });

  it('with the right secret, a token Authentik calls inactive stays 401 token_inactive, not a refused client', async () => {
    const instance = await api('introspect');
    const tokens = await passwordGrant({ scope: 'openid offline_access' });
    // Revoked at the provider (RFC 7009): its introspection now answers active: false.
    const revoked = await fetch(tokenEndpoint.replace(/token\/$/, 'revoke/'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'todo-cli', token: tokens.refresh_token as string }),
    });
    expect(revoked.status).toBe(200);
    for (const token of [tokens.access_token, 'no-one-s-token']) {
      const refused = await me(instance, token);
      expect(refused.statusCode).toBe(401);
      expect(refused.json()).toMatchObject({ code: 'token_inactive' });
    }
    const ready = await instance.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
  });

  it('asks the token endpoint about its client at most once per cooldown, even when it gives no verdict', async () => {
    // Every inactive answer with no token shown active within a cooldown asks the token
    // endpoint whether the API's client is refused. An answer that says nothing of the client
    // (a 503, a timeout) must not let each made-up token send the client secret there again.
    let asked = 0;
    const instance = await api('introspect', 'todo-api-secret', async (input, init) => {
      if (String(input) !== tokenEndpoint) return fetch(input, init);
      asked++;
      return new Response('{"error":"temporarily_unavailable"}', {
        status: 503,
        headers: { 'content-type': 'application/json' },
      });
    });
    for (let i = 0; i < 5; i++) {
      const refused = await me(instance, `made-up-token-${i}`);
      expect(refused.statusCode).toBe(401);
      expect(refused.json()).toMatchObject({ code: 'token_inactive' });
    }
    expect(asked).toBe(1);
    expect((await me(instance, (await passwordGrant()).access_token)).statusCode).toBe(200);
  });
});
