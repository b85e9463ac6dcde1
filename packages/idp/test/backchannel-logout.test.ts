import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizationCodeLogin,
  Browser,
  basic,
  clientOf,
  decodeJwt,
  form,
  formAction,
  hiddenInputs,
  passwordGrant,
  pkce,
  realmJson,
  redeemCode,
  startLogoutReceiver,
  startTestIdp,
  type TestIdp,
} from './helpers.js';

let idp: TestIdp;
let receiver: Awaited<ReturnType<typeof startLogoutReceiver>>;
const REDIRECT = 'http://localhost:3000/callback';
const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

function realmWithReceiver(url: string) {
  const realm = realmJson();
  for (const id of ['todo-ui', 'todo-cli']) {
    const client = clientOf(realm, id);
    client.attributes = { ...client.attributes, 'backchannel.logout.url': url };
  }
  return realm;
}

beforeAll(async () => {
  receiver = await startLogoutReceiver();
  idp = await startTestIdp({ realm: realmWithReceiver(receiver.url) });
});
afterEach(() => {
  receiver.tokens.length = 0;
});
afterAll(async () => {
  await idp.close();
  await receiver.close();
});

/** Verifies a logout token as a receiver must (Back-Channel Logout 1.0 §2.6). */
async function verifyLogoutToken(token: string, audience: string) {
  const jwks = createRemoteJWKSet(new URL(idp.discovery.jwks_uri as string));
  const { payload } = await jwtVerify(token, jwks, {
    issuer: idp.issuer,
    audience,
    typ: 'logout+jwt',
    maxTokenAge: 60,
  });
  expect(decodeProtectedHeader(token).alg).toBe('RS256');
  expect(payload.events).toEqual({ [EVENT]: {} });
  expect(payload.nonce).toBeUndefined();
  expect(typeof payload.jti).toBe('string');
  // §2.4 (errata set 1): exp is REQUIRED; a short lifetime (§4 suggests at most two minutes).
  expect(typeof payload.exp).toBe('number');
  expect((payload.exp as number) - (payload.iat as number)).toBeLessThanOrEqual(120);
  return payload;
}

describe('back-channel logout when a session ends', () => {
  it('Keycloak POST /logout with client_id + refresh_token: 204, a logout token with the sid, tokens dead', async () => {
    const { body } = await passwordGrant(idp, 'alice');
    const access = decodeJwt(body.access_token as string).payload;
    const res = await fetch(
      idp.discovery.end_session_endpoint as string,
      form({ client_id: 'todo-cli', refresh_token: body.refresh_token as string }),
    );
    expect(res.status).toBe(204);
    const [token] = await receiver.waitFor(1);
    const payload = await verifyLogoutToken(token as string, 'todo-cli');
    expect(payload.sid).toBe(access.sid);
    expect(payload.sub).toBe(access.sub);

    const refreshed = await fetch(
      idp.discovery.token_endpoint as string,
      form({
        grant_type: 'refresh_token',
        client_id: 'todo-cli',
        refresh_token: body.refresh_token as string,
      }),
    );
    expect(refreshed.status).toBe(400);
    const introspection = await fetch(idp.discovery.introspection_endpoint as string, {
      ...form({ token: body.access_token as string }),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic('todo-api', 'todo-api-secret'),
      },
    });
    expect(await introspection.json()).toEqual({ active: false });
  });

  it('refuses a refresh token presented by another client with 400 invalid_grant and sends nothing', async () => {
    const { body } = await passwordGrant(idp, 'bob');
    const res = await fetch(
      idp.discovery.end_session_endpoint as string,
      form({ client_id: 'todo-ui', refresh_token: body.refresh_token as string }),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_grant' });
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.tokens).toEqual([]);
  });

  it('RP-initiated logout with id_token_hint ends the browser session, notifies todo-ui and redirects', async () => {
    const browser = new Browser();
    const { verifier, challenge } = pkce();
    const params = {
      client_id: 'todo-ui',
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    };
    const { code } = await authorizationCodeLogin(idp, browser, params, 'carol');
    const { body: tokens } = await redeemCode(idp, code, verifier, REDIRECT);
    const sid = decodeJwt(tokens.access_token as string).payload.sid;

    const logoutUrl = `${idp.discovery.end_session_endpoint}?${new URLSearchParams({
      id_token_hint: tokens.id_token as string,
      post_logout_redirect_uri: 'http://localhost:3000/',
      state: 'bye',
    })}`;
    const page = await browser.fetch(logoutUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('.submit()');
    const done = await browser.fetch(formAction(html, logoutUrl), form(hiddenInputs(html)));
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('http://localhost:3000/?state=bye');

    const [token] = await receiver.waitFor(1);
    const payload = await verifyLogoutToken(token as string, 'todo-ui');
    expect(payload.sid).toBe(sid);

    // The SSO session is gone: the next authorization shows the login page again.
    const again = await authorizationCodeLogin(idp, browser, params, 'carol', 'wrong');
    expect(again.loginPage).toContain('Invalid username or password.');
  });

  it('RP-initiated logout with only client_id asks the user to confirm, then notifies', async () => {
    const browser = new Browser();
    const params = {
      client_id: 'todo-ui',
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    };
    await authorizationCodeLogin(idp, browser, params, 'testuser');
    const logoutUrl = `${idp.discovery.end_session_endpoint}?client_id=todo-ui`;
    const html = await (await browser.fetch(logoutUrl)).text();
    expect(html).not.toContain('.submit()');
    expect(html).toContain('Do you want to sign out?');
    const done = await browser.fetch(formAction(html, logoutUrl), form(hiddenInputs(html)));
    expect(done.status).toBe(303);
    const [token] = await receiver.waitFor(1);
    await verifyLogoutToken(token as string, 'todo-ui');
  });
});

describe('back-channel logout on session expiry', () => {
  it('sends a logout token when the SSO session idle timeout passes', async () => {
    const local = await startLogoutReceiver();
    const short = await startTestIdp({
      realm: realmWithReceiver(local.url),
      ssoSessionIdleTimeout: 1,
    });
    try {
      const { body } = await passwordGrant(short, 'alice');
      const sid = decodeJwt(body.access_token as string).payload.sid;
      const [token] = await local.waitFor(1, 4000);
      expect(token).toBeDefined();
      const payload = decodeJwt(token as string).payload;
      expect(payload).toMatchObject({ sid, aud: 'todo-cli', iss: short.issuer });
    } finally {
      await short.close();
      await local.close();
    }
  });
});
