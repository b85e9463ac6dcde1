import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type RunningApi, startApi } from '@todo-sso/api';
import { type RunningIdp, startIdp } from '@todo-sso/idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../packages/idp/test/seed-keys.js';
import { SignInBrowser } from './support/browser.js';

/**
 * `API_ACCEPTS_MCP_TOKENS=false` keeps agents on `/mcp`, whatever resource their token names.
 * Real servers over HTTP: the dev IdP (Keycloak profile) and the API on embedded SQLite. An
 * agent registers itself at the dev IdP (RFC 7591), has alice sign in and asks, with PKCE, for
 * a token for the REST API's own identifier (`resource=<base>`, RFC 8707) instead of `<base>/mcp`.
 */
const HOST = '127.0.0.1';
const REDIRECT = 'http://127.0.0.1:47998/callback';

interface Metadata {
  registration_endpoint: string;
  authorization_endpoint: string;
  token_endpoint: string;
}

describe('the REST API with API_ACCEPTS_MCP_TOKENS=false and an agent', () => {
  let dataDir: string;
  let idp: RunningIdp;
  let api: RunningApi;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'todo-sso-agent-rest-'));
    idp = await startIdp({ host: HOST, port: 0, dataDir: seedKeys(join(dataDir, 'idp')) });
    api = await startApi(
      loadConfig({
        HOST,
        PORT: '0',
        OIDC_ISSUER: idp.issuer,
        DATA_DIR: join(dataDir, 'api'),
        LOG_LEVEL: 'silent',
        STEP_UP_ACR: '',
        API_ACCEPTS_MCP_TOKENS: 'false',
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await idp?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** A registered agent's token for `resource`, alice signed in through the login form. */
  const agentToken = async (resource: string) => {
    const meta = (await (
      await fetch(`${idp.issuer}/.well-known/openid-configuration`)
    ).json()) as Metadata;
    const registered = await fetch(meta.registration_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'an agent asking for the REST API',
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
      }),
    });
    expect(registered.status).toBe(201);
    const clientId = ((await registered.json()) as { client_id: string }).client_id;
    const verifier = randomBytes(32).toString('base64url');
    const authorization = new URL(meta.authorization_endpoint);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: REDIRECT,
      scope: 'openid',
      state: 'agent-rest',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      resource,
    }))
      authorization.searchParams.set(k, v);
    const code = await new SignInBrowser().signIn(authorization, 'alice', REDIRECT);
    const res = await fetch(meta.token_endpoint, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        client_id: clientId,
        code_verifier: verifier,
        resource,
      }),
    });
    expect(res.status).toBe(200);
    const token = ((await res.json()) as { access_token: string }).access_token;
    return { clientId, token };
  };

  const passwordToken = async (username: string) => {
    const res = await fetch(`${idp.issuer}/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'todo-cli',
        username,
        password: username,
      }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  };

  it('refuses with 403 insufficient_scope an agent whose token names the REST API itself', async () => {
    const { clientId, token } = await agentToken(api.url);
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
      aud: unknown;
      azp: string;
    };
    // The token is one the REST API's audiences accept: only its client tells it is an agent's.
    expect(claims.aud).toBe(api.url);
    expect(claims.azp).toBe(clientId);

    const res = await fetch(`${api.url}/todos/`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ status: 403, code: 'forbidden' });
    // The authorization core's agent refusal, as on /admin/: RFC 6750 §3.1 insufficient_scope
    // without a scope, which no agent could ask for.
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(
      /^Bearer realm="todo-api", error="insufficient_scope", error_description="Agents cannot do this/,
    );
    expect(challenge).not.toContain('scope="');

    // Audited as a denial, as the core's other refusals, naming the agent's client.
    const audit = await fetch(`${api.url}/admin/audit?limit=100`, {
      headers: { authorization: `Bearer ${await passwordToken('admin')}` },
    });
    expect(audit.status).toBe(200);
    const records = ((await audit.json()) as { items: Record<string, unknown>[] }).items;
    expect(records).toContainEqual(
      expect.objectContaining({
        action: 'GET /todos/',
        outcome: 'denied',
        actorName: 'alice',
        actorClient: clientId,
        detail: expect.stringContaining('Agents cannot do this'),
      }),
    );

    // The product's own client is still served.
    const listed = await fetch(`${api.url}/todos/`, {
      headers: { authorization: `Bearer ${await passwordToken('alice')}` },
    });
    expect(listed.status).toBe(200);
  }, 60_000);

  it('still serves the agent at /mcp with a token for <base>/mcp', async () => {
    const { token } = await agentToken(`${api.url}/mcp`);
    const res = await fetch(`${api.url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(200);
    const tools = ((await res.json()) as { result: { tools: { name: string }[] } }).result.tools;
    expect(tools.map((t) => t.name)).toContain('list_todos');
  }, 60_000);
});
