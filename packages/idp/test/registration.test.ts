import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answerConsent,
  Browser,
  decodeJwt,
  form,
  formAction,
  hiddenInputs,
  pkce,
  startTestIdp,
  type TestIdp,
} from './helpers.js';

let idp: TestIdp;
const CALLBACK = 'http://localhost:4567/callback';
const MCP = 'http://127.0.0.1:9999/mcp';

beforeAll(async () => {
  idp = await startTestIdp();
});
afterAll(async () => {
  await idp.close();
});

async function register(metadata: Record<string, unknown>) {
  const res = await fetch(idp.discovery.registration_endpoint as string, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(metadata),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Signs alice in for `clientId` and redeems the code; `resource` on both requests when given. */
async function signInFor(clientId: string, redirectUri: string, resource?: string) {
  const browser = new Browser();
  const { verifier, challenge } = pkce();
  const params = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'openid',
    state: 's',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...(resource ? { resource } : {}),
  });
  const first = await browser.follow(
    `${idp.discovery.authorization_endpoint}?${params}`,
    redirectUri,
  );
  const html = await first.res.text();
  const posted = await browser.fetch(
    formAction(html, first.url),
    form({ username: 'alice', password: 'alice' }),
  );
  // A registered client's first sign-in asks for consent: allowed here.
  const done = await answerConsent(
    browser,
    await browser.follow(
      new URL(posted.headers.get('location') as string, first.url).href,
      redirectUri,
    ),
    redirectUri,
  );
  const code = new URL(done.url).searchParams.get('code') as string;
  const res = await fetch(
    idp.discovery.token_endpoint as string,
    form({
      grant_type: 'authorization_code',
      client_id: clientId,
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      ...(resource ? { resource } : {}),
    }),
  );
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

describe('authorization server metadata for clients that have never seen the IdP', {
  timeout: 30_000,
}, () => {
  it.each([
    '/.well-known/oauth-authorization-server/realms/todo-app',
    '/realms/todo-app/.well-known/oauth-authorization-server',
  ])('serves RFC 8414 metadata at %s with the registration endpoint and S256', async (path) => {
    const res = await fetch(`${idp.url}${path}`);
    expect(res.status).toBe(200);
    const metadata = (await res.json()) as Record<string, unknown>;
    expect(metadata.issuer).toBe(idp.issuer);
    expect(metadata.registration_endpoint).toBe(
      `${idp.issuer}/clients-registrations/openid-connect`,
    );
    expect(metadata.code_challenge_methods_supported).toContain('S256');
  });
});

describe('dynamic client registration (RFC 7591) under the trusted-hosts policy', {
  timeout: 30_000,
}, () => {
  it('registers a public client with a loopback redirect URI (201, no secret)', async () => {
    const { status, body } = await register({ client_name: 'an agent', redirect_uris: [CALLBACK] });
    expect(status).toBe(201);
    expect(body).toMatchObject({
      client_name: 'an agent',
      redirect_uris: [CALLBACK],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
    expect(typeof body.client_id).toBe('string');
    expect(body).not.toHaveProperty('client_secret');
  });

  it('refuses a redirect URI that is not loopback with invalid_redirect_uri', async () => {
    const { status, body } = await register({ redirect_uris: ['https://evil.example/callback'] });
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_redirect_uri');
  });

  it('refuses a loopback host under a scheme other than http(s): any app may claim the scheme', async () => {
    for (const uri of ['evil://localhost/callback', 'ftp://127.0.0.1/callback', 'ws://[::1]/cb']) {
      const { status, body } = await register({ redirect_uris: [uri] });
      expect(status, uri).toBe(400);
      expect(body.error, uri).toBe('invalid_redirect_uri');
      const afterLogout = await register({
        redirect_uris: [CALLBACK],
        post_logout_redirect_uris: [uri],
      });
      expect(afterLogout.status, uri).toBe(400);
    }
  });

  it('holds post-logout redirect URIs to the trusted hosts too: no redirect off loopback after a sign-out', async () => {
    const foreign = await register({
      redirect_uris: [CALLBACK],
      post_logout_redirect_uris: ['https://evil.example/'],
    });
    expect(foreign).toMatchObject({ status: 400, body: { error: 'invalid_client_metadata' } });
    for (const bad of ['https://evil.example/', 42, [CALLBACK, 'x']]) {
      const answer = await register({ redirect_uris: [CALLBACK], post_logout_redirect_uris: bad });
      expect(answer.status, JSON.stringify(bad)).toBe(400);
    }
    const loopback = await register({
      redirect_uris: [CALLBACK],
      post_logout_redirect_uris: ['http://localhost:4567/signed-out'],
    });
    expect(loopback.status).toBe(201);
    const clientId = loopback.body.client_id as string;
    // The end-session endpoint sends a browser back to a registered post-logout URI (here
    // without a session, after the page's automatic confirmation): only ever a trusted one.
    const browser = new Browser();
    const logout = `${idp.discovery.end_session_endpoint}?${new URLSearchParams({
      client_id: clientId,
      post_logout_redirect_uri: 'http://localhost:4567/signed-out',
    })}`;
    const page = await browser.fetch(logout);
    const html = await page.text();
    const confirmed = await browser.fetch(formAction(html, logout), form(hiddenInputs(html)));
    expect(confirmed.headers.get('location')).toBe('http://localhost:4567/signed-out');
  });

  it('screens the registration endpoint however its path is spelled for the provider (case, trailing slash)', async () => {
    const endpoint = idp.discovery.registration_endpoint as string;
    const spellings = [
      `${endpoint}/`,
      endpoint.replace('/clients-registrations/', '/Clients-Registrations/'),
      endpoint.replace('openid-connect', 'OPENID-CONNECT'),
    ];
    for (const url of spellings) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          redirect_uris: ['https://evil.example/callback'],
          token_endpoint_auth_method: 'client_secret_basic',
        }),
      });
      expect(res.status, url).toBe(400);
      expect(((await res.json()) as { error: string }).error, url).toBe('invalid_redirect_uri');
    }
    // A loopback client registered through one of them is shaped like any other: public.
    const res = await fetch(`${endpoint}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [CALLBACK] }),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ token_endpoint_auth_method: 'none' });
  });

  it('refuses a confidential client and other grant types with invalid_client_metadata', async () => {
    const secret = await register({
      redirect_uris: [CALLBACK],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    expect(secret).toMatchObject({ status: 400, body: { error: 'invalid_client_metadata' } });
    const grants = await register({
      redirect_uris: [CALLBACK],
      grant_types: ['client_credentials'],
    });
    expect(grants).toMatchObject({ status: 400, body: { error: 'invalid_client_metadata' } });
  });

  it('holds a registered client to PKCE', async () => {
    const { body } = await register({ redirect_uris: [CALLBACK] });
    const params = new URLSearchParams({
      client_id: body.client_id as string,
      response_type: 'code',
      redirect_uri: CALLBACK,
      scope: 'openid',
      state: 's',
    });
    const res = await fetch(`${idp.discovery.authorization_endpoint}?${params}`, {
      redirect: 'manual',
    });
    const location = new URL(res.headers.get('location') as string);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('lists registered clients to an administrator through the admin API', async () => {
    const { body } = await register({ client_name: 'listed agent', redirect_uris: [CALLBACK] });
    const token = await fetch(idp.discovery.token_endpoint as string, {
      ...form({ grant_type: 'client_credentials' }),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('todo-api:todo-api-secret').toString('base64')}`,
      },
    });
    const { access_token } = (await token.json()) as { access_token: string };
    const res = await fetch(`${idp.url}/admin/realms/todo-app/clients`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    const clients = (await res.json()) as { clientId: string }[];
    expect(clients.map((c) => c.clientId)).toContain(body.client_id);
  });
});

