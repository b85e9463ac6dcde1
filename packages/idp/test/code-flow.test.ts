import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizationCodeLogin,
  Browser,
  decodeJwt,
  pkce,
  realmJson,
  redeemCode,
  startTestIdp,
  type TestIdp,
} from './helpers.js';

let idp: TestIdp;
const REDIRECT = 'http://localhost:3000/callback';

beforeAll(async () => {
  const realm = realmJson();
  (realm.users.find((u) => u.username === 'bob') as Record<string, unknown>).enabled = false;
  idp = await startTestIdp({ realm });
});
afterAll(async () => {
  await idp.close();
});

function authParams(challenge?: string): Record<string, string> {
  return {
    client_id: 'todo-ui',
    response_type: 'code',
    redirect_uri: REDIRECT,
    scope: 'openid profile email',
    state: 'state-123',
    nonce: 'nonce-456',
    ...(challenge ? { code_challenge: challenge, code_challenge_method: 'S256' } : {}),
  };
}

function exchange(code: string, verifier: string) {
  return redeemCode(idp, code, verifier, REDIRECT);
}

describe('authorization code flow with PKCE through the login page', () => {
  it('shows a login page that says "development only" and checks the realm password', async () => {
    const browser = new Browser();
    const { challenge } = pkce();
    const url = `${idp.discovery.authorization_endpoint}?${new URLSearchParams(authParams(challenge))}`;
    const { res, url: loginUrl } = await browser.follow(url, REDIRECT);
    expect(res.status).toBe(200);
    expect(loginUrl).toContain('/realms/todo-app/login-actions/authenticate/');
    const html = await res.text();
    expect(html).toMatch(/Development only/);
    expect(html).toContain('name="password"');
    expect(html).not.toContain('any password');
  });

  it('signs alice in, issues a code bound to state, and exchanges it for Keycloak-shaped tokens', async () => {
    const browser = new Browser();
    const { verifier, challenge } = pkce();
    const { code, callback } = await authorizationCodeLogin(
      idp,
      browser,
      authParams(challenge),
      'alice',
    );
    expect(code).toBeTruthy();
    expect(callback?.searchParams.get('state')).toBe('state-123');
    expect(callback?.searchParams.get('iss')).toBe(idp.issuer);

    const { status, body } = await exchange(code as string, verifier);
    expect(status).toBe(200);
    expect(body.refresh_token).toBeTruthy();
    const access = decodeJwt(body.access_token as string).payload;
    expect(access).toMatchObject({
      iss: idp.issuer,
      aud: 'todo-api',
      azp: 'todo-ui',
      typ: 'Bearer',
      preferred_username: 'alice',
      realm_access: { roles: ['user'] },
      resource_access: { 'todo-api': { roles: ['todos:read', 'todos:write'] } },
      department: 'engineering',
    });
    expect(String(access.scope).split(' ').sort()).toEqual(['email', 'openid', 'profile']);
    const id = decodeJwt(body.id_token as string).payload;
    expect(id).toMatchObject({
      aud: 'todo-ui',
      azp: 'todo-ui',
      typ: 'ID',
      nonce: 'nonce-456',
      sid: access.sid,
      sub: access.sub,
    });
  });

  it('with a wrong password shows the error on the login page and issues no code', async () => {
    const browser = new Browser();
    const { challenge } = pkce();
    const result = await authorizationCodeLogin(
      idp,
      browser,
      authParams(challenge),
      'alice',
      'nope',
    );
    expect(result.code).toBeUndefined();
    expect(result.loginPage).toContain('Invalid username or password.');
  });

  it('refuses a disabled user on the login page', async () => {
    const browser = new Browser();
    const { challenge } = pkce();
    const result = await authorizationCodeLogin(idp, browser, authParams(challenge), 'bob');
    expect(result.code).toBeUndefined();
    expect(result.loginPage).toContain('Account is disabled.');
  });

  it('reuses the SSO session: a second authorization returns a code without the login page', async () => {
    const browser = new Browser();
    await authorizationCodeLogin(idp, browser, authParams(pkce().challenge), 'carol');
    const second = await authorizationCodeLogin(
      idp,
      browser,
      authParams(pkce().challenge),
      'x',
      'x',
    );
    expect(second.code).toBeTruthy();
  });

  it('refuses a redirect URI outside the client list with an error page and no redirect', async () => {
    const browser = new Browser();
    const params = {
      ...authParams(pkce().challenge),
      redirect_uri: 'http://evil.example/callback',
    };
    const res = await browser.fetch(
      `${idp.discovery.authorization_endpoint}?${new URLSearchParams(params)}`,
    );
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('redirect_uri');
  });

  it('accepts any redirect URI under the wildcard http://localhost:3000/*', async () => {
    const browser = new Browser();
    const params = {
      ...authParams(pkce().challenge),
      redirect_uri: 'http://localhost:3000/deep/path?x=1',
    };
    const res = await browser.fetch(
      `${idp.discovery.authorization_endpoint}?${new URLSearchParams(params)}`,
    );
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toContain('/login-actions/authenticate/');
  });

  it('refuses an authorization request without PKCE (realm requires S256) with invalid_request', async () => {
    const browser = new Browser();
    const { url } = await browser.follow(
      `${idp.discovery.authorization_endpoint}?${new URLSearchParams(authParams())}`,
      REDIRECT,
    );
    const callback = new URL(url);
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('error_description')).toMatch(/PKCE/);
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('refuses a code redeemed with the wrong code_verifier with invalid_grant', async () => {
    const browser = new Browser();
    const { code } = await authorizationCodeLogin(
      idp,
      browser,
      authParams(pkce().challenge),
      'alice',
    );
    const { status, body } = await exchange(code as string, pkce().verifier);
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_grant');
  });
});
