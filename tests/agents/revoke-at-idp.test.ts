import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type RunningApi, startApi } from '@todo-sso/api';
import { type RunningIdp, startIdp } from '@todo-sso/idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../packages/idp/test/seed-keys.js';
import { SignInBrowser } from '../mcp/support/browser.js';

/**
 * Ending an agent against the real dev IdP over HTTP: the API refuses the agent's tokens and
 * ends its consent and grant through the IdP's Keycloak admin API (the refresh token is then
 * `invalid_grant`, the next sign-in asks again); with the IdP's admin API unreachable the person
 * is told so, every token of the agent is refused, and an instance that reaches the admin API
 * ends the grant on a retry.
 */
const HOST = '127.0.0.1';
const CALLBACK = 'http://127.0.0.1:47998/callback';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, HOST, r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('ending an agent at the dev IdP', { timeout: 60_000 }, () => {
  let dataDir: string;
  let idp: RunningIdp;
  let api: RunningApi;
  /** A second instance on the same database whose admin API address leads nowhere. */
  let cutOff: RunningApi;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'todo-sso-agents-'));
    idp = await startIdp({ host: HOST, port: 0, dataDir: seedKeys(join(dataDir, 'idp')) });
    const env = {
      HOST,
      PORT: '0',
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: 'todo-api',
      OIDC_CLIENT_SECRET: 'todo-api-secret',
      DATA_DIR: join(dataDir, 'api'),
      LOG_LEVEL: 'silent',
      STEP_UP_ACR: '',
    };
    api = await startApi(loadConfig(env), { agentGrantEndRetryMs: 200 });
    cutOff = await startApi(
      loadConfig({
        ...env,
        IDP_ADMIN_URL: `http://${HOST}:${await closedPort()}/admin/realms/todo-app`,
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await cutOff?.close();
    await api?.close();
    await idp?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** Registers an agent and signs alice in for the API's MCP resource; its tokens. */
  async function agent(name: string) {
    const registered = await fetch(`${idp.issuer}/clients-registrations/openid-connect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: name, redirect_uris: [CALLBACK] }),
    });
    const { client_id: clientId } = (await registered.json()) as { client_id: string };
    const verifier = randomBytes(32).toString('base64url');
    const resource = `${api.url}/mcp`;
    const authorization = new URL(`${idp.issuer}/protocol/openid-connect/auth`);
    authorization.search = new URLSearchParams({
      client_id: clientId,
      response_type: 'code',
      redirect_uri: CALLBACK,
      scope: 'openid',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      resource,
    }).toString();
    const browser = new SignInBrowser();
    const code = await browser.signIn(authorization, 'alice', CALLBACK);
    expect(browser.consentPage).toContain(name);
    const res = await fetch(`${idp.issuer}/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: clientId,
        code,
        redirect_uri: CALLBACK,
        code_verifier: verifier,
        resource,
      }),
    });
    const tokens = (await res.json()) as { access_token: string; refresh_token: string };
    return { clientId, authorization, ...tokens };
  }

  async function alice(): Promise<string> {
    const res = await fetch(`${idp.issuer}/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'todo-cli',
        username: 'alice',
        password: 'alice',
      }),
    });
    return ((await res.json()) as { access_token: string }).access_token;
  }

  const call = (base: string, method: string, path: string, token: string) =>
    fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}` } });

  async function listed(token: string, clientId: string): Promise<boolean> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const { items } = (await (await call(api.url, 'GET', '/me/agents', token)).json()) as {
        items: { clientId: string }[];
      };
      if (items.some((a) => a.clientId === clientId)) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  }

  it('refuses its tokens, ends its grant (refresh invalid_grant) and asks alice again next time', async () => {
    const shopping = await agent('Shopping assistant');
    expect((await call(api.url, 'GET', '/todos/', shopping.access_token)).status).toBe(200);
    const web = await alice();
    expect(await listed(web, shopping.clientId)).toBe(true);

    const ended = await call(api.url, 'DELETE', `/me/agents/${shopping.clientId}`, web);
    expect(ended.status).toBe(200);
    expect(await ended.json()).toMatchObject({
      clientId: shopping.clientId,
      identityProvider: { grantEnded: true },
    });
    const refused = await call(api.url, 'GET', '/todos/', shopping.access_token);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ code: 'token_revoked' });
    const refreshed = await fetch(`${idp.issuer}/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: shopping.clientId,
        refresh_token: shopping.refresh_token,
      }),
    });
    expect(refreshed.status).toBe(400);
    expect(await refreshed.json()).toMatchObject({ error: 'invalid_grant' });
    // A new sign-in of the same agent shows the consent page again.
    const again = new SignInBrowser();
    await again.signIn(shopping.authorization, 'alice', CALLBACK);
    expect(again.consentPage).toContain('Grant access to');
  });

  it('with the admin API unreachable, refuses every token of the agent, refreshed ones too, until a retry ends the grant', async () => {
    const calendar = await agent('Calendar agent');
    expect((await call(api.url, 'GET', '/todos/', calendar.access_token)).status).toBe(200);
    const web = await alice();
    expect(await listed(web, calendar.clientId)).toBe(true);

    const ended = await call(cutOff.url, 'DELETE', `/me/agents/${calendar.clientId}`, web);
    expect(ended.status).toBe(200);
    expect(await ended.json()).toMatchObject({
      identityProvider: { grantEnded: false, detail: expect.stringMatching(/keeps asking/) },
    });
    // The grant lives on at the IdP for now: a refresh still works, and its token is refused.
    const refresh = () =>
      fetch(`${idp.issuer}/protocol/openid-connect/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: calendar.clientId,
          refresh_token: calendar.refresh_token,
        }),
      });
    for (const base of [cutOff.url, api.url]) {
      const refused = await call(base, 'GET', '/todos/', calendar.access_token);
      expect(refused.status).toBe(401);
    }
    // The instance that reaches the admin API ends the grant on its next retry.
    const deadline = Date.now() + 10_000;
    let refreshed = await refresh();
    while (refreshed.status === 200 && Date.now() < deadline) {
      const { access_token: fresh } = (await refreshed.json()) as { access_token: string };
      expect((await call(cutOff.url, 'GET', '/todos/', fresh)).status).toBe(401);
      await new Promise((r) => setTimeout(r, 100));
      refreshed = await refresh();
    }
    expect(refreshed.status).toBe(400);
    expect(await refreshed.json()).toMatchObject({ error: 'invalid_grant' });
  });
});