describe('resource indicators (RFC 8707)', { timeout: 30_000 }, () => {
  it("narrows the audience of a registered client's token to the requested resource", async () => {
    const { body } = await register({ redirect_uris: [CALLBACK] });
    const { status, body: tokens } = await signInFor(body.client_id as string, CALLBACK, MCP);
    expect(status).toBe(200);
    const access = decodeJwt(tokens.access_token as string).payload;
    expect(access.aud).toBe(MCP);
    expect(access).toMatchObject({ azp: body.client_id, preferred_username: 'alice' });
  });

  it("narrows todo-ui's audience from todo-api to the resource, and keeps todo-api without one", async () => {
    const narrowed = await signInFor('todo-ui', 'http://localhost:3000/callback', MCP);
    expect(decodeJwt(narrowed.body.access_token as string).payload.aud).toBe(MCP);
    const plain = await signInFor('todo-ui', 'http://localhost:3000/callback');
    expect(decodeJwt(plain.body.access_token as string).payload.aud).toBe('todo-api');
  });

  it('refuses a resource that is not an absolute URI without a fragment with invalid_target', async () => {
    const params = new URLSearchParams({
      client_id: 'todo-ui',
      response_type: 'code',
      redirect_uri: 'http://localhost:3000/callback',
      scope: 'openid',
      resource: 'http://127.0.0.1:9999/mcp#frag',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    });
    const res = await fetch(`${idp.discovery.authorization_endpoint}?${params}`, {
      redirect: 'manual',
    });
    expect(new URL(res.headers.get('location') as string).searchParams.get('error')).toBe(
      'invalid_target',
    );
  });
});

describe("the realm's own registration policy (Keycloak's client registration policy components)", {
  timeout: 30_000,
}, () => {
  it('trusts the hosts its trusted-hosts component names instead of loopback', async () => {
    const { realmJson } = await import('./helpers.js');
    const realm = realmJson();
    realm.components = {
      'org.keycloak.services.clientregistration.policy.ClientRegistrationPolicy': [
        {
          name: 'Trusted Hosts',
          providerId: 'trusted-hosts',
          subType: 'anonymous',
          config: {
            'trusted-hosts': ['agents.example.org'],
            'host-sending-registration-request-must-match': ['false'],
            'client-uris-must-match': ['true'],
          },
        },
      ],
    };
    const custom = await startTestIdp({ realm });
    try {
      const post = (uri: string) =>
        fetch(custom.discovery.registration_endpoint as string, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ redirect_uris: [uri] }),
        });
      expect((await post('https://agents.example.org/callback')).status).toBe(201);
      expect((await post(CALLBACK)).status).toBe(400);
      const signedOut = (uri: string) =>
        fetch(custom.discovery.registration_endpoint as string, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            redirect_uris: ['https://agents.example.org/callback'],
            post_logout_redirect_uris: [uri],
          }),
        });
      expect((await signedOut('https://agents.example.org/bye')).status).toBe(201);
      expect((await signedOut('https://evil.example/bye')).status).toBe(400);
    } finally {
      await custom.close();
    }
  });
});
