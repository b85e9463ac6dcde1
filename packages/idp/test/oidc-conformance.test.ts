import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizationCodeLogin,
  Browser,
  decodeJwt,
  deviceGrant,
  form,
  formAction,
  passwordGrant,
  pkce,
  rawRequest,
  redeemCode,
  refresh,
  startTestIdp,
  type TestIdp,
} from './helpers.js';

let idp: TestIdp;
const REDIRECT = 'http://localhost:3000/callback';

beforeAll(async () => {
  idp = await startTestIdp();
});
afterAll(async () => {
  await idp.close();
});

describe('the authorization and end-session endpoints accept POST', () => {
  it('signs alice in from a form-posted authorization request (OpenID Connect Core §3.1.2.1)', async () => {
    const browser = new Browser();
    const { verifier, challenge } = pkce();
    const posted = await browser.fetch(
      idp.discovery.authorization_endpoint as string,
      form({
        client_id: 'todo-ui',
        response_type: 'code',
        redirect_uri: REDIRECT,
        scope: 'openid',
        state: 's-post',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }),
    );
    expect(posted.status).toBe(303);
    const login = await browser.follow(
      new URL(posted.headers.get('location') as string, idp.url).href,
      REDIRECT,
    );
    expect(login.res.status).toBe(200);
    const html = await login.res.text();
    const signedIn = await browser.fetch(
      formAction(html, login.url),
      form({ username: 'alice', password: 'alice' }),
    );
    const done = await browser.follow(
      new URL(signedIn.headers.get('location') as string, login.url).href,
      REDIRECT,
    );
    const callback = new URL(done.url);
    expect(callback.searchParams.get('state')).toBe('s-post');
    const { status, body } = await redeemCode(
      idp,
      callback.searchParams.get('code') ?? undefined,
      verifier,
      REDIRECT,
    );
    expect(status).toBe(200);
    // Keycloak's default client scopes apply to a POSTed request as to a GET one.
    expect((body.scope as string).split(' ').sort()).toEqual(['email', 'openid', 'profile']);
  });

  it('answers a form-posted logout request (no refresh token) with the sign-out confirmation', async () => {
    const browser = new Browser();
    const { challenge } = pkce();
    const { code } = await authorizationCodeLogin(
      idp,
      browser,
      {
        client_id: 'todo-ui',
        response_type: 'code',
        redirect_uri: REDIRECT,
        scope: 'openid',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      },
      'bob',
    );
    expect(code).toBeTruthy();
    const res = await browser.fetch(
      idp.discovery.end_session_endpoint as string,
      form({ client_id: 'todo-ui' }),
    );
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Do you want to sign out?');
  });
});

describe('discovery advertises only what a request can get', () => {
  it('lists the code response type only, and no implicit grant', () => {
    const d = idp.discovery as unknown as Record<string, unknown>;
    expect(d.response_types_supported).toEqual(['code']);
    expect(d.grant_types_supported).not.toContain('implicit');
    expect([...(d.grant_types_supported as string[])].sort()).toEqual(
      [
        'authorization_code',
        'client_credentials',
        'password',
        'refresh_token',
        'urn:ietf:params:oauth:grant-type:device_code',
      ].sort(),
    );
  });

  it('refuses what it does not advertise: an implicit request gets unsupported_response_type', async () => {
    const res = await fetch(
      `${idp.discovery.authorization_endpoint}?${new URLSearchParams({
        client_id: 'todo-ui',
        response_type: 'id_token',
        redirect_uri: REDIRECT,
        scope: 'openid',
        nonce: 'n',
      })}`,
      { redirect: 'manual' },
    );
    const location = new URL(res.headers.get('location') as string);
    const params = new URLSearchParams(location.hash.slice(1) || location.search);
    expect(params.get('error')).toBe('unsupported_response_type');
  });

  it('advertises confidential client authentication the token endpoint accepts (client_secret_post)', async () => {
    const d = idp.discovery as unknown as Record<string, string[]>;
    for (const method of d.token_endpoint_auth_methods_supported ?? []) {
      expect(['none', 'client_secret_basic', 'client_secret_post']).toContain(method);
    }
    const res = await fetch(
      idp.discovery.token_endpoint as string,
      form({
        grant_type: 'client_credentials',
        client_id: 'todo-api',
        client_secret: 'todo-api-secret',
      }),
    );
    expect(res.status).toBe(200);
  });
});

describe('ID tokens carry auth_time and sid in every flow, as Keycloak', () => {
  it('the device flow ID token has auth_time and sid, and so does the one after a refresh', async () => {
    const { status, body } = await deviceGrant(idp, 'bob');
    expect(status).toBe(200);
    const first = decodeJwt(body.id_token as string).payload;
    expect(first.auth_time).toEqual(expect.any(Number));
    expect(first.sid).toEqual(expect.any(String));
    const refreshed = await refresh(idp, body.refresh_token as string);
    expect(refreshed.status).toBe(200);
    const second = decodeJwt(refreshed.body.id_token as string).payload;
    expect(second.auth_time).toBe(first.auth_time);
    expect(second.sid).toBe(first.sid);
  });

  it('the password grant ID token keeps sid and auth_time after a refresh', async () => {
    const { body } = await passwordGrant(idp, 'carol', 'carol', { scope: 'openid' });
    const first = decodeJwt(body.id_token as string).payload;
    const refreshed = await refresh(idp, body.refresh_token as string);
    const second = decodeJwt(refreshed.body.id_token as string).payload;
    expect(second.sid).toBe(first.sid);
    expect(second.auth_time).toBe(first.auth_time);
  });
});

describe('URLs come from the configured public URL, never from the Host header', () => {
  it('discovery and the device verification URI ignore a forged Host and X-Forwarded-Host', async () => {
    const forged = {
      host: 'evil.example',
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
    };
    const discovery = await rawRequest(`${idp.issuer}/.well-known/openid-configuration`, {
      headers: forged,
    });
    expect(discovery.status).toBe(200);
    expect(discovery.body).not.toContain('evil.example');
    expect(JSON.parse(discovery.body).token_endpoint).toBe(
      `${idp.issuer}/protocol/openid-connect/token`,
    );
    const device = await rawRequest(idp.discovery.device_authorization_endpoint as string, {
      method: 'POST',
      headers: { ...forged, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'client_id=todo-cli',
    });
    expect(device.status).toBe(200);
    expect(JSON.parse(device.body).verification_uri).toBe(`${idp.issuer}/device`);
  });
});
