import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answerConsent,
  Browser,
  form,
  formAction,
  isConsentPage,
  pkce,
  refresh,
  startTestIdp,
  type TestIdp,
} from './helpers.js';

/**
 * The consent step of a dynamically registered (agent) client, over HTTP as a browser does it:
 * the first sign-in asks, Deny is `access_denied` at the client (RFC 6749 §4.1.2.1), Allow is
 * remembered, the realm's own clients never ask, and the admin API lists and revokes consents
 * as Keycloak's does (`/users/{id}/consents`).
 */
const CALLBACK = 'http://127.0.0.1:4711/callback';
const RESOURCE = 'http://127.0.0.1:4712/mcp';
let idp: TestIdp;

beforeAll(async () => {
  idp = await startTestIdp();
});
afterAll(async () => {
  await idp.close();
});

async function register(name = 'Shopping assistant'): Promise<string> {
  const res = await fetch(idp.discovery.registration_endpoint as string, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: name, redirect_uris: [CALLBACK] }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { client_id: string }).client_id;
}

/** Starts a sign-in of `clientId` in `browser` and submits the login form when it is shown. */
async function signIn(browser: Browser, clientId: string, username = 'alice', extra = {}) {
  const { verifier, challenge } = pkce();
  const params = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: CALLBACK,
    scope: 'openid email',
    state: 'xyz',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    resource: RESOURCE,
    ...extra,
  });
  let at = await browser.follow(`${idp.discovery.authorization_endpoint}?${params}`, CALLBACK);
  if (!at.url.startsWith(CALLBACK)) {
    const html = await at.res.text();
    if (html.includes('name="password"')) {
      const posted = await browser.fetch(
        formAction(html, at.url),
        form({ username, password: username }),
      );
      expect(posted.status).toBe(303);
      at = await browser.follow(
        new URL(posted.headers.get('location') as string, at.url).href,
        CALLBACK,
      );
    } else {
      at = { url: at.url, res: new Response(html, { status: at.res.status }) };
    }
  }
  return { at, verifier };
}

