import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { loadConfig, type RunningApi, startApi } from '@todo-sso/api';
import { type RunningIdp, startIdp } from '@todo-sso/idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../packages/idp/test/seed-keys.js';
import { TestAgent } from './support/agent.js';
import { SignInBrowser } from './support/browser.js';

/**
 * An MCP client that knows nothing but the `/mcp` URL: the SDK's own `Client`,
 * `StreamableHTTPClientTransport` and OAuth flow (`auth()`), with the test's `OAuthClientProvider`.
 * Real servers over HTTP: the dev IdP (Keycloak profile) and the API on embedded SQLite. The
 * client gets the 401, follows `resource_metadata` (RFC 9728) to the issuer's metadata
 * (RFC 8414), registers itself (RFC 7591), sends alice through the login form and the consent
 * page, and redeems the code with PKCE and `resource` (RFC 8707) for a token for `<api>/mcp`.
 */
const HOST = '127.0.0.1';

function text(result: unknown): unknown {
  const content = (result as CallToolResult).content[0];
  return content?.type === 'text' ? JSON.parse(content.text) : undefined;
}

describe('an MCP client signs alice in and uses the todo tools', () => {
  let dataDir: string;
  let idp: RunningIdp;
  let api: RunningApi;
  let mcpUrl: URL;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'todo-sso-mcp-'));
    idp = await startIdp({ host: HOST, port: 0, dataDir: seedKeys(join(dataDir, 'idp')) });
    api = await startApi(
      loadConfig({
        HOST,
        PORT: '0',
        OIDC_ISSUER: idp.issuer,
        DATA_DIR: join(dataDir, 'api'),
        LOG_LEVEL: 'silent',
        STEP_UP_ACR: '',
      }),
    );
    mcpUrl = new URL('/mcp', api.url);
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await idp?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const password = async (username: string, extra: Record<string, string> = {}) => {
    const res = await fetch(`${idp.issuer}/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'todo-cli',
        username,
        password: username,
        ...extra,
      }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  };

  it('goes from a 401 to a token for the MCP resource, uses the tools, and stops when alice ends the agent', async () => {
    const agent = new TestAgent('http://127.0.0.1:47999/callback');
    const first = new StreamableHTTPClientTransport(mcpUrl, { authProvider: agent });
    await expect(new Client({ name: 'e2e', version: '1' }).connect(first)).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    // The SDK found the authorization server through the resource metadata and registered.
    expect(agent.discovered?.resourceMetadataUrl).toBe(
      `${api.url}/.well-known/oauth-protected-resource/mcp`,
    );
    expect(agent.discovered?.resourceMetadata?.resource).toBe(mcpUrl.href);
    expect(agent.discovered?.authorizationServerUrl).toBe(idp.issuer);
    expect(agent.registered?.client_id).toEqual(expect.any(String));
    const authorization = agent.authorizationUrl as URL;
    expect(authorization.searchParams.get('resource')).toBe(mcpUrl.href);
    expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');

    const browser = new SignInBrowser();
    const code = await browser.signIn(authorization, 'alice', agent.redirectUrl);
    // The registered client's first sign-in asked alice, naming what it would get.
    expect(browser.consentPage).toContain('todo-sso end-to-end agent');
    await first.finishAuth(code);
    const claims = JSON.parse(
      Buffer.from((agent.saved?.access_token ?? '').split('.')[1] ?? '', 'base64url').toString(),
    ) as { aud: unknown; azp: string };
    expect(claims.aud).toBe(mcpUrl.href);
    expect(claims.azp).toBe(agent.registered?.client_id);

    const client = new Client({ name: 'e2e', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: agent }));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'complete_todo',
      'create_todo',
      'delete_todo',
      'list_lists',
      'list_todos',
      'share_list',
      'update_todo',
    ]);
    const created = await client.callTool({
      name: 'create_todo',
      arguments: { title: 'buy milk' },
    });
    expect(created.isError).toBeFalsy();
    const todo = text(created) as { id: string; title: string };
    expect(todo.title).toBe('buy milk');

    const listed = await fetch(`${api.url}/todos/`, {
      headers: { authorization: `Bearer ${await password('alice')}` },
    });
    const items = ((await listed.json()) as { items: { id: string; title: string }[] }).items;
    expect(items).toContainEqual(expect.objectContaining({ id: todo.id, title: 'buy milk' }));

    // Refused by relation: bob's list, shared with alice as viewer, is not hers to share.
    const bob = { authorization: `Bearer ${await password('bob')}` };
    const list = await fetch(`${api.url}/lists/`, {
      method: 'POST',
      headers: { ...bob, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Groceries' }),
    });
    const listId = ((await list.json()) as { id: string }).id;
    const shared = await fetch(`${api.url}/lists/${listId}/members/alice`, {
      method: 'PUT',
      headers: { ...bob, 'content-type': 'application/json' },
      body: JSON.stringify({ relation: 'viewer' }),
    });
    expect(shared.status).toBe(200);
    const refused = await client.callTool({
      name: 'share_list',
      arguments: { listId, username: 'carol', relation: 'editor' },
    });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatchObject({
      code: 'forbidden',
      status: 403,
      reason: 'relation_missing',
    });
    // Its token is accepted on the REST routes too (API_ACCEPTS_MCP_TOKENS): a write there and
    // the refusal of an admin route are the agent's, not alice's own.
    const agentAuth = { authorization: `Bearer ${agent.saved?.access_token}` };
    const restWrite = await fetch(`${api.url}/todos/`, {
      method: 'POST',
      headers: { ...agentAuth, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'buy bread' }),
    });
    expect(restWrite.status).toBe(201);
    const restTodo = (await restWrite.json()) as { id: string };
    expect((await fetch(`${api.url}/admin/users`, { headers: agentAuth })).status).toBe(403);
    // Every record names the client whose token made the request (its azp): the agent's, and
    // the command line's for bob's list.
    const audit = await fetch(`${api.url}/admin/audit?limit=100`, {
      headers: { authorization: `Bearer ${await password('admin')}` },
    });
    expect(audit.status).toBe(200);
    const records = ((await audit.json()) as { items: Record<string, unknown>[] }).items;
    expect(records).toContainEqual(
      expect.objectContaining({
        action: 'todo.create',
        resource: `todo:${todo.id}`,
        actorName: 'alice',
        actorClient: agent.registered?.client_id,
      }),
    );
    expect(records).toContainEqual(
      expect.objectContaining({
        action: 'todo.create',
        resource: `todo:${restTodo.id}`,
        outcome: 'success',
        actorName: 'alice',
        actorClient: agent.registered?.client_id,
      }),
    );
    expect(records).toContainEqual(
      expect.objectContaining({
        action: 'GET /admin/users',
        outcome: 'denied',
        actorName: 'alice',
        actorClient: agent.registered?.client_id,
      }),
    );
    expect(records).toContainEqual(
      expect.objectContaining({
        action: 'list.create',
        resource: `list:${listId}`,
        actorClient: 'todo-cli',
      }),
    );

    // Alice sees the agent in her account and ends it: its next call fails within a second.
    const aliceAuth = { authorization: `Bearer ${await password('alice')}` };
    const clientId = agent.registered?.client_id as string;
    const agents = await fetch(`${api.url}/me/agents`, { headers: aliceAuth });
    expect(((await agents.json()) as { items: { clientId: string }[] }).items).toContainEqual(
      expect.objectContaining({ clientId }),
    );
    const ended = await fetch(`${api.url}/me/agents/${encodeURIComponent(clientId)}`, {
      method: 'DELETE',
      headers: aliceAuth,
    });
    expect(ended.status).toBe(200);
    const endedAt = performance.now();
    const next = await fetch(mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${agent.saved?.access_token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
    });
    expect(performance.now() - endedAt).toBeLessThan(1000);
    expect(next.status).toBe(401);
    expect(((await next.json()) as { code: string }).code).toBe('token_revoked');
    await expect(client.callTool({ name: 'list_lists', arguments: {} })).rejects.toThrow();
    await client.close();
  }, 60_000);

  it('refuses a token without the MCP resource in aud with the RFC 9728 challenge', async () => {
    const token = await password('alice');
    const res = await fetch(mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(401);
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer realm="todo-api", error="invalid_token"/);
    expect(challenge).toContain(
      `resource_metadata="${api.url}/.well-known/oauth-protected-resource/mcp"`,
    );
    expect(((await res.json()) as { code: string }).code).toBe('audience_mismatch');
  });

  it('refuses to register a client whose redirect URI is not on a loopback address', async () => {
    const meta = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as {
      registration_endpoint: string;
    };
    const register = (redirect: string) =>
      fetch(meta.registration_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_name: 'agent',
          redirect_uris: [redirect],
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code'],
          response_types: ['code'],
        }),
      });
    const remote = await register('https://agent.example.com/callback');
    expect(remote.status).toBe(400);
    expect(((await remote.json()) as { error: string }).error).toBe('invalid_redirect_uri');
    expect((await register('http://127.0.0.1:5000/callback')).status).toBe(201);
  });
});
