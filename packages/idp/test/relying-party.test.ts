import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  approveDevice,
  Browser,
  clientOf,
  form,
  formAction,
  hiddenInputs,
  realmJson,
  startLogoutReceiver,
  startTestIdp,
  type TestIdp,
} from './helpers.js';

/**
 * The dev IdP as a widely used, independent relying party sees it: panva's `openid-client` (v6,
 * certified OpenID Connect RP library) does discovery, the code flow with PKCE, ID-token validation
 * (signature included: non-repudiation checks on), userinfo, refresh and RP-initiated logout, and
 * `jose` checks the back-channel logout token as OpenID Connect Back-Channel Logout 1.0 §2.6 says.
 * The browser is the test's cookie jar; the login form is submitted over HTTP.
 */
const APP = 'http://localhost:3000';
const REDIRECT = `${APP}/callback`;
const SIGNED_OUT = `${APP}/signed-out`;

let idp: TestIdp;
let receiver: Awaited<ReturnType<typeof startLogoutReceiver>>;
let config: oidc.Configuration;

beforeAll(async () => {
  receiver = await startLogoutReceiver();
  const realm = realmJson();
  const ui = clientOf(realm, 'todo-ui');
  ui.attributes = { ...ui.attributes, 'backchannel.logout.url': receiver.url };
  idp = await startTestIdp({ realm });
  config = await oidc.discovery(new URL(idp.issuer), 'todo-ui', undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks],
  });
});
afterAll(async () => {
  await idp?.close();
  await receiver?.close();
});

/** Follows the authorization URL through the login page as `username`; returns the callback URL. */
async function signIn(browser: Browser, url: URL, username: string): Promise<URL> {
  const first = await browser.follow(url.href, REDIRECT);
  if (first.url.startsWith(REDIRECT)) return new URL(first.url);
  const html = await first.res.text();
  const posted = await browser.fetch(
    formAction(html, first.url),
    form({ username, password: username }),
  );
  expect(posted.status).toBe(303);
  const done = await browser.follow(
    new URL(posted.headers.get('location') as string, first.url).href,
    REDIRECT,
  );
  return new URL(done.url);
}