async function redeem(clientId: string, callback: string, verifier: string) {
  const code = new URL(callback).searchParams.get('code') as string;
  const res = await fetch(
    idp.discovery.token_endpoint as string,
    form({
      grant_type: 'authorization_code',
      client_id: clientId,
      code,
      redirect_uri: CALLBACK,
      code_verifier: verifier,
      resource: RESOURCE,
    }),
  );
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

async function adminToken(): Promise<string> {
  const res = await fetch(idp.discovery.token_endpoint as string, {
    ...form({ grant_type: 'client_credentials' }),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from('todo-api:todo-api-secret').toString('base64')}`,
    },
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function aliceId(token: string): Promise<string> {
  const res = await fetch(`${idp.url}/admin/realms/todo-app/users?username=alice&exact=true`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return ((await res.json()) as { id: string }[])[0]?.id as string;
}

describe('the consent step of a registered client', { timeout: 30_000 }, () => {
  it("shows the client, the scopes and the person's permissions in words, with Allow and Deny", async () => {
    const clientId = await register();
    const { at } = await signIn(new Browser(), clientId);
    expect(at.url.startsWith(CALLBACK)).toBe(false);
    expect(at.res.status).toBe(200);
    const html = await at.res.text();
    expect(isConsentPage(html)).toBe(true);
    expect(html).toContain('Grant access to Shopping assistant?');
    expect(html).toContain(clientId);
    expect(html).toContain('See your email address');
    expect(html).toContain(
      'todos:write (todo-api): Create, change and delete one&#39;s own todos.',
    );
    expect(html).toContain(RESOURCE);
    expect(html).toMatch(/<button id="kc-login" name="accept"[^>]*>Allow<\/button>/);
    expect(html).toMatch(/<button id="kc-cancel" name="cancel"[^>]*>Deny<\/button>/);
    expect(at.res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('Deny sends access_denied with the state to the redirect URI and issues no code', async () => {
    const clientId = await register();
    const browser = new Browser();
    const { at } = await signIn(browser, clientId);
    const done = await answerConsent(browser, at, CALLBACK, 'cancel');
    const callback = new URL(done.url);
    expect(callback.origin + callback.pathname).toBe(CALLBACK);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe('xyz');
    expect(callback.searchParams.has('code')).toBe(false);
  });

  it('Allow issues the code, and a later sign-in of the same client does not ask again', async () => {
    const clientId = await register();
    const first = new Browser();
    const started = await signIn(first, clientId);
    const allowed = await answerConsent(first, started.at, CALLBACK);
    expect(allowed.consentPage).toBeDefined();
    const tokens = await redeem(clientId, allowed.url, started.verifier);
    expect(tokens.status).toBe(200);

    // Another browser, so another session: only the login form, then straight to the client.
    const second = await signIn(new Browser(), clientId);
    expect(second.at.url.startsWith(CALLBACK)).toBe(true);
    expect(new URL(second.at.url).searchParams.get('code')).toEqual(expect.any(String));
    // Someone else is asked for themselves.
    const bob = await signIn(new Browser(), clientId, 'bob');
    expect(isConsentPage(await bob.at.res.text())).toBe(true);
  });

  it('asks again when the request says prompt=consent', async () => {
    const clientId = await register();
    const browser = new Browser();
    await answerConsent(browser, (await signIn(browser, clientId)).at, CALLBACK);
    const again = await signIn(browser, clientId, 'alice', { prompt: 'consent' });
    expect(isConsentPage(await again.at.res.text())).toBe(true);
  });

  it("never asks for the realm's own clients (todo-ui)", async () => {
    const browser = new Browser();
    const { challenge } = pkce();
    const params = new URLSearchParams({
      client_id: 'todo-ui',
      response_type: 'code',
      redirect_uri: 'http://localhost:3000/callback',
      scope: 'openid',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const first = await browser.follow(
      `${idp.discovery.authorization_endpoint}?${params}`,
      'http://localhost:3000/',
    );
    const posted = await browser.fetch(
      formAction(await first.res.text(), first.url),
      form({ username: 'alice', password: 'alice' }),
    );
    const done = await browser.follow(
      new URL(posted.headers.get('location') as string, first.url).href,
      'http://localhost:3000/',
    );
    expect(new URL(done.url).searchParams.get('code')).toEqual(expect.any(String));
  });
});

describe('consents in the admin API (Keycloak /users/{id}/consents)', { timeout: 30_000 }, () => {
  it("lists a person's consents and revokes one: its refresh token stops working and the next sign-in asks again", async () => {
    const clientId = await register('Calendar agent');
    const browser = new Browser();
    const started = await signIn(browser, clientId);
    const allowed = await answerConsent(browser, started.at, CALLBACK);
    const tokens = await redeem(clientId, allowed.url, started.verifier);
    expect(tokens.body.refresh_token).toEqual(expect.any(String));

    const token = await adminToken();
    const id = await aliceId(token);
    const auth = { authorization: `Bearer ${token}` };
    const listed = await fetch(`${idp.url}/admin/realms/todo-app/users/${id}/consents`, {
      headers: auth,
    });
    expect(listed.status).toBe(200);
    const consents = (await listed.json()) as Record<string, unknown>[];
    expect(consents.find((c) => c.clientId === clientId)).toMatchObject({
      grantedClientScopes: expect.arrayContaining(['openid', 'profile', 'email']),
      createdDate: expect.any(Number),
      lastUpdatedDate: expect.any(Number),
    });

    const url = `${idp.url}/admin/realms/todo-app/users/${id}/consents/${encodeURIComponent(clientId)}`;
    expect((await fetch(url, { method: 'DELETE', headers: auth })).status).toBe(204);
    const refreshed = await refresh(idp, tokens.body.refresh_token as string, clientId);
    expect(refreshed).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    // The same browser session is asked again.
    const again = await signIn(browser, clientId);
    expect(isConsentPage(await again.at.res.text())).toBe(true);
    // Nothing left to revoke.
    const gone = await fetch(url, { method: 'DELETE', headers: auth });
    expect(gone.status).toBe(404);
  });

  it('refuses to revoke without manage-users (a token of alice herself)', async () => {
    const res = await fetch(idp.discovery.token_endpoint as string, {
      ...form({
        grant_type: 'password',
        client_id: 'todo-cli',
        username: 'alice',
        password: 'alice',
      }),
    });
    const { access_token } = (await res.json()) as { access_token: string };
    const id = await aliceId(await adminToken());
    const denied = await fetch(`${idp.url}/admin/realms/todo-app/users/${id}/consents/anything`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(denied.status).toBe(403);
  });
});
