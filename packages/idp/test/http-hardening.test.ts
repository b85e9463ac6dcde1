import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizationCodeLogin,
  Browser,
  form,
  formAction,
  hiddenInputs,
  pkce,
  rawRequest,
  startTestIdp,
  type TestIdp,
} from './helpers.js';

let idp: TestIdp;
const REDIRECT = 'http://localhost:3000/callback';
const APP = 'http://localhost:3000';
const EVIL = 'https://evil.example';

beforeAll(async () => {
  idp = await startTestIdp();
});
afterAll(async () => {
  await idp.close();
});

function expectUnframeable(res: Response, what: string): void {
  expect(res.headers.get('content-security-policy'), what).toContain("frame-ancestors 'none'");
  expect(res.headers.get('x-frame-options'), what).toBe('DENY');
}

describe('no page of the dev IdP can be framed', () => {
  it('sends frame-ancestors none and X-Frame-Options DENY on the device, logout, error and login pages', async () => {
    const browser = new Browser();
    const device = (await (
      await fetch(
        idp.discovery.device_authorization_endpoint as string,
        form({ client_id: 'todo-cli', scope: 'openid' }),
      )
    ).json()) as Record<string, string>;

    const input = await browser.fetch(device.verification_uri as string);
    expectUnframeable(input, 'device code input page');
    const inputHtml = await input.text();
    const confirm = await browser.fetch(
      formAction(inputHtml, device.verification_uri as string),
      form({ ...hiddenInputs(inputHtml), user_code: device.user_code as string }),
    );
    expect(await confirm.text()).toContain('Confirm device');
    expectUnframeable(confirm, 'device confirm page');

    const wrongCode = await browser.fetch(
      formAction(inputHtml, device.verification_uri as string),
      form({ ...hiddenInputs(inputHtml), user_code: 'WRONG-CODE' }),
    );
    expectUnframeable(wrongCode, 'device error page');

    const { challenge } = pkce();
    await authorizationCodeLogin(
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
      'alice',
    );
    const logout = await browser.fetch(`${idp.discovery.end_session_endpoint}?client_id=todo-ui`);
    expect(await logout.text()).toContain('Do you want to sign out?');
    expectUnframeable(logout, 'logout confirmation page');

    const error = await fetch(
      `${idp.discovery.authorization_endpoint}?client_id=unknown&response_type=code`,
      { headers: { accept: 'text/html' } },
    );
    expect(error.status).toBe(400);
    expectUnframeable(error, 'error page');

    const login = await new Browser().follow(
      `${idp.discovery.authorization_endpoint}?${new URLSearchParams({
        client_id: 'todo-ui',
        response_type: 'code',
        redirect_uri: REDIRECT,
        scope: 'openid',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      })}`,
      REDIRECT,
    );
    expectUnframeable(login.res, 'login page');
  });

  it("keeps keycloak-js's session iframe frameable", async () => {
    const res = await fetch(`${idp.issuer}/protocol/openid-connect/login-status-iframe.html`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-frame-options')).toBeNull();
    expect(res.headers.get('content-security-policy')).toBeNull();
  });
});

describe('CORS preflights answer only registered web origins', () => {
  const endpoints = () => [
    idp.discovery.token_endpoint as string,
    idp.discovery.userinfo_endpoint as string,
    idp.discovery.introspection_endpoint as string,
    idp.discovery.revocation_endpoint as string,
    idp.discovery.end_session_endpoint as string,
    idp.discovery.device_authorization_endpoint as string,
  ];

  it('gives an unregistered origin no CORS headers at any endpoint', async () => {
    for (const url of endpoints()) {
      const res = await fetch(url, {
        method: 'OPTIONS',
        headers: {
          origin: EVIL,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization',
        },
      });
      expect(res.headers.get('access-control-allow-origin'), url).toBeNull();
      expect(res.headers.get('access-control-allow-credentials'), url).toBeNull();
    }
  });

  it('allows the web app origin, with credentials', async () => {
    for (const url of endpoints()) {
      const res = await fetch(url, {
        method: 'OPTIONS',
        headers: { origin: APP, 'access-control-request-method': 'POST' },
      });
      expect(res.status, url).toBe(204);
      expect(res.headers.get('access-control-allow-origin'), url).toBe(APP);
      expect(res.headers.get('access-control-allow-credentials'), url).toBe('true');
    }
  });

  it('allows the headers browser clients send to the token endpoint, as Keycloak does', async () => {
    // Swagger UI's "Authorize" (the API's /docs) adds X-Requested-With to the code exchange.
    const res = await fetch(idp.discovery.token_endpoint as string, {
      method: 'OPTIONS',
      headers: {
        origin: APP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-requested-with,dpop',
      },
    });
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const header of ['content-type', 'x-requested-with', 'dpop', 'authorization', 'accept'])
      expect(allowed.split(/\s*,\s*/)).toContain(header);
  });

  it('does not reflect an unregistered origin on the actual token request either', async () => {
    const init = form({
      grant_type: 'password',
      client_id: 'todo-cli',
      username: 'bob',
      password: 'bob',
    });
    const res = await fetch(idp.discovery.token_endpoint as string, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), origin: EVIL },
    });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('a form body over 64 KiB is 413 at every endpoint', () => {
  const big = `client_id=todo-cli&pad=${'a'.repeat(70 * 1024)}`;

  it('by its stated length', async () => {
    const urls = [
      idp.discovery.token_endpoint,
      idp.discovery.introspection_endpoint,
      idp.discovery.revocation_endpoint,
      idp.discovery.end_session_endpoint,
      idp.discovery.device_authorization_endpoint,
      idp.discovery.authorization_endpoint,
      idp.discovery.userinfo_endpoint,
      `${idp.issuer}/device`,
      `${idp.issuer}/login-actions/authenticate/some-uid`,
    ];
    for (const url of urls) {
      const res = await rawRequest(url as string, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: big,
      });
      expect(res.status, url).toBe(413);
      expect(JSON.parse(res.body).error, url).toBe('invalid_request');
    }
  });

  it('when sent chunked, without a length', async () => {
    for (const url of [idp.discovery.token_endpoint, idp.discovery.introspection_endpoint]) {
      const res = await rawRequest(url as string, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'transfer-encoding': 'chunked',
        },
        body: big,
      });
      expect(res.status, url).toBe(413);
    }
  });
});
