import { expect, it } from 'vitest';
import { useDevIdp } from './support/dev-idp.js';
import type { Instance } from './support/harness.js';

/**
 * Each kind of token the dev IdP (Keycloak profile, over HTTP) gives a person, presented where
 * another kind is meant (RFC 8725 §2.8, §3.11): the ID token and the refresh token on every
 * protected resource (REST, MCP, AuthZEN), in `jwt` and `introspect` mode, and the access, ID
 * and refresh tokens as a back-channel logout token. The API also accepts the CLI's client id
 * as an audience here, so that an ID token (`aud` = the client) passes the audience check and
 * only the type check stands between it and the API. A refused logout token ends nothing: the
 * person's access token still works after.
 */
const suite = useDevIdp('token-confusion');

const ROUTES = [
  ['GET', '/me'],
  ['GET', '/todos/'],
  ['POST', '/mcp', { jsonrpc: '2.0', id: 1, method: 'tools/list' }],
  [
    'POST',
    '/access/v1/evaluation',
    {
      subject: { type: 'user', id: 'someone' },
      action: { name: 'can_read' },
      resource: { type: 'todo', id: '1' },
    },
  ],
] as const;

/** alice's tokens by Keycloak's direct grant at the CLI's client, with a refresh token. */
async function tokensOfAlice(): Promise<Record<'access' | 'id' | 'refresh', string>> {
  const issuer = suite.idp.issuer;
  const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
    token_endpoint: string;
  };
  const res = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: 'todo-cli',
      username: 'alice',
      password: 'alice',
      scope: 'openid offline_access',
    }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as Record<string, string>;
  const tokens = { access: body.access_token, id: body.id_token, refresh: body.refresh_token };
  for (const [name, token] of Object.entries(tokens)) expect(token, name).toBeTruthy();
  return tokens as Record<'access' | 'id' | 'refresh', string>;
}

async function apiIn(mode: 'jwt' | 'introspect'): Promise<Instance> {
  return suite.instance({
    OIDC_AUDIENCE: 'todo-api,todo-cli',
    ...(mode === 'introspect' && {
      OIDC_VERIFY: 'introspect',
      OIDC_CLIENT_ID: 'todo-api',
      OIDC_CLIENT_SECRET: 'todo-api-secret',
    }),
  });
}

it.each(['jwt', 'introspect'] as const)(
  'in %s mode, refuses the ID and refresh tokens on every resource, and every token as a logout token',
  async (mode) => {
    const api = await apiIn(mode);
    const tokens = await tokensOfAlice();
    const call = (token: string, method: string, url: string, payload?: object) =>
      api.app.inject({
        method: method as 'GET' | 'POST',
        url,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json, text/event-stream',
        },
        ...(payload && { payload }),
      });
    expect((await call(tokens.access, 'GET', '/me')).statusCode).toBe(200);
    // Keycloak signs its refresh tokens with a realm secret (HS256), which no JWKS publishes: in
    // `jwt` mode refused for its algorithm, in `introspect` mode for its `typ` ("Refresh"). The
    // dev IdP's introspection answers an ID token inactive.
    const refused =
      mode === 'jwt'
        ? { id: 'token_type_invalid', refresh: 'alg_not_allowed' }
        : { id: 'token_inactive', refresh: 'token_type_invalid' };
    for (const kind of ['id', 'refresh'] as const)
      for (const [method, url, payload] of ROUTES) {
        const res = await call(tokens[kind], method, url, payload);
        const name = `${kind} token on ${method} ${url}`;
        expect(res.statusCode, name).toBe(401);
        expect(res.json(), name).toMatchObject({ code: refused[kind] });
        expect(res.headers['www-authenticate'], name).toContain('error="invalid_token"');
      }
    for (const kind of ['access', 'id', 'refresh'] as const) {
      const res = await api.app.inject({
        method: 'POST',
        url: '/auth/backchannel-logout',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ logout_token: tokens[kind] }).toString(),
      });
      expect(res.statusCode, kind).toBe(400);
      expect(res.json(), kind).toMatchObject({ code: 'logout_token_invalid' });
    }
    // Nothing was ended by the refused logout tokens.
    const after = await call(tokens.access, 'GET', '/me');
    expect(after.statusCode).toBe(200);
    expect(after.json()).toMatchObject({ username: 'alice' });
  },
  60_000,
);
