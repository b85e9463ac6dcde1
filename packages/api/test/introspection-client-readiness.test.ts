import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningIdp, startIdp } from '@todo-sso/idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../idp/test/seed-keys.js';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { type Instance, startInstance, testConfig } from './support/harness.js';

const SECRET = 'todo-api-secret';
const WRONG = 'hunter2-not-the-secret';

/**
 * OIDC_VERIFY=introspect against the dev IdP over HTTP, in its Keycloak and Authentik profiles.
 * A wrong client secret shows on /readyz before any token is sent: readiness asks the provider
 * about a random string (RFC 7662 §2.2 answers an unknown token `active: false`; bad client
 * credentials are refused, §2.1, RFC 6749 §5.2), at most once per cooldown. After a refusal,
 * requests are refused for a cooldown without calling the provider again, and the API recovers
 * once the provider accepts its client.
 */
const PROFILES = [
  { profile: 'keycloak', env: { OIDC_AUDIENCE: 'todo-api' } },
  { profile: 'authentik', env: { OIDC_PROVIDER: 'authentik', OIDC_AUDIENCE: 'todo-ui,todo-cli' } },
] as const;

describe.each(PROFILES)('introspection client readiness, $profile', ({ profile, env }) => {
  let idp: RunningIdp;
  let idpData: string;
  let tokenEndpoint: string;
  const databases: TestDatabase[] = [];
  const instances: Instance[] = [];

  beforeAll(async () => {
    idpData = mkdtempSync(join(tmpdir(), `idp-readiness-${profile}-`));
    idp = await startIdp({ host: '127.0.0.1', port: 0, profile, dataDir: seedKeys(idpData) });
    const base = idp.issuer.endsWith('/') ? idp.issuer : `${idp.issuer}/`;
    const discovery = (await (
      await fetch(`${base}.well-known/openid-configuration`)
    ).json()) as Record<string, string>;
    tokenEndpoint = discovery.token_endpoint as string;
  });
  afterAll(async () => {
    for (const instance of instances) await instance.close();
    for (const database of databases) await database.drop();
    await idp?.close();
    rmSync(idpData, { recursive: true, force: true });
  });

  /**
   * An API introspecting with `secret`; its calls to the introspection endpoint are counted,
   * and once `provider.accepts` the provider takes the API's client as if its secret were
   * right (as after the secret is set right at the provider). `offsetMs` moves its clock.
   */
  async function api(secret: string) {
    const provider = { calls: 0, accepts: false, offsetMs: 0, down: false };
    const database = sqliteDatabase();
    databases.push(database);
    const config = testConfig(idp, database.config, {
      ...env,
      OIDC_VERIFY: 'introspect',
      OIDC_CLIENT_ID: 'todo-api',
      OIDC_CLIENT_SECRET: secret,
    });
    const instance = await startInstance(config, {
      clock: { now: () => new Date(Date.now() + provider.offsetMs) },
      fetch: (input, init) => {
        if (!String(input).includes('introspect')) return fetch(input, init);
        provider.calls++;
        if (provider.down) return Promise.reject(new TypeError('fetch failed'));
        if (!provider.accepts) return fetch(input, init);
        const headers = new Headers(init?.headers);
        headers.set(
          'authorization',
          `Basic ${Buffer.from(`todo-api:${SECRET}`).toString('base64')}`,
        );
        return fetch(input, { ...init, headers });
      },
    });
    instances.push(instance);
    return { instance, provider };
  }

  async function accessToken(): Promise<string> {
    const res = await fetch(tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'todo-cli',
        username: 'alice',
        password: 'alice',
        scope: 'openid',
      }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  const me = (instance: Instance, token: string) =>
    instance.app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } });

  it('with a wrong secret, /readyz is 503 before any token is sent, asking the provider once per cooldown', async () => {
    const { instance, provider } = await api(WRONG);
    for (let i = 0; i < 3; i++) {
      const ready = await instance.app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ status: 'unavailable', checks: { issuers: false } });
      expect(ready.json().issuers[0]).toMatchObject({
        state: 'unavailable',
        clientRefusedSince: expect.any(String),
      });
    }
    expect(provider.calls).toBe(1);
    expect(JSON.stringify((await instance.app.inject({ url: '/readyz' })).json())).not.toContain(
      WRONG,
    );
  });

  it('with the right secret, /readyz is 200 before any token is sent', async () => {
    const { instance, provider } = await api(SECRET);
    for (let i = 0; i < 2; i++) {
      const ready = await instance.app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json().issuers[0]).toMatchObject({ state: 'ok' });
      expect(ready.json().issuers[0]).not.toHaveProperty('clientRefusedSince');
    }
    expect(provider.calls).toBe(1);
    expect((await me(instance, await accessToken())).statusCode).toBe(200);
  });

  it('after a refusal, answers 503 without calling the provider for a cooldown, then recovers once it accepts', async () => {
    const { instance, provider } = await api(WRONG);
    const token = await accessToken();
    for (let i = 0; i < 4; i++) {
      const refused = await me(instance, token);
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toMatchObject({
        code: 'idp_unavailable',
        detail: expect.stringMatching(/^The identity provider refuses the API's client/),
      });
      // RFC 9110 §10.2.3: when the provider will be asked again, a cooldown (30 s) after it
      // refused, not an outage's 5 s.
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(25);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(30);
    }
    expect(provider.calls).toBe(1);
    provider.accepts = true;
    expect((await me(instance, token)).statusCode).toBe(503);
    expect(provider.calls).toBe(1);
    provider.offsetMs = 31_000;
    const ok = await me(instance, token);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ username: 'alice' });
    expect(provider.calls).toBe(2);
    const ready = await instance.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().issuers[0]).not.toHaveProperty('clientRefusedSince');
  });

  it('while the introspection endpoint gives no answer, /readyz says degraded since when, cached answers serve, and it is ok again once it answers', async () => {
    const { instance, provider } = await api(SECRET);
    const known = await accessToken();
    expect((await me(instance, known)).statusCode).toBe(200);
    provider.down = true;
    const unknown = await accessToken();
    const refused = await me(instance, unknown);
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({ code: 'idp_unavailable' });
    const degraded = await instance.app.inject({ url: '/readyz' });
    expect(degraded.statusCode).toBe(200);
    expect(degraded.json()).toMatchObject({ status: 'degraded' });
    expect(degraded.json().issuers[0]).toMatchObject({
      state: 'degraded',
      outageSince: expect.any(String),
    });
    expect((await me(instance, known)).statusCode).toBe(200);
    provider.down = false;
    expect((await me(instance, unknown)).statusCode).toBe(200);
    const ready = await instance.app.inject({ url: '/readyz' });
    expect(ready.json()).toMatchObject({ status: 'ready' });
    expect(ready.json().issuers[0]).toMatchObject({ state: 'ok' });
    expect(ready.json().issuers[0]).not.toHaveProperty('outageSince');
  });
});