describe('openid-client (independent relying party) against the dev IdP', {
  timeout: 30_000,
}, () => {
  it('finds everything it needs in discovery', () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(idp.issuer);
    expect(metadata.code_challenge_methods_supported).toContain('S256');
    expect(metadata.end_session_endpoint).toBeTruthy();
    expect(metadata.backchannel_logout_supported).toBe(true);
    expect(metadata.backchannel_logout_session_supported).toBe(true);
  });

  it('signs in with code + PKCE, validates the ID token, reads userinfo, refreshes, logs out (RP-initiated and back-channel)', async () => {
    const browser = new Browser();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid profile email',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      max_age: '300',
    });
    const callback = await signIn(browser, url, 'alice');

    // Code + PKCE; the ID token's signature, iss, aud, azp, exp, iat, nonce, auth_time (max_age)
    // and the callback's iss (RFC 9207) are checked by openid-client.
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      maxAge: 300,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    expect(claims?.preferred_username).toBe('alice');
    expect(claims?.sid).toEqual(expect.any(String));
    expect(claims?.auth_time).toEqual(expect.any(Number));
    expect(tokens.refresh_token).toEqual(expect.any(String));

    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims?.sub as string);
    expect(info).toMatchObject({ sub: claims?.sub, preferred_username: 'alice' });

    // Refresh: a new ID token for the same subject and session, validated again.
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
    const again = refreshed.claims();
    expect(again?.sub).toBe(claims?.sub);
    expect(again?.sid).toBe(claims?.sid);
    expect(again?.auth_time).toBe(claims?.auth_time);
    expect(refreshed.access_token).not.toBe(tokens.access_token);

    // RP-initiated logout: the end-session URL built by openid-client, followed in the browser.
    const endSession = oidc.buildEndSessionUrl(config, {
      id_token_hint: refreshed.id_token as string,
      post_logout_redirect_uri: SIGNED_OUT,
      state: 'bye',
    });
    const confirm = await browser.fetch(endSession.href);
    expect(confirm.status).toBe(200);
    const page = await confirm.text();
    // The hint is this session's: the page submits itself (a browser would, without a question).
    expect(page).toContain('document.getElementById("op.logoutForm").submit()');
    const submitted = await browser.fetch(
      formAction(page, endSession.href),
      form(hiddenInputs(page)),
    );
    const back = new URL(submitted.headers.get('location') as string, endSession.href);
    expect(`${back.origin}${back.pathname}`).toBe(SIGNED_OUT);
    expect(back.searchParams.get('state')).toBe('bye');

    // Back-channel logout: the receiver got a logout token; validate it as an RP must (§2.6).
    const [logoutToken] = await receiver.waitFor(1);
    expect(logoutToken).toBeTruthy();
    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri as string));
    const { payload, protectedHeader } = await jwtVerify(logoutToken as string, jwks, {
      issuer: idp.issuer,
      audience: 'todo-ui',
      typ: 'logout+jwt',
      maxTokenAge: '2 minutes',
    });
    expect(protectedHeader.alg).toBe(
      config.clientMetadata().id_token_signed_response_alg ?? 'RS256',
    );
    expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
    expect(payload).not.toHaveProperty('nonce');
    expect(payload.jti).toEqual(expect.any(String));
    expect(payload.sub).toBe(claims?.sub);
    expect(payload.sid).toBe(claims?.sid);

    // The session is over: its refresh token and access token no longer work.
    await expect(
      oidc.refreshTokenGrant(config, refreshed.refresh_token as string),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(
      oidc.fetchUserInfo(config, refreshed.access_token, claims?.sub as string),
    ).rejects.toBeInstanceOf(Error);
    expect(decodeJwt(refreshed.access_token).sid).toBe(claims?.sid);
  });

  it('refuses a tampered callback: a wrong state and a replayed code', async () => {
    const browser = new Browser();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const callback = await signIn(browser, url, 'bob');
    await expect(
      oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: verifier,
        expectedState: 'another-state',
      }),
    ).rejects.toBeInstanceOf(Error);
    await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    await expect(
      oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
      }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('signs in through a pushed authorization request, which discovery advertises (RFC 9126)', async () => {
    expect(config.serverMetadata().pushed_authorization_request_endpoint).toBeTruthy();
    const verifier = oidc.randomPKCECodeVerifier();
    const url = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    const callback = await signIn(new Browser(), url, 'carol');
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      idTokenExpected: true,
    });
    // Keycloak's default client scopes apply to a pushed request too.
    expect(tokens.claims()?.preferred_username).toBe('carol');
  });

  it('a confidential client authenticates with client_secret_post or client_secret_basic, as discovery says', async () => {
    const methods = config.serverMetadata().token_endpoint_auth_methods_supported ?? [];
    expect(methods).toEqual(expect.arrayContaining(['client_secret_basic', 'client_secret_post']));
    for (const auth of [
      oidc.ClientSecretPost('todo-api-secret'),
      oidc.ClientSecretBasic('todo-api-secret'),
    ]) {
      const api = await oidc.discovery(new URL(idp.issuer), 'todo-api', undefined, auth, {
        execute: [oidc.allowInsecureRequests],
      });
      const service = await oidc.clientCredentialsGrant(api, { scope: 'openid' });
      expect(service.access_token).toEqual(expect.any(String));
      // The resource server's view of a user's token (RFC 7662), and its revocation (RFC 7009).
      const user = { access_token: (await passwordTokens('carol')).access_token as string };
      const active = await oidc.tokenIntrospection(api, user.access_token);
      expect(active).toMatchObject({ active: true, preferred_username: 'carol' });
      // RFC 7009 §2.1: a client cannot revoke another client's token (Keycloak: "Unmatching
      // clients"); the owner can.
      await expect(oidc.tokenRevocation(api, user.access_token)).rejects.toMatchObject({
        error: 'unauthorized_client',
      });
      expect((await oidc.tokenIntrospection(api, user.access_token)).active).toBe(true);
      await oidc.tokenRevocation(await cliConfig(), user.access_token);
      expect((await oidc.tokenIntrospection(api, user.access_token)).active).toBe(false);
    }
  });

  it('a command-line client runs the device flow with openid-client (RFC 8628), ID token validated', async () => {
    const cli = await cliConfig();
    const device = await oidc.initiateDeviceAuthorization(cli, { scope: 'openid' });
    await approveDevice(new Browser(), device as unknown as Record<string, string>, 'bob');
    const tokens = await oidc.pollDeviceAuthorizationGrant(cli, device);
    expect(tokens.claims()).toMatchObject({ preferred_username: 'bob', sid: expect.any(String) });
    expect(tokens.claims()?.auth_time).toEqual(expect.any(Number));
    const refreshed = await oidc.refreshTokenGrant(cli, tokens.refresh_token as string);
    expect(refreshed.claims()?.sid).toBe(tokens.claims()?.sid);
  });

  it('works against the Authentik profile too (issuer with a trailing slash)', async () => {
    const realm = realmJson();
    const authentik = await startTestIdp({ profile: 'authentik', realm });
    try {
      const rp = await oidc.discovery(
        new URL(authentik.issuer),
        'todo-ui',
        undefined,
        oidc.None(),
        {
          execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks],
        },
      );
      expect(rp.serverMetadata().issuer).toBe(authentik.issuer);
      const verifier = oidc.randomPKCECodeVerifier();
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(rp, {
        redirect_uri: REDIRECT,
        scope: 'openid profile',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        nonce,
      });
      const browser = new Browser();
      const first = await browser.follow(url.href, REDIRECT);
      const html = await first.res.text();
      const posted = await browser.fetch(
        formAction(html, first.url),
        form({ username: 'alice', password: 'alice' }),
      );
      const done = await browser.follow(
        new URL(posted.headers.get('location') as string, first.url).href,
        REDIRECT,
      );
      const tokens = await oidc.authorizationCodeGrant(rp, new URL(done.url), {
        pkceCodeVerifier: verifier,
        expectedNonce: nonce,
        idTokenExpected: true,
      });
      const sub = tokens.claims()?.sub as string;
      expect(await oidc.fetchUserInfo(rp, tokens.access_token, sub)).toMatchObject({ sub });
      await oidc.refreshTokenGrant(rp, tokens.refresh_token as string);
    } finally {
      await authentik.close();
    }
  });
});

async function passwordTokens(username: string): Promise<Record<string, string>> {
  const res = await fetch(
    idp.discovery.token_endpoint as string,
    form({ grant_type: 'password', client_id: 'todo-cli', username, password: username }),
  );
  return (await res.json()) as Record<string, string>;
}

function cliConfig(): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(idp.issuer), 'todo-cli', undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks],
  });
}
