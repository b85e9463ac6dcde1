import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Profile } from '@todo-sso/idp';
import {
  compactDecrypt,
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose';
import * as oauth from 'oauth4webapi';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dpopKey } from './dpop-proof.js';
import {
  Browser,
  decodeJwt,
  form,
  formAction,
  hiddenInputs,
  realmJson,
  startTestIdp,
  type TestIdp,
} from './helpers.js';

/** Where the two profiles' discovery documents differ, as the imitated servers' do. */
const PROFILE_FACTS: Readonly<
  Record<Profile, { registration: boolean; dpop: boolean; acrValues: readonly string[] }>
> = {
  keycloak: { registration: true, dpop: true, acrValues: ['pwd', 'mfa'] },
  // Authentik offers no dynamic registration and no DPoP, and writes one fixed acr.
  authentik: {
    registration: false,
    dpop: false,
    acrValues: ['goauthentik.io/providers/oauth2/default'],
  },
};
const PROFILES = Object.keys(PROFILE_FACTS) as Profile[];

/**
 * The OpenID Foundation's certification test plans for an OpenID Provider (the conformance
 * suite's `oidcc-basic-certification-test-plan`, `oidcc-config-certification-test-plan`, the
 * parts of `oidcc-dynamic-certification-test-plan` that apply to what discovery advertises,
 * `oidcc-rp-initiated-logout-certification-test-plan` and
 * `oidcc-backchannel-rp-initiated-logout-certification-test-plan`), each module replayed over
 * HTTP against the dev IdP by independent relying-party code: panva's `openid-client` (v6) and
 * `oauth4webapi` validate what the IdP returns, the login form is filled in by a cookie-jar
 * browser. The test names carry the module names; packages/idp/README.md has the table.
 *
 * The RP is a confidential client registered statically, as the suite's static client is:
 * `client_secret_basic` (and `client_secret_post` for its own module), two redirect URIs, a
 * post-logout redirect URI and a back-channel logout URI.
 */
const RP = 'https://rp.example';
const CALLBACK = `${RP}/cb`;
const CALLBACK_2 = `${RP}/cb2`;
const POST_LOGOUT = `${RP}/post_logout_redirect`;
const CLIENT_ID = 'conformance-rp';
const SECRET = 'conformance-rp-secret';
const SECOND_CLIENT_ID = 'conformance-rp-2';
const SECOND_SECRET = 'conformance-rp-2-secret';
const BCL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

interface LogoutRequest {
  contentType: string | undefined;
  params: URLSearchParams;
}

let idp: TestIdp;
let config: oidc.Configuration;
let logoutServer: Server;
let logoutUrl: string;
const logoutRequests: LogoutRequest[] = [];

beforeAll(async () => {
  logoutServer = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      logoutRequests.push({
        contentType: req.headers['content-type'],
        params: new URLSearchParams(body),
      });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => logoutServer.listen(0, '127.0.0.1', r));
  logoutUrl = `http://127.0.0.1:${(logoutServer.address() as AddressInfo).port}/backchannel_logout`;
});
afterAll(async () => {
  await new Promise<void>((r) => (logoutServer ? logoutServer.close(() => r()) : r()));
});

/** The dev IdP of `profile` with the suite's two static clients in its realm. */
async function startPlanIdp(profile: Profile): Promise<void> {
  const realm = realmJson();
  const client = (clientId: string, secret: string) => ({
    clientId,
    publicClient: false,
    secret,
    standardFlowEnabled: true,
    directAccessGrantsEnabled: false,
    serviceAccountsEnabled: false,
    redirectUris: [CALLBACK, CALLBACK_2],
    webOrigins: [],
    attributes: {
      'post.logout.redirect.uris': POST_LOGOUT,
      'backchannel.logout.url': logoutUrl,
      'backchannel.logout.session.required': 'true',
    },
  });
  realm.clients.push(client(CLIENT_ID, SECRET), client(SECOND_CLIENT_ID, SECOND_SECRET));
  idp = await startTestIdp({ profile, realm });
  config = await oidc.discovery(
    new URL(idp.issuer),
    CLIENT_ID,
    SECRET,
    oidc.ClientSecretBasic(SECRET),
    { execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks] },
  );
}

