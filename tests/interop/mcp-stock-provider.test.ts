import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { loadConfig, type RunningApi, startApi } from '@todo-sso/api';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAgent } from '../mcp/support/agent.js';
import { type SuiteDatabase, sqliteDatabase } from '../reliability/support/databases.js';
import { freePort } from '../start/support.js';
import { Browser, HOST, type StockProvider, signInAt, startStockProvider } from './support.js';

/**
 * Two independent implementations around the API's `/mcp`: the MCP SDK's client and OAuth flow
 * (`auth()`) and a stock oidc-provider as the authorization server. The SDK follows the 401's
 * `resource_metadata` (RFC 9728 §5.1) to the provider, registers there (RFC 7591), sends alice
 * through oidc-provider's own sign-in and consent pages and redeems the code with PKCE and
 * `resource` (RFC 8707); the token oidc-provider mints for `<api>/mcp` works there.
 */
describe('the MCP SDK client, a stock oidc-provider and the API', () => {
  let database: SuiteDatabase;
  let idp: StockProvider;
  let api: RunningApi;
  let url: string;

  beforeAll(async () => {
    database = sqliteDatabase();
    const port = await freePort();
    url = `http://${HOST}:${port}`;
    idp = await startStockProvider({
      logoutUri: `${url}/auth/backchannel-logout`,
      accessTokenFormat: 'jwt',
    });
    api = await startApi(
      loadConfig({
        HOST,
        PORT: String(port),
        LOG_LEVEL: 'silent',
        OIDC_ISSUER: idp.issuer,
        OIDC_PROVIDER: 'generic',
        OIDC_AUDIENCE: 'todo-api',
        // oidc-provider writes no acr into its access tokens (RFC 9068 §2.2.1: optional).
        STEP_UP_ACR: '',
        ...database.env,
      }),
    );
  }, 30_000);

  afterAll(async () => {
    await api?.close();
    await idp?.close();
    await database?.drop();
  });

  it('goes from a 401 to a token for the MCP resource alone, and uses a tool with it', async () => {
    const mcpUrl = new URL('/mcp', url);
    const agent = new TestAgent('http://127.0.0.1:47998/callback');
    const first = new StreamableHTTPClientTransport(mcpUrl, { authProvider: agent });
    await expect(new Client({ name: 'e2e', version: '1' }).connect(first)).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    expect(agent.discovered?.authorizationServerUrl).toBe(idp.issuer);
    expect(agent.discovered?.resourceMetadata?.resource).toBe(mcpUrl.href);
    expect(agent.registered?.client_id).toEqual(expect.any(String));
    const authorization = agent.authorizationUrl as URL;
    expect(authorization.searchParams.get('resource')).toBe(mcpUrl.href);

    const browser = new Browser();
    const back = await signInAt(
      browser,
      await browser.follow(authorization.href, agent.redirectUrl),
      'alice',
      agent.redirectUrl,
    );
    await first.finishAuth(new URL(back.url).searchParams.get('code') as string);
    const token = agent.saved?.access_token as string;
    expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
    expect(decodeJwt(token)).toMatchObject({ aud: mcpUrl.href, sub: 'alice' });

    const client = new Client({ name: 'e2e', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: agent }));
    const created = (await client.callTool({
      name: 'create_todo',
      arguments: { title: 'buy milk' },
    })) as CallToolResult;
    expect(created.isError).toBeFalsy();
    expect(created.structuredContent).toMatchObject({ title: 'buy milk' });
    await client.close();

    // The REST routes take a token for `<api>/mcp` too, by default (API_ACCEPTS_MCP_TOKENS,
    // docs/mcp.md).
    const rest = await fetch(`${url}/todos/`, { headers: { authorization: `Bearer ${token}` } });
    expect(rest.status).toBe(200);
  }, 20_000);
});