/** OpenID Connect Discovery 1.0 §4: the issuer without its trailing slash, then the path. */
const discoveryUrl = () => `${idp.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;

const discovery = () => idp.discovery as unknown as Record<string, unknown>;

/** Where an authorization request ended: at the RP (with the callback URL) or on an IdP page. */
type Outcome =
  | { at: 'rp'; url: URL; signedIn: boolean }
  | { at: 'idp'; status: number; html: string; signedIn: boolean };

/**
 * Sends the browser to the authorization endpoint with `params` (GET, or POST when `post`), fills
 * in the login form as `username` when it appears, and follows redirects until the RP.
 */
async function authorize(
  browser: Browser,
  params: Record<string, string | undefined>,
  { username = 'alice', post = false } = {},
): Promise<Outcome> {
  const defined = Object.fromEntries(
    Object.entries({
      client_id: CLIENT_ID,
      response_type: 'code',
      redirect_uri: CALLBACK,
      scope: 'openid',
      ...params,
    }).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const endpoint = idp.discovery.authorization_endpoint as string;
  let first: { url: string; res: Response };
  if (post) {
    const res = await browser.fetch(endpoint, form(defined));
    const location = res.headers.get('location');
    first = location
      ? await browser.follow(new URL(location, endpoint).href, RP)
      : { url: endpoint, res };
    if (location?.startsWith(RP)) first = { url: location, res };
  } else {
    first = await browser.follow(`${endpoint}?${new URLSearchParams(defined)}`, RP);
  }
  if (first.url.startsWith(RP)) return { at: 'rp', url: new URL(first.url), signedIn: false };
  const html = await first.res.text();
  if (first.res.status !== 200 || !html.includes('name="password"')) {
    return { at: 'idp', status: first.res.status, html, signedIn: false };
  }
  const posted = await browser.fetch(
    formAction(html, first.url),
    form({ username, password: username }),
  );
  const location = posted.headers.get('location');
  if (!location)
    return { at: 'idp', status: posted.status, html: await posted.text(), signedIn: true };
  const done = await browser.follow(new URL(location, first.url).href, RP);
  if (done.url.startsWith(RP)) return { at: 'rp', url: new URL(done.url), signedIn: true };
  return { at: 'idp', status: done.res.status, html: await done.res.text(), signedIn: true };
}

function callbackOf(outcome: Outcome): URL {
  if (outcome.at !== 'rp') {
    throw new Error(
      `the authorization request stopped at the IdP (${outcome.status}): ${outcome.html.slice(0, 300)}`,
    );
  }
  return outcome.url;
}

/** The authorization response's parameters, from the query or (response_mode=fragment) the fragment. */
function responseParams(url: URL): URLSearchParams {
  return url.hash ? new URLSearchParams(url.hash.slice(1)) : url.searchParams;
}

/** OpenID Connect Core §3.1.3.6: base64url of the left half of the SHA-256 of the value. */
function leftHalfHash(value: string): string {
  return createHash('sha256').update(value).digest().subarray(0, 16).toString('base64url');
}

/**
 * One full sign-in as the suite's happy path does it: state and nonce, the code redeemed with
 * `client_secret_basic`, the ID token validated by openid-client (signature, iss, aud, azp, exp,
 * iat, nonce, auth_time against max_age).
 */
async function codeFlow(
  browser: Browser,
  params: Record<string, string | undefined> = {},
  options: { username?: string; post?: boolean; nonce?: string | null } = {},
) {
  const state = oidc.randomState();
  const nonce = options.nonce === null ? undefined : (options.nonce ?? oidc.randomNonce());
  const outcome = await authorize(browser, { state, nonce, ...params }, options);
  const callback = callbackOf(outcome);
  const maxAge = params.max_age === undefined ? undefined : Number(params.max_age);
  const tokens = await oidc.authorizationCodeGrant(config, callback, {
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
    ...(maxAge === undefined ? {} : { maxAge }),
  });
  const claims = tokens.claims() as oidc.IDToken;
  return {
    tokens,
    claims,
    callback,
    signedIn: outcome.signedIn,
    code: responseParams(callback).get('code') as string,
  };
}

async function tokenRequest(body: Record<string, string>, clientId = CLIENT_ID, secret = SECRET) {
  const res = await fetch(idp.discovery.token_endpoint as string, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
    },
    body: new URLSearchParams(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

async function userinfo(accessToken: string, how: 'get' | 'post-header' | 'post-body' = 'get') {
  const endpoint = idp.discovery.userinfo_endpoint as string;
  const res =
    how === 'post-body'
      ? await fetch(endpoint, form({ access_token: accessToken }))
      : await fetch(endpoint, {
          method: how === 'get' ? 'GET' : 'POST',
          headers: { authorization: `Bearer ${accessToken}` },
        });
  return res;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until the clock reads whole second `second` (seconds since the epoch) or later:
 * `auth_time` and `max_age` count whole seconds (Core §2, §3.1.2.1), so this is the moment a
 * sign-in gets a later `auth_time`, without a fixed sleep.
 */
async function untilSecond(second: number): Promise<void> {
  while (Date.now() < second * 1000) await sleep(20);
}

type EndOutcome = { at: 'rp'; url: URL } | { at: 'idp'; status: number; html: string };

/**
 * Sends the browser to the end-session endpoint. The confirmation page that submits itself (the
 * hint named this session) is submitted as a browser running its script would; a page asking the
 * person is answered "Sign out" only when `confirm`.
 */
async function endSession(
  browser: Browser,
  params: Record<string, string | undefined>,
  { confirm = false } = {},
): Promise<EndOutcome> {
  const defined = Object.fromEntries(
    Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined),
  );
  let url = `${idp.discovery.end_session_endpoint}?${new URLSearchParams(defined)}`;
  let res = await browser.fetch(url);
  for (let step = 0; step < 10; step++) {
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location') as string, url).href;
      if (url.startsWith(RP)) return { at: 'rp', url: new URL(url) };
      res = await browser.fetch(url);
      continue;
    }
    const html = await res.text();
    const submits = html.includes('document.getElementById("op.logoutForm").submit()');
    if (!html.includes('id="op.logoutForm"') || !(submits || confirm)) {
      return { at: 'idp', status: res.status, html };
    }
    res = await browser.fetch(
      formAction(html, url),
      form({ ...hiddenInputs(html), logout: 'yes' }),
    );
  }
  throw new Error('too many steps at the end-session endpoint');
}

/** Whether the browser's session is gone: prompt=none answers login_required (OIDCRIL §2). */
async function signedOut(browser: Browser): Promise<boolean> {
  const outcome = await authorize(browser, { prompt: 'none', state: 'after' });
  return outcome.at === 'rp' && outcome.url.searchParams.get('error') === 'login_required';
}

/** Anonymous registration (RFC 7591) from this loopback test, as a dynamic-plan client would. */
async function register(metadata: Record<string, unknown>) {
  const res = await fetch(idp.discovery.registration_endpoint as string, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(metadata),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe.each(PROFILES)('the %s profile', (profile) => {
  beforeAll(async () => {
    await startPlanIdp(profile);
  });
  afterAll(async () => {
    await idp?.close();
  });

  describe('oidcc-config-certification-test-plan (discovery)', () => {
    it('oidcc-discovery-endpoint-verification: the document is JSON, its issuer and every endpoint are ours', async () => {
      const res = await fetch(discoveryUrl());
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const d = discovery();
      expect(d.issuer).toBe(idp.issuer);
      // Every endpoint is on the issuer's origin and is served: GET (what a browser or RP
      // fetches) or POST with an empty form (what a client posts), answered by the endpoint
      // itself (2xx, or its own 400/401), never 404, 405 or a server error.
      const endpoints: Record<string, 'GET' | 'POST'> = {
        authorization_endpoint: 'GET',
        token_endpoint: 'POST',
        userinfo_endpoint: 'GET',
        jwks_uri: 'GET',
        end_session_endpoint: 'GET',
        registration_endpoint: 'POST',
        introspection_endpoint: 'POST',
        revocation_endpoint: 'POST',
        device_authorization_endpoint: 'POST',
        pushed_authorization_request_endpoint: 'POST',
      };
      const advertised = Object.keys(d).filter((k) => k.endsWith('_endpoint') || k === 'jwks_uri');
      expect(Object.keys(endpoints)).toEqual(expect.arrayContaining(advertised));
      for (const key of advertised) {
        const url = new URL(String(d[key]));
        expect(url.origin, key).toBe(new URL(idp.issuer).origin);
        const res = await fetch(url, endpoints[key] === 'POST' ? form({}) : {});
        expect([200, 400, 401], `${key} ${res.status}`).toContain(res.status);
        await res.arrayBuffer();
      }
      expect(d.registration_endpoint !== undefined).toBe(PROFILE_FACTS[profile].registration);
      expect(d.response_types_supported).toContain('code');
      expect(d.subject_types_supported).toEqual(['public']);
      expect(d.id_token_signing_alg_values_supported).toContain('RS256');
      expect(d.scopes_supported).toContain('openid');
      expect(d.code_challenge_methods_supported).toEqual(['S256']);
      // oauth4webapi's own checks of the document (RFC 8414 §3.3: the issuer must match).
      const checked = await oauth.processDiscoveryResponse(
        new URL(idp.issuer),
        await fetch(discoveryUrl()),
      );
      expect(checked.issuer).toBe(idp.issuer);
    });

    it('oidcc-discovery-endpoint-verification: the JWKS holds RSA signing keys with kid, alg and no private parts', async () => {
      const res = await fetch(idp.discovery.jwks_uri as string);
      expect(res.status).toBe(200);
      const { keys } = (await res.json()) as { keys: JWK[] };
      const signing = keys.filter((k) => k.use === 'sig');
      expect(signing.length).toBeGreaterThan(0);
      for (const key of keys) {
        expect(key.kid).toEqual(expect.any(String));
        for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'])
          expect(key).not.toHaveProperty(secret);
      }
      for (const key of signing) expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256' });
      expect(new Set(keys.map((k) => k.kid)).size).toBe(keys.length);
    });

    it('advertises request objects and request_uri only as far as they work: neither', () => {
      const d = discovery();
      // OpenID Connect Discovery 1.0 §3: absent means false; both are refused below.
      expect(d.request_parameter_supported ?? false).toBe(false);
      expect(d.request_uri_parameter_supported ?? false).toBe(false);
      expect(d.request_object_signing_alg_values_supported).toBeUndefined();
      expect(d.claims_parameter_supported).toBe(true);
    });

    it('lists ID token encryption only where some client can ask for it, and only algorithms it can use', () => {
      const algs = discovery().id_token_encryption_alg_values_supported as string[] | undefined;
      if (discovery().registration_endpoint === undefined) {
        // Realm clients cannot ask for encrypted ID tokens; only registered ones can.
        expect(algs).toBeUndefined();
        expect(discovery().id_token_encryption_enc_values_supported).toBeUndefined();
        return;
      }
      // Key wrapping with the client secret (dir, A128KW, A256KW) is for clients with a secret;
      // a registered client is public.
      for (const alg of algs ?? []) expect(['RSA-OAEP', 'RSA-OAEP-256', 'ECDH-ES']).toContain(alg);
    });
  });

  describe('oidcc-basic-certification-test-plan', { timeout: 30_000 }, () => {
    it('oidcc-server: code flow with client_secret_basic; state, nonce and iss come back; the ID token is valid', async () => {
      const { tokens, claims, callback } = await codeFlow(new Browser());
      // RFC 9207 §2: the authorization response names the issuer.
      expect(callback.searchParams.get('iss')).toBe(idp.issuer);
      expect(claims.iss).toBe(idp.issuer);
      expect(claims.aud).toBe(CLIENT_ID);
      expect(tokens.token_type.toLowerCase()).toBe('bearer');
      const { header } = decodeJwt(tokens.id_token as string);
      expect(header.alg).toBe('RS256');
      expect(header.kid).toEqual(expect.any(String));
      // Core §3.1.3.6: at_hash is optional in the code flow, but when present it must match.
      if (claims.at_hash !== undefined) {
        expect(claims.at_hash).toBe(leftHalfHash(tokens.access_token));
      }
      // c_hash belongs to hybrid flows (Core §3.3.2.11), which the IdP does not offer.
      expect(claims.c_hash).toBeUndefined();
    });

    it('oidcc-server-client-secret-post: the same with the secret in the body', async () => {
      const browser = new Browser();
      const state = oidc.randomState();
      const callback = callbackOf(await authorize(browser, { state }));
      const res = await fetch(
        idp.discovery.token_endpoint as string,
        form({
          grant_type: 'authorization_code',
          code: callback.searchParams.get('code') as string,
          redirect_uri: CALLBACK,
          client_id: CLIENT_ID,
          client_secret: SECRET,
        }),
      );
      expect(res.status).toBe(200);
      // RFC 6749 §5.1: a response with tokens is not cached (the suite checks no-store).
      expect(res.headers.get('cache-control')).toContain('no-store');
      expect(((await res.json()) as Record<string, string>).id_token).toEqual(expect.any(String));
    });

    it('oidcc-response-type-missing: an error back to the client (invalid_request)', async () => {
      const outcome = await authorize(new Browser(), { response_type: undefined, state: 'rt' });
      const callback = callbackOf(outcome);
      expect(callback.searchParams.get('error')).toBe('invalid_request');
      expect(callback.searchParams.get('state')).toBe('rt');
    });

    it('oidcc-idtoken-signature: the ID token verifies against the published JWKS', async () => {
      const { tokens } = await codeFlow(new Browser());
      const jwks = createRemoteJWKSet(new URL(idp.discovery.jwks_uri as string));
      const { payload, protectedHeader } = await jwtVerify(tokens.id_token as string, jwks, {
        issuer: idp.issuer,
        audience: CLIENT_ID,
      });
      expect(protectedHeader.alg).toBe('RS256');
      expect(payload.sub).toEqual(expect.any(String));
    });

    it('oidcc-userinfo-get / -post-header / -post-body: the same claims, sub as in the ID token', async () => {
      const { tokens, claims } = await codeFlow(new Browser());
      const viaClient = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      expect(viaClient.sub).toBe(claims.sub);
      for (const how of ['get', 'post-header', 'post-body'] as const) {
        const res = await userinfo(tokens.access_token, how);
        expect(res.status, how).toBe(200);
        expect(res.headers.get('content-type'), how).toMatch(/^application\/json/);
        expect(await res.json(), how).toEqual(viaClient);
      }
    });

    it('oidcc-ensure-request-without-nonce-succeeds-for-code-flow', async () => {
      const { claims } = await codeFlow(new Browser(), {}, { nonce: null });
      expect(claims.nonce).toBeUndefined();
    });

    it('nonce is echoed exactly in the ID token, after a refresh too it is not invented', async () => {
      const nonce = `n-${randomUUID()}`;
      const { claims, tokens } = await codeFlow(new Browser(), {}, { nonce });
      expect(claims.nonce).toBe(nonce);
      const refreshed = await tokenRequest({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token as string,
      });
      const after = decodeJwt(refreshed.body.id_token as string).payload;
      expect(after.nonce === undefined || after.nonce === nonce).toBe(true);
    });

    it('oidcc-scope-profile / -email / -all and other scope orders: the claims of the scopes, address and phone ignored (not offered)', async () => {
      for (const scope of [
        'openid profile',
        'openid email',
        'email profile openid address phone',
      ]) {
        const { tokens, claims } = await codeFlow(new Browser(), { scope });
        const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
        expect(info.name, scope).toBe('Alice Anderson');
        expect(info.email, scope).toBe('alice@example.com');
        expect(info.address, scope).toBeUndefined();
        expect(info.phone_number, scope).toBeUndefined();
        expect(tokens.scope?.split(' ').sort(), scope).toEqual(['email', 'openid', 'profile']);
      }
    });

    it('oidcc-display-page / -popup, oidcc-login-hint, oidcc-ui-locales, oidcc-claims-locales, oidcc-ensure-request-with-acr-values-succeeds, oidcc-ensure-request-with-unknown-parameter-succeeds', async () => {
      const cases: Record<string, string>[] = [
        { display: 'page' },
        { display: 'popup' },
        { login_hint: 'alice' },
        { ui_locales: 'se' },
        { claims_locales: 'se' },
        { acr_values: '1 2' },
        { extra: 'foobar' },
      ];
      for (const params of cases) {
        const { claims } = await codeFlow(new Browser(), params);
        expect(claims.sub, JSON.stringify(params)).toEqual(expect.any(String));
      }
    });

    it('oidcc-prompt-login: a second sign-in is asked for, and auth_time moves on', async () => {
      const browser = new Browser();
      const first = await codeFlow(browser);
      await untilSecond((first.claims.auth_time as number) + 1);
      const second = await codeFlow(browser, { prompt: 'login' });
      expect(second.signedIn).toBe(true);
      expect(second.claims.auth_time).toBeGreaterThan(first.claims.auth_time as number);
      expect(second.claims.sub).toBe(first.claims.sub);
    });

    it('oidcc-prompt-none-not-logged-in: login_required back at the client, with state', async () => {
      const callback = callbackOf(await authorize(new Browser(), { prompt: 'none', state: 'pn' }));
      // OpenID Connect Core §3.1.2.6.
      expect(callback.searchParams.get('error')).toBe('login_required');
      expect(callback.searchParams.get('state')).toBe('pn');
      expect(callback.searchParams.get('code')).toBeNull();
    });

    it('prompt=none errors: another person named by id_token_hint, or a higher level asked of the session', async () => {
      const bobs = await codeFlow(new Browser(), {}, { username: 'bob' });
      const browser = new Browser();
      await codeFlow(browser);
      const other = callbackOf(
        await authorize(browser, {
          prompt: 'none',
          state: 'h',
          id_token_hint: bobs.tokens.id_token as string,
        }),
      );
      expect(other.searchParams.get('error')).toBe('login_required');
      expect(other.searchParams.get('code')).toBeNull();
      // Core §3.1.2.2: a sub asked for by value that is not the session's is not answered.
      const asked = callbackOf(
        await authorize(browser, {
          prompt: 'none',
          state: 's',
          claims: JSON.stringify({ id_token: { sub: { value: bobs.claims.sub } } }),
        }),
      );
      expect(asked.searchParams.get('error')).toBe('login_required');
      const higher = PROFILE_FACTS[profile].acrValues.at(-1) as string;
      const stepUp = callbackOf(
        await authorize(browser, { prompt: 'none', state: 'u', acr_values: higher }),
      );
      if (PROFILE_FACTS[profile].acrValues.length > 1) {
        expect(stepUp.searchParams.get('error')).toBe('login_required');
      } else {
        expect(stepUp.searchParams.get('code')).toEqual(expect.any(String));
      }
    });

    it('oidcc-prompt-none-logged-in: a code without any page', async () => {
      const browser = new Browser();
      const first = await codeFlow(browser);
      const second = await codeFlow(browser, { prompt: 'none' });
      expect(second.signedIn).toBe(false);
      expect(second.claims.sub).toBe(first.claims.sub);
    });

    it('oidcc-max-age-1: more than 1 s later, max_age=1 asks again and the new auth_time is later and recent', async () => {
      const browser = new Browser();
      const first = await codeFlow(browser);
      // More than max_age whole seconds since auth_time (oidc-provider: now - auth_time > 1).
      await untilSecond((first.claims.auth_time as number) + 2);
      const second = await codeFlow(browser, { max_age: '1' });
      expect(second.signedIn).toBe(true);
      expect(second.claims.auth_time).toBeGreaterThan(first.claims.auth_time as number);
      expect(Math.abs(Date.now() / 1000 - (second.claims.auth_time as number))).toBeLessThan(10);
    });

    it('oidcc-max-age-10000: no second sign-in, auth_time present and unchanged', async () => {
      const browser = new Browser();
      const first = await codeFlow(browser);
      const second = await codeFlow(browser, { max_age: '10000' });
      expect(second.signedIn).toBe(false);
      expect(second.claims.auth_time).toBe(first.claims.auth_time);
    });

    it('oidcc-id-token-hint: prompt=none with the first ID token as hint, same sub and auth_time', async () => {
      const browser = new Browser();
      const first = await codeFlow(browser);
      const second = await codeFlow(browser, {
        prompt: 'none',
        id_token_hint: first.tokens.id_token as string,
      });
      expect(second.signedIn).toBe(false);
      expect(second.claims.sub).toBe(first.claims.sub);
      expect(second.claims.auth_time).toBe(first.claims.auth_time);
    });

    it('sub is stable across separate sessions of the same person (public subject type)', async () => {
      const one = await codeFlow(new Browser());
      const two = await codeFlow(new Browser());
      expect(two.claims.sub).toBe(one.claims.sub);
      expect(two.claims.sid).not.toBe(one.claims.sid);
      const bob = await codeFlow(new Browser(), {}, { username: 'bob' });
      expect(bob.claims.sub).not.toBe(one.claims.sub);
    });

    it('oidcc-codereuse / oidcc-codereuse-30seconds: a second redemption is invalid_grant and revokes what the first issued (RFC 6749 §4.1.2)', async () => {
      const { tokens, code } = await codeFlow(new Browser());
      expect((await userinfo(tokens.access_token)).status).toBe(200);
      const again = await tokenRequest({
        grant_type: 'authorization_code',
        code,
        redirect_uri: CALLBACK,
      });
      expect(again.status).toBe(400);
      expect(again.body.error).toBe('invalid_grant');
      // The suite waits 30 s first; what it checks is the same: the earlier tokens are dead.
      expect((await userinfo(tokens.access_token)).status).toBe(401);
      const refreshed = await tokenRequest({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token as string,
      });
      expect(refreshed.body.error).toBe('invalid_grant');
      const introspected = await fetch(
        idp.discovery.introspection_endpoint as string,
        form({
          token: tokens.access_token,
          client_id: 'todo-api',
          client_secret: 'todo-api-secret',
        }),
      );
      expect(await introspected.json()).toEqual({ active: false });
    });

    it('oidcc-ensure-registered-redirect-uri: an unregistered redirect URI gets an error page, no redirect', async () => {
      const outcome = await authorize(new Browser(), {
        redirect_uri: `${RP}/not-registered`,
        state: 'x',
      });
      expect(outcome.at).toBe('idp');
      if (outcome.at === 'idp') {
        expect(outcome.status).toBe(400);
        expect(outcome.html).toContain('invalid_redirect_uri');
      }
    });

    it('oidcc-ensure-redirect-uri-in-authorization-request: none given, two registered: an error page', async () => {
      const outcome = await authorize(new Browser(), { redirect_uri: undefined, state: 'x' });
      expect(outcome.at).toBe('idp');
      if (outcome.at === 'idp') expect(outcome.status).toBe(400);
    });

    it('oidcc-ensure-post-request-succeeds: a form-posted authorization request', async () => {
      const { claims } = await codeFlow(new Browser(), {}, { post: true });
      expect(claims.sub).toEqual(expect.any(String));
    });

    it('oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported: request_not_supported', async () => {
      const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
        JSON.stringify({
          client_id: CLIENT_ID,
          response_type: 'code',
          redirect_uri: CALLBACK,
          scope: 'openid',
          state: 'ro',
        }),
      ).toString('base64url')}.`;
      const callback = callbackOf(
        await authorize(new Browser(), { request: unsigned, state: 'ro' }),
      );
      // OpenID Connect Core §3.1.2.6 / §6.1.
      expect(callback.searchParams.get('error')).toBe('request_not_supported');
    });

    it('oidcc-ensure-request-object-with-redirect-uri: the request object is not taken, even naming another registered URI', async () => {
      const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
        JSON.stringify({
          client_id: CLIENT_ID,
          response_type: 'code',
          redirect_uri: CALLBACK_2,
          scope: 'openid',
        }),
      ).toString('base64url')}.`;
      const callback = callbackOf(
        await authorize(new Browser(), { request: unsigned, state: 'ro2' }),
      );
      expect(callback.origin + callback.pathname).toBe(CALLBACK);
      expect(callback.searchParams.get('error')).toBe('request_not_supported');
    });

    it('oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported: request_uri_not_supported', async () => {
      const callback = callbackOf(
        await authorize(new Browser(), { request_uri: `${RP}/request.jwt`, state: 'ru' }),
      );
      expect(callback.searchParams.get('error')).toBe('request_uri_not_supported');
    });

    it('oidcc-claims-essential: name asked as essential in userinfo (scope openid only) is returned there', async () => {
      const { tokens, claims } = await codeFlow(new Browser(), {
        claims: JSON.stringify({ userinfo: { name: { essential: true } } }),
      });
      const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      expect(info.name).toBe('Alice Anderson');
      for (const how of ['get', 'post-body'] as const) {
        expect(
          ((await (await userinfo(tokens.access_token, how)).json()) as Record<string, unknown>)
            .name,
        ).toBe('Alice Anderson');
      }
    });

    it('claims parameter: an ID token claim asked as essential is in the ID token, signed in or not', async () => {
      const browser = new Browser();
      const request = JSON.stringify({
        id_token: { email: { essential: true }, auth_time: { essential: true } },
      });
      const fresh = await codeFlow(browser, { claims: request });
      expect(fresh.signedIn).toBe(true);
      expect(fresh.claims.email).toBe('alice@example.com');
      expect(fresh.claims.auth_time).toEqual(expect.any(Number));
      const again = await codeFlow(browser, {
        claims: JSON.stringify({
          id_token: { preferred_username: null },
          userinfo: { email: null },
        }),
      });
      expect(again.signedIn).toBe(false);
      expect(again.claims.preferred_username).toBe('alice');
    });

    it('oidcc-refresh-token: refresh works, keeps iss/sub/aud/auth_time, and is bound to its client', async () => {
      const { tokens, claims } = await codeFlow(new Browser());
      expect(tokens.refresh_token).toMatch(/^[\x20-\x7e]+$/);
      // Another client presenting it: invalid_grant (RFC 6749 §6: bound to the client).
      const stolen = await tokenRequest(
        { grant_type: 'refresh_token', refresh_token: tokens.refresh_token as string },
        SECOND_CLIENT_ID,
        SECOND_SECRET,
      );
      expect(stolen.status).toBe(400);
      expect(stolen.body.error).toBe('invalid_grant');
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
      const after = refreshed.claims() as oidc.IDToken;
      expect(after.iss).toBe(claims.iss);
      expect(after.sub).toBe(claims.sub);
      expect(after.aud).toBe(claims.aud);
      expect(after.auth_time).toBe(claims.auth_time);
      if (after.at_hash !== undefined)
        expect(after.at_hash).toBe(leftHalfHash(refreshed.access_token));
      expect((await userinfo(refreshed.access_token)).status).toBe(200);
    });

    it('oidcc-ensure-request-with-valid-pkce-succeeds', async () => {
      const verifier = oidc.randomPKCECodeVerifier();
      const challenge = await oidc.calculatePKCECodeChallenge(verifier);
      const state = oidc.randomState();
      const callback = callbackOf(
        await authorize(new Browser(), {
          state,
          code_challenge: challenge,
          code_challenge_method: 'S256',
        }),
      );
      const tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      expect(tokens.id_token).toEqual(expect.any(String));
    });

    it('oidcc-formpost-basic-certification-test-plan (oidcc-server, oidcc-prompt-none-not-logged-in): the response as a form post, validated by openid-client', async () => {
      const browser = new Browser();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const page = await authorize(browser, { state, nonce, response_mode: 'form_post' });
      expect(page.at).toBe('idp');
      const html = page.at === 'idp' ? page.html : '';
      expect(html).toContain(`action="${CALLBACK}"`);
      // What the page's script posts to the RP (OAuth 2.0 Form Post Response Mode §2).
      const posted = new Request(CALLBACK, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(hiddenInputs(html)),
      });
      const tokens = await oidc.authorizationCodeGrant(config, posted, {
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      });
      expect(tokens.claims()?.nonce).toBe(nonce);
      const error = await authorize(new Browser(), {
        state: 'fe',
        prompt: 'none',
        response_mode: 'form_post',
      });
      expect(error.at).toBe('idp');
      const fields = hiddenInputs(error.at === 'idp' ? error.html : '');
      expect(fields).toMatchObject({ error: 'login_required', state: 'fe', iss: idp.issuer });
    });

    it('response_mode form_post and fragment, both advertised, deliver the code', async () => {
      const browser = new Browser();
      await codeFlow(browser);
      const fragment = callbackOf(
        await authorize(browser, { state: 'f', response_mode: 'fragment' }),
      );
      expect(responseParams(fragment).get('code')).toEqual(expect.any(String));
      expect(responseParams(fragment).get('state')).toBe('f');
      const posted = await authorize(browser, { state: 'fp', response_mode: 'form_post' });
      expect(posted.at).toBe('idp');
      if (posted.at === 'idp') {
        expect(posted.status).toBe(200);
        expect(posted.html).toContain(`action="${CALLBACK}"`);
        expect(hiddenInputs(posted.html).state).toBe('fp');
        expect(hiddenInputs(posted.html).code).toEqual(expect.any(String));
      }
    });
  });

  describe('the rest of discovery, each claim tried', { timeout: 30_000 }, () => {
    it('every advertised DPoP proof algorithm is accepted at the token endpoint (RFC 9449 §5.1)', async () => {
      const algs = (discovery().dpop_signing_alg_values_supported as string[] | undefined) ?? [];
      expect(algs.length > 0).toBe(PROFILE_FACTS[profile].dpop);
      // Six of them are RSA keys, generated in Node's thread pool: all at once, not one after the
      // other (the eleven took 16 s one by one and 5 s at once on two cores at load average 16).
      const keys = await Promise.all(algs.map((alg) => dpopKey(alg)));
      for (const [i, alg] of algs.entries()) {
        const key = keys[i] as Awaited<ReturnType<typeof dpopKey>>;
        const res = await fetch(idp.discovery.token_endpoint as string, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            dpop: await key.proof(idp.discovery.token_endpoint as string),
          },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: 'todo-api',
            client_secret: 'todo-api-secret',
          }),
        });
        const body = (await res.json()) as Record<string, string>;
        expect(res.status, `${alg} ${JSON.stringify(body)}`).toBe(200);
        expect(body.token_type, alg).toBe('DPoP');
        expect((decodeJwt(body.access_token as string).payload.cnf as { jkt: string }).jkt).toBe(
          key.jkt,
        );
      }
    });

    it('every advertised grant type is granted to some client', async () => {
      const grants = discovery().grant_types_supported as string[];
      const tried: Record<string, () => Promise<Response>> = {
        authorization_code: async () => {
          const callback = callbackOf(await authorize(new Browser(), { state: 'g' }));
          const code = callback.searchParams.get('code') as string;
          return fetch(
            idp.discovery.token_endpoint as string,
            form({
              grant_type: 'authorization_code',
              code,
              redirect_uri: CALLBACK,
              client_id: CLIENT_ID,
              client_secret: SECRET,
            }),
          );
        },
        refresh_token: async () => {
          const { tokens } = await codeFlow(new Browser());
          return fetch(
            idp.discovery.token_endpoint as string,
            form({
              grant_type: 'refresh_token',
              refresh_token: tokens.refresh_token as string,
              client_id: CLIENT_ID,
              client_secret: SECRET,
            }),
          );
        },
        client_credentials: () =>
          fetch(
            idp.discovery.token_endpoint as string,
            form({
              grant_type: 'client_credentials',
              client_id: 'todo-api',
              client_secret: 'todo-api-secret',
            }),
          ),
        password: () =>
          fetch(
            idp.discovery.token_endpoint as string,
            form({
              grant_type: 'password',
              client_id: 'todo-cli',
              username: 'bob',
              password: 'bob',
            }),
          ),
        // The grant's first step (RFC 8628 §3.1); the whole flow is in device-flow.test.ts.
        'urn:ietf:params:oauth:grant-type:device_code': () =>
          fetch(
            idp.discovery.device_authorization_endpoint as string,
            form({ client_id: 'todo-cli', scope: 'openid' }),
          ),
      };
      expect(Object.keys(tried).sort()).toEqual([...grants].sort());
      for (const grant of grants) {
        const res = await (tried[grant] as () => Promise<Response>)();
        expect(res.status, grant).toBe(200);
        await res.arrayBuffer();
      }
    });

    it('pushed authorization requests (RFC 9126), advertised, work for a confidential client', async () => {
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const pushed = await fetch(idp.discovery.pushed_authorization_request_endpoint as string, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${SECRET}`).toString('base64')}`,
        },
        // RFC 9126 §2.1: client_id is required here as in any authorization request.
        body: new URLSearchParams({
          client_id: CLIENT_ID,
          response_type: 'code',
          redirect_uri: CALLBACK,
          scope: 'openid',
          state,
          nonce,
        }),
      });
      expect(pushed.status, await pushed.clone().text()).toBe(201);
      const { request_uri } = (await pushed.json()) as { request_uri: string };
      const callback = callbackOf(
        await authorize(new Browser(), {
          request_uri,
          response_type: undefined,
          redirect_uri: undefined,
          scope: undefined,
        }),
      );
      const tokens = await oidc.authorizationCodeGrant(config, callback, {
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      });
      expect(tokens.claims()?.nonce).toBe(nonce);
    });

    it('PKCE: only S256 is listed, and plain is refused', async () => {
      expect(discovery().code_challenge_methods_supported).toEqual(['S256']);
      const callback = callbackOf(
        await authorize(new Browser(), {
          state: 'plain',
          code_challenge: 'a'.repeat(43),
          code_challenge_method: 'plain',
        }),
      );
      expect(callback.searchParams.get('error')).toBe('invalid_request');
    });

    it('acr_values_supported: the acr an ID token carries is one listed', async () => {
      const listed = discovery().acr_values_supported as string[];
      // Keycloak: the realm's level names; Authentik: its one fixed value.
      expect(listed).toEqual(PROFILE_FACTS[profile].acrValues);
      for (const acr of listed) {
        if (acr === 'mfa') continue; // asks for the OTP step: step-up.test.ts
        const { claims } = await codeFlow(new Browser(), { acr_values: acr });
        expect(claims.acr).toBe(acr);
      }
    });

    it('offline_access, listed, with prompt=consent as the refresh module asks: a refresh token that works', async () => {
      expect(discovery().scopes_supported).toContain('offline_access');
      const { tokens } = await codeFlow(new Browser(), {
        scope: 'openid offline_access',
        prompt: 'consent',
      });
      expect(tokens.scope?.split(' ')).toContain('offline_access');
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
      expect(refreshed.access_token).toEqual(expect.any(String));
    });

    it('authorization_response_iss_parameter_supported: iss on error responses too (RFC 9207 §2)', async () => {
      expect(discovery().authorization_response_iss_parameter_supported).toBe(true);
      const callback = callbackOf(await authorize(new Browser(), { prompt: 'none', state: 'e' }));
      expect(callback.searchParams.get('error')).toBe('login_required');
      expect(callback.searchParams.get('iss')).toBe(idp.issuer);
    });
  });

  describe('oidcc-rp-initiated-logout-certification-test-plan', { timeout: 30_000 }, () => {
    it('oidcc-rp-initiated-logout-discovery-endpoint-verification: end_session_endpoint is ours', () => {
      const endpoint = new URL(idp.discovery.end_session_endpoint as string);
      expect(endpoint.origin).toBe(new URL(idp.issuer).origin);
    });

    it('oidcc-rp-initiated-logout: back to post_logout_redirect_uri with state and nothing else; the session is gone', async () => {
      const browser = new Browser();
      const { tokens } = await codeFlow(browser);
      const url = oidc.buildEndSessionUrl(config, {
        id_token_hint: tokens.id_token as string,
        post_logout_redirect_uri: POST_LOGOUT,
        state: 'ls-1',
      });
      const outcome = await endSession(browser, Object.fromEntries(url.searchParams));
      expect(outcome.at).toBe('rp');
      if (outcome.at === 'rp') {
        expect(outcome.url.origin + outcome.url.pathname).toBe(POST_LOGOUT);
        expect([...outcome.url.searchParams.keys()]).toEqual(['state']);
        expect(outcome.url.searchParams.get('state')).toBe('ls-1');
      }
      expect(await signedOut(browser)).toBe(true);
    });

    it('oidcc-rp-initiated-logout-no-state: back to post_logout_redirect_uri with no state', async () => {
      const browser = new Browser();
      const { tokens } = await codeFlow(browser);
      const outcome = await endSession(browser, {
        id_token_hint: tokens.id_token as string,
        post_logout_redirect_uri: POST_LOGOUT,
      });
      expect(outcome.at).toBe('rp');
      if (outcome.at === 'rp') expect(outcome.url.href).toBe(POST_LOGOUT);
      expect(await signedOut(browser)).toBe(true);
    });

    it('oidcc-rp-initiated-logout-no-post-logout-redirect-uri and -only-state: signed out, the signed-out page, no redirect', async () => {
      for (const state of [undefined, 'only-state']) {
        const browser = new Browser();
        const { tokens } = await codeFlow(browser);
        const outcome = await endSession(browser, {
          id_token_hint: tokens.id_token as string,
          state,
        });
        expect(outcome.at).toBe('idp');
        if (outcome.at === 'idp') expect(outcome.html).toContain('You are signed out.');
        expect(await signedOut(browser)).toBe(true);
      }
    });

    it('oidcc-rp-initiated-logout-no-params: the person is asked, then signed out', async () => {
      const browser = new Browser();
      await codeFlow(browser);
      const asked = await endSession(browser, {});
      expect(asked.at).toBe('idp');
      if (asked.at === 'idp') expect(asked.html).toContain('Do you want to sign out?');
      const outcome = await endSession(browser, {}, { confirm: true });
      expect(outcome.at).toBe('idp');
      if (outcome.at === 'idp') expect(outcome.html).toContain('You are signed out.');
      expect(await signedOut(browser)).toBe(true);
    });

    it('oidcc-rp-initiated-logout-bad-post-logout-redirect-uri and -query-added: an error page, no redirect, still signed in', async () => {
      for (const target of [`${RP}/elsewhere`, `${POST_LOGOUT}?foo=bar`]) {
        const browser = new Browser();
        const { tokens } = await codeFlow(browser);
        const outcome = await endSession(browser, {
          id_token_hint: tokens.id_token as string,
          post_logout_redirect_uri: target,
          state: 's',
        });
        expect(outcome.at, target).toBe('idp');
        if (outcome.at === 'idp') expect(outcome.status, target).toBe(400);
        expect(await signedOut(browser), target).toBe(false);
      }
    });

    it('client_id in place of id_token_hint (RP-Initiated Logout 1.0 §2): the person is asked, then back at the registered URI with state', async () => {
      const browser = new Browser();
      await codeFlow(browser);
      const params = { client_id: CLIENT_ID, post_logout_redirect_uri: POST_LOGOUT, state: 'cid' };
      const asked = await endSession(browser, params);
      expect(asked.at).toBe('idp');
      if (asked.at === 'idp') expect(asked.html).toContain('Do you want to sign out?');
      const outcome = await endSession(browser, params, { confirm: true });
      expect(outcome.at).toBe('rp');
      if (outcome.at === 'rp') expect(outcome.url.href).toBe(`${POST_LOGOUT}?state=cid`);
      expect(await signedOut(browser)).toBe(true);
    });

    it('oidcc-rp-initiated-logout-no-id-token-hint: post_logout_redirect_uri alone is not followed; the person is asked', async () => {
      const browser = new Browser();
      await codeFlow(browser);
      const params = { post_logout_redirect_uri: POST_LOGOUT, state: 's' };
      // RP-Initiated Logout 1.0 §3: without id_token_hint or client_id the URI cannot be checked
      // against a client, so it is dropped; the person confirms, and stays at the IdP.
      const asked = await endSession(browser, params);
      expect(asked.at).toBe('idp');
      if (asked.at === 'idp') expect(asked.html).toContain('Do you want to sign out?');
      const outcome = await endSession(browser, params, { confirm: true });
      expect(outcome.at).toBe('idp');
      if (outcome.at === 'idp') expect(outcome.html).toContain('You are signed out.');
    });

    it('oidcc-rp-initiated-logout-modified-id-token-hint (alg none) and -bad-id-token-hint (signed by someone else): an error page, no redirect', async () => {
      const browser = new Browser();
      const { tokens } = await codeFlow(browser);
      const [, payload] = (tokens.id_token as string).split('.');
      const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
      const { privateKey } = await generateKeyPair('RS256');
      const forged = await new SignJWT(decodeJwt(tokens.id_token as string).payload)
        .setProtectedHeader({
          alg: 'RS256',
          kid: decodeJwt(tokens.id_token as string).header.kid as string,
        })
        .sign(privateKey);
      for (const hint of [unsigned, forged]) {
        const outcome = await endSession(browser, {
          id_token_hint: hint,
          post_logout_redirect_uri: POST_LOGOUT,
          state: 's',
        });
        expect(outcome.at).toBe('idp');
        if (outcome.at === 'idp') expect(outcome.status).toBe(400);
      }
      expect(await signedOut(browser)).toBe(false);
    });
  });

  describe('oidcc-backchannel-rp-initiated-logout-certification-test-plan', {
    timeout: 30_000,
  }, () => {
    it('oidcc-backchannel-logout-discovery-endpoint-verification', () => {
      expect(discovery().backchannel_logout_supported).toBe(true);
      expect(discovery().backchannel_logout_session_supported).toBe(true);
      expect(discovery().end_session_endpoint).toEqual(expect.any(String));
    });

    it('oidcc-backchannel-rp-initiated-logout: one logout token of the right shape (Back-Channel Logout 1.0 §2.4, §2.5)', async () => {
      const browser = new Browser();
      const { tokens, claims } = await codeFlow(browser);
      logoutRequests.length = 0;
      const outcome = await endSession(browser, {
        id_token_hint: tokens.id_token as string,
        post_logout_redirect_uri: POST_LOGOUT,
        state: 'bcl',
      });
      expect(outcome.at).toBe('rp');
      const deadline = Date.now() + 5000;
      while (logoutRequests.length === 0 && Date.now() < deadline) await sleep(25);
      expect(logoutRequests).toHaveLength(1);
      const [request] = logoutRequests as [LogoutRequest];
      // §2.5: a form-encoded POST with the logout_token parameter, and nothing else.
      expect(request.contentType).toMatch(/^application\/x-www-form-urlencoded/);
      expect([...request.params.keys()]).toEqual(['logout_token']);
      const token = request.params.get('logout_token') as string;
      const header = decodeProtectedHeader(token);
      // §2.4: explicitly typed, so it cannot be mistaken for an ID token.
      expect(header.typ).toBe('logout+jwt');
      const jwks = createLocalJWKSet(
        (await (await fetch(idp.discovery.jwks_uri as string)).json()) as { keys: JWK[] },
      );
      const { payload } = await jwtVerify(token, jwks, {
        issuer: idp.issuer,
        audience: CLIENT_ID,
        typ: 'logout+jwt',
        algorithms: ['RS256'],
      });
      expect(payload.iat).toEqual(expect.any(Number));
      expect(Math.abs(Date.now() / 1000 - (payload.iat as number))).toBeLessThan(30);
      expect(payload.exp).toBeGreaterThan(payload.iat as number);
      expect(payload.jti).toEqual(expect.any(String));
      expect(payload.events).toEqual({ [BCL_EVENT]: {} });
      expect(payload.sub).toBe(claims.sub);
      expect(payload.sid).toBe(claims.sid);
      expect(payload).not.toHaveProperty('nonce');
      expect(await signedOut(browser)).toBe(true);
    });

    it('a session of two clients: one logout token each, its own aud and sid', async () => {
      const browser = new Browser();
      const first = await codeFlow(browser);
      const state = oidc.randomState();
      const second = callbackOf(await authorize(browser, { client_id: SECOND_CLIENT_ID, state }));
      expect(second.searchParams.get('code')).toEqual(expect.any(String));
      const redeemed = await tokenRequest(
        {
          grant_type: 'authorization_code',
          code: second.searchParams.get('code') as string,
          redirect_uri: CALLBACK,
        },
        SECOND_CLIENT_ID,
        SECOND_SECRET,
      );
      const secondSid = decodeJwt(redeemed.body.id_token as string).payload.sid;
      logoutRequests.length = 0;
      const outcome = await endSession(browser, {
        id_token_hint: first.tokens.id_token as string,
        post_logout_redirect_uri: POST_LOGOUT,
      });
      expect(outcome.at).toBe('rp');
      const deadline = Date.now() + 5000;
      while (logoutRequests.length < 2 && Date.now() < deadline) await sleep(25);
      const payloads = logoutRequests.map(
        (r) => decodeJwt(r.params.get('logout_token') as string).payload,
      );
      expect(payloads.map((p) => [p.aud, p.sid]).sort()).toEqual(
        [
          [CLIENT_ID, first.claims.sid],
          [SECOND_CLIENT_ID, secondSid],
        ].sort(),
      );
      expect(new Set(payloads.map((p) => p.jti)).size).toBe(2);
    });
  });

  // The Authentik profile has no registration endpoint (Authentik offers none).
  describe.runIf(PROFILE_FACTS[profile].registration)(
    'oidcc-dynamic-certification-test-plan, where it applies',
    { timeout: 30_000 },
    () => {
      const LOOPBACK = 'http://127.0.0.1:4599';

      it('oidcc-registration-logo-uri / -policy-uri / -tos-uri: registered and read back', async () => {
        const { status, body } = await register({
          redirect_uris: [`${LOOPBACK}/cb`],
          logo_uri: `${LOOPBACK}/logo.png`,
          policy_uri: `${LOOPBACK}/policy`,
          tos_uri: `${LOOPBACK}/tos`,
        });
        expect(status).toBe(201);
        expect(body).toMatchObject({
          logo_uri: `${LOOPBACK}/logo.png`,
          policy_uri: `${LOOPBACK}/policy`,
          tos_uri: `${LOOPBACK}/tos`,
        });
      });

      it('oidcc-redirect-uri-query-ok / -query-mismatch / -query-added: a registered query must match exactly', async () => {
        const registered = `${LOOPBACK}/cb?foo=bar`;
        const { status, body } = await register({ redirect_uris: [registered] });
        expect(status).toBe(201);
        const clientId = body.client_id as string;
        const verifier = oidc.randomPKCECodeVerifier();
        const challenge = await oidc.calculatePKCECodeChallenge(verifier);
        const request = (redirectUri: string) =>
          `${idp.discovery.authorization_endpoint}?${new URLSearchParams({
            client_id: clientId,
            response_type: 'code',
            redirect_uri: redirectUri,
            scope: 'openid',
            state: 'q',
            code_challenge: challenge,
            code_challenge_method: 'S256',
          })}`;
        // RFC 6749 §3.1.2.3 / OpenID Connect Core §3.1.2.1: simple string comparison.
        for (const other of [`${LOOPBACK}/cb?foo=baz`, `${registered}&bar=foo`]) {
          const res = await fetch(request(other), { redirect: 'manual' });
          expect(res.status, other).toBe(400);
          expect(await res.text(), other).toContain('invalid_redirect_uri');
        }
        const browser = new Browser();
        const first = await browser.follow(request(registered), LOOPBACK);
        const html = await first.res.text();
        const posted = await browser.fetch(
          formAction(html, first.url),
          form({ username: 'alice', password: 'alice' }),
        );
        const consent = await browser.follow(
          new URL(posted.headers.get('location') as string, first.url).href,
          LOOPBACK,
        );
        const page = await consent.res.text();
        const accepted = await browser.fetch(
          formAction(page, consent.url),
          form({ accept: 'yes' }),
        );
        const done = await browser.follow(
          new URL(accepted.headers.get('location') as string, consent.url).href,
          LOOPBACK,
        );
        const callback = new URL(done.url);
        // The registered query is kept, and the response parameters added to it.
        expect(callback.searchParams.get('foo')).toBe('bar');
        expect(callback.searchParams.get('state')).toBe('q');
        const res = await fetch(
          idp.discovery.token_endpoint as string,
          form({
            grant_type: 'authorization_code',
            code: callback.searchParams.get('code') as string,
            redirect_uri: registered,
            client_id: clientId,
            code_verifier: verifier,
          }),
        );
        expect(res.status).toBe(200);
      });

      it('prompt=none where consent is missing: an error, no code (OpenID Connect Core §3.1.2.6)', async () => {
        const redirect = `${LOOPBACK}/cb`;
        const { body } = await register({ redirect_uris: [redirect] });
        const browser = new Browser();
        await codeFlow(browser);
        const res = await browser.follow(
          `${idp.discovery.authorization_endpoint}?${new URLSearchParams({
            client_id: body.client_id as string,
            response_type: 'code',
            redirect_uri: redirect,
            scope: 'openid',
            state: 'pc',
            prompt: 'none',
            code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
            code_challenge_method: 'S256',
          })}`,
          redirect,
        );
        const callback = new URL(res.url);
        // A registered client is a native one (RFC 8252), which oidc-provider never signs in
        // silently: interaction_required; consent_required would say the same less broadly.
        expect(['consent_required', 'interaction_required']).toContain(
          callback.searchParams.get('error'),
        );
        expect(callback.searchParams.get('code')).toBeNull();
        expect(callback.searchParams.get('state')).toBe('pc');
      });

      it('oidcc-redirect-uri-regfrag: a redirect URI with a fragment is refused (RFC 6749 §3.1.2)', async () => {
        const { status, body } = await register({ redirect_uris: [`${LOOPBACK}/cb#frag`] });
        expect(status).toBe(400);
        expect(body.error).toBe('invalid_redirect_uri');
      });

      it('oidcc-idtoken-unsigned and oidcc-userinfo-rs256: what discovery does not list cannot be registered', async () => {
        expect(discovery().id_token_signing_alg_values_supported).not.toContain('none');
        const unsigned = await register({
          redirect_uris: [`${LOOPBACK}/cb`],
          id_token_signed_response_alg: 'none',
        });
        expect(unsigned.status).toBe(400);
        expect(discovery().userinfo_signing_alg_values_supported).toBeUndefined();
        const signedUserinfo = await register({
          redirect_uris: [`${LOOPBACK}/cb`],
          userinfo_signed_response_alg: 'RS256',
        });
        expect(
          signedUserinfo.status === 400 ||
            signedUserinfo.body.userinfo_signed_response_alg === undefined,
        ).toBe(true);
      });

      it('every advertised ID token encryption algorithm and content encryption works for a registered client with its own key', async () => {
        const algs = discovery().id_token_encryption_alg_values_supported as string[];
        const encs = discovery().id_token_encryption_enc_values_supported as string[];
        expect(algs.length).toBeGreaterThan(0);
        expect(encs.length).toBeGreaterThan(0);
        // Each algorithm once, and each content encryption once.
        const pairs = [
          ...algs.map((alg) => [alg, encs[0] as string] as const),
          ...encs.slice(1).map((enc) => [algs[0] as string, enc] as const),
        ];
        for (const [alg, enc] of pairs) {
          const { publicKey, privateKey } = await generateKeyPair(alg);
          const jwk = { ...(await exportJWK(publicKey)), use: 'enc', alg, kid: `rp-${alg}` };
          const redirect = `${LOOPBACK}/cb`;
          const { status, body } = await register({
            redirect_uris: [redirect],
            jwks: { keys: [jwk] },
            id_token_encrypted_response_alg: alg,
            id_token_encrypted_response_enc: enc,
          });
          expect(status, alg).toBe(201);
          const clientId = body.client_id as string;
          const verifier = oidc.randomPKCECodeVerifier();
          const browser = new Browser();
          const first = await browser.follow(
            `${idp.discovery.authorization_endpoint}?${new URLSearchParams({
              client_id: clientId,
              response_type: 'code',
              redirect_uri: redirect,
              scope: 'openid',
              code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
              code_challenge_method: 'S256',
            })}`,
            redirect,
          );
          const html = await first.res.text();
          const posted = await browser.fetch(
            formAction(html, first.url),
            form({ username: 'alice', password: 'alice' }),
          );
          const consent = await browser.follow(
            new URL(posted.headers.get('location') as string, first.url).href,
            redirect,
          );
          const page = await consent.res.text();
          const accepted = await browser.fetch(
            formAction(page, consent.url),
            form({ accept: 'yes' }),
          );
          const done = await browser.follow(
            new URL(accepted.headers.get('location') as string, consent.url).href,
            redirect,
          );
          const res = await fetch(
            idp.discovery.token_endpoint as string,
            form({
              grant_type: 'authorization_code',
              code: new URL(done.url).searchParams.get('code') as string,
              redirect_uri: redirect,
              client_id: clientId,
              code_verifier: verifier,
            }),
          );
          expect(res.status, alg).toBe(200);
          const tokens = (await res.json()) as Record<string, string>;
          const { plaintext, protectedHeader } = await compactDecrypt(
            tokens.id_token as string,
            privateKey,
          );
          expect(protectedHeader, alg).toMatchObject({ alg, enc });
          const jwks = createRemoteJWKSet(new URL(idp.discovery.jwks_uri as string));
          const { payload } = await jwtVerify(new TextDecoder().decode(plaintext), jwks, {
            issuer: idp.issuer,
            audience: clientId,
          });
          expect(payload.sub, alg).toEqual(expect.any(String));
        }
      });
    },
  );
});
