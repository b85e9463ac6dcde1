import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_REALM_FILE, type RunningIdp, startIdp } from '@todo-sso/idp';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../idp/test/seed-keys.js';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { type Instance, startInstance, testConfig } from './support/harness.js';
import { adminOtp } from './support/otp.js';

/**
 * The API against an independent, spec-strict OAuth client (panva's `oauth4webapi`), over HTTP:
 * the client gets its tokens from the dev IdP with its own grant functions (authorization code
 * with PKCE, client credentials, Keycloak's direct grant), calls the API with them (Bearer, and
 * DPoP through its DPoP handle), reads every refusal with its own `WWW-Authenticate` parser
 * (RFC 6750 §3, RFC 9449 §7.1, RFC 9470 §3, RFC 9728 §5.1) and discovers the API's protected
 * resource metadata (RFC 9728 §3). Whatever it rejects or misreads is the API's fault.
 */

const insecure = { [oauth.allowInsecureRequests]: true } as const;
const ALGS = 'ES256 ES384 ES512 PS256 RS256 EdDSA Ed25519';
const REDIRECT = 'http://localhost:3000/callback';

/** oauth4webapi's fetch hook, for a resource request. */
type Fetch = (
  href: string,
  init: oauth.CustomFetchOptions<string, oauth.ProtectedResourceRequestBody>,
) => Promise<Response>;

/** What oauth4webapi read from a refusal: the status, its parsed challenges, the problem code. */
interface Refusal {
  status: number;
  challenges: oauth.WWWAuthenticateChallenge[];
  code: unknown;
  error: oauth.WWWAuthenticateChallengeError;
}

/**
 * Runs a resource request that must be refused. oauth4webapi's `protectedResourceRequest`
 * throws `WWWAuthenticateChallengeError` only when it could parse the `WWW-Authenticate` field:
 * a refusal that comes back as a response is a challenge it could not read.
 */
async function refusal(request: Promise<Response>): Promise<Refusal> {
  let caught: unknown;
  try {
    const res = await request;
    caught = new Error(
      `no readable challenge: ${res.status} ${res.headers.get('www-authenticate')}`,
    );
  } catch (err) {
    caught = err;
  }
  if (!(caught instanceof oauth.WWWAuthenticateChallengeError)) throw caught;
  const body = (await caught.response.json()) as { code?: unknown };
  expectConformant(caught.cause, caught.response.url);
  return { status: caught.status, challenges: caught.cause, code: body.code, error: caught };
}

/** RFC 6750 §3: error and error_description are %x20-21 / %x23-5B / %x5D-7E. */
const NQS_CHARS = /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/;
/** RFC 6750 §3: scope is space-delimited scope-tokens of %x21 / %x23-5B / %x5D-7E. */
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/;

/**
 * What every challenge the API sends carries, as oauth4webapi read it: one challenge per scheme
 * (RFC 9110 §11.6.1), the realm, the metadata of the resource called (RFC 9728 §5.1), no
 * `error_uri` (the API has no such page), RFC 6750 §3's characters, and `algs` in a DPoP one
 * (RFC 9449 §7.1).
 */
function expectConformant(challenges: oauth.WWWAuthenticateChallenge[], called: string) {
  const schemes = challenges.map((c) => c.scheme);
  expect(new Set(schemes).size, schemes.join(', ')).toBe(schemes.length);
  const { origin, pathname } = new URL(called);
  const metadata = `${origin}/.well-known/oauth-protected-resource${pathname === '/mcp' ? '/mcp' : ''}`;
  for (const { scheme, parameters } of challenges) {
    expect(['bearer', 'dpop']).toContain(scheme);
    expect(parameters.realm).toBe('todo-api');
    expect(parameters.resource_metadata).toBe(metadata);
    expect(parameters.error_uri).toBeUndefined();
    expect(parameters.error ?? '').toMatch(NQS_CHARS);
    expect(parameters.error_description ?? '').toMatch(NQS_CHARS);
    if (parameters.error_description !== undefined) expect(parameters.error).toBeDefined();
    if (parameters.scope !== undefined) expect(parameters.scope).toMatch(SCOPE);
    if (scheme === 'dpop') expect(parameters.algs).toBe(ALGS);
  }
}

/** The parsed challenge of `scheme` (oauth4webapi lower-cases schemes); exactly one of each. */
function challengeOf(r: Refusal, scheme: 'bearer' | 'dpop'): oauth.WWWAuthenticateChallenge {
  const found = r.challenges.filter((c) => c.scheme === scheme);
  expect(found, `one ${scheme} challenge`).toHaveLength(1);
  return found[0] as oauth.WWWAuthenticateChallenge;
}

/** A cookie jar and manual redirects: enough of a browser for the IdP's sign-in pages. */
class Browser {
  readonly #cookies = new Map<string, string>();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.#cookies.size > 0)
      headers.set('cookie', [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const cookie of res.headers.getSetCookie()) {
      const pair = cookie.split(';')[0] as string;
      const eq = pair.indexOf('=');
      this.#cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return res;
  }

  /**
   * Signs in from `authorizationUrl`, answering the password page and the one-time-code page,
   * until the IdP redirects to {@link REDIRECT}; returns that callback URL.
   */
  async signIn(authorizationUrl: URL, username: string, otp?: () => string): Promise<URL> {
    let url = authorizationUrl.href;
    let res = await this.fetch(url);
    for (let step = 0; step < 20; step++) {
      if (res.status >= 300 && res.status < 400) {
        url = new URL(res.headers.get('location') as string, url).href;
        if (url.startsWith(REDIRECT)) return new URL(url);
        res = await this.fetch(url);
        continue;
      }
      const html = await res.text();
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
      if (res.status !== 200 || action === undefined)
        throw new Error(`sign-in stopped at ${url}: ${res.status}`);
      const values: Record<string, string> = html.includes('name="otp"')
        ? { otp: otp?.() ?? '' }
        : { username, password: username };
      url = new URL(action.replace(/&#38;|&amp;/g, '&'), url).href;
      res = await this.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(values),
      });
    }
    throw new Error('sign-in did not end');
  }
}

describe('the API and oauth4webapi, a client it was not written with', () => {
  let idpData: string;
  let idp: RunningIdp;
  let database: TestDatabase;
  let instance: Instance;
  let base: string;
  let as: oauth.AuthorizationServer;
  /** Alice's DPoP-bound token (authorization code with PKCE, todo-ui) and its key's handle. */
  let bound: Awaited<ReturnType<typeof codeFlow>>;
  /** Alice's bearer token (direct grant, todo-cli). */
  let bearer: string;

  const ui: oauth.Client = { client_id: 'todo-ui' };
  const cli: oauth.Client = { client_id: 'todo-cli' };

  beforeAll(async () => {
    idpData = mkdtempSync(join(tmpdir(), 'idp-oauth4webapi-'));
    // The realm as it is: todo-ui's tokens are DPoP-bound (`dpop.bound.access.tokens`).
    const realm = JSON.parse(readFileSync(DEFAULT_REALM_FILE, 'utf8'));
    idp = await startIdp({ host: '127.0.0.1', port: 0, dataDir: seedKeys(idpData), realm });
    database = sqliteDatabase();
    instance = await startInstance(testConfig(idp, database.config));
    base = await instance.app.listen({ host: '127.0.0.1', port: 0 });
    const issuer = new URL(idp.issuer);
    as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, insecure),
    );
    bearer = (await passwordGrant('alice')).access_token;
    bound = await codeFlow('alice');
  }, 60_000);
  afterAll(async () => {
    await instance?.close();
    await idp?.close();
    await database?.drop();
    if (idpData) rmSync(idpData, { recursive: true, force: true });
  });

  /** Keycloak's direct grant (todo-cli, a public client) through oauth4webapi's generic grant. */
  async function passwordGrant(username: string, DPoP?: oauth.DPoPHandle) {
    const params = { username, password: username };
    const res = await oauth.genericTokenEndpointRequest(as, cli, oauth.None(), 'password', params, {
      ...insecure,
      ...(DPoP && { DPoP }),
    });
    return oauth.processGenericTokenEndpointResponse(as, cli, res);
  }

  /**
   * The authorization code flow with PKCE (RFC 7636) of todo-ui, every step by oauth4webapi
   * but the pages: a DPoP-bound token (RFC 9449 §5) for a fresh ES256 key, and its handle.
   */
  async function codeFlow(
    username: string,
    extra: Record<string, string> = {},
    otp?: () => string,
  ) {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const authorizationUrl = new URL(as.authorization_endpoint as string);
    for (const [key, value] of Object.entries({
      client_id: ui.client_id,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'openid profile email',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...extra,
    }))
      authorizationUrl.searchParams.set(key, value);
    const callback = await new Browser().signIn(authorizationUrl, username, otp);
    const params = oauth.validateAuthResponse(as, ui, callback, state);
    const keys = await oauth.generateKeyPair('ES256');
    const dpop = oauth.DPoP(ui, keys);
    const res = await oauth.authorizationCodeGrantRequest(
      as,
      ui,
      oauth.None(),
      params,
      REDIRECT,
      verifier,
      { ...insecure, DPoP: dpop },
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, ui, res, {
      expectedNonce: nonce,
    });
    expect(tokens.token_type).toBe('dpop');
    const payload = tokens.access_token.split('.')[1] as string;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    return { token: tokens.access_token, refreshToken: tokens.refresh_token, keys, dpop, claims };
  }

  const url = (path: string) => new URL(path, base);
  const metadata = (path = '') =>
    `${new URL(base).origin}/.well-known/oauth-protected-resource${path}`;

  /** `GET path` by oauth4webapi, with DPoP when a handle is given; `fetch` to see the request. */
  const get = (token: string, path: string, DPoP?: oauth.DPoPHandle, customFetch?: Fetch) =>
    oauth.protectedResourceRequest(token, 'GET', url(path), undefined, undefined, {
      ...insecure,
      ...(DPoP && { DPoP }),
      ...(customFetch && { [oauth.customFetch]: customFetch }),
    });

  /** oauth4webapi always sends a token: its fetch hook takes it off, for a request without. */
  const withoutToken: Fetch = (href, init) => {
    const headers = { ...init.headers };
    delete headers.authorization;
    return fetch(href, { ...init, headers });
  };

  describe('Bearer (RFC 6750)', () => {
    it('a bearer token of the code-less direct grant reads /me (200)', async () => {
      const res = await get(bearer, '/me');
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ username: 'alice' });
    });

    it("a client credentials token (oauth4webapi's grant, client_secret_basic) is accepted", async () => {
      const client: oauth.Client = { client_id: 'todo-api' };
      const res = await oauth.clientCredentialsGrantRequest(
        as,
        client,
        oauth.ClientSecretBasic('todo-api-secret'),
        {},
        insecure,
      );
      const tokens = await oauth.processClientCredentialsResponse(as, client, res);
      expect(tokens.token_type).toBe('bearer');
      const me = await get(tokens.access_token, '/me');
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ username: 'service-account-todo-api' });
    });

    it('no token: 401, a Bearer challenge without error (RFC 6750 §3.1) and a DPoP one with algs', async () => {
      const r = await refusal(get('unused', '/me', undefined, withoutToken));
      expect(r.status).toBe(401);
      expect(r.code).toBe('token_missing');
      expect(r.challenges).toEqual([
        { scheme: 'bearer', parameters: { realm: 'todo-api', resource_metadata: metadata() } },
        {
          scheme: 'dpop',
          parameters: { realm: 'todo-api', algs: ALGS, resource_metadata: metadata() },
        },
      ]);
    });

    it('an invalid token: 401 invalid_token with a description, no error_uri', async () => {
      const [header, payload, signature] = bearer.split('.') as [string, string, string];
      const tampered = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
      for (const token of ['not-a-token', tampered]) {
        const r = await refusal(get(token, '/me'));
        expect(r.status).toBe(401);
        const challenge = challengeOf(r, 'bearer');
        expect(challenge.parameters).toMatchObject({
          realm: 'todo-api',
          error: 'invalid_token',
          resource_metadata: metadata(),
        });
        expect(challenge.parameters.error_description).toMatch(/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/);
        expect(challenge.parameters.error_uri).toBeUndefined();
        expect(challengeOf(r, 'dpop').parameters).toEqual({
          realm: 'todo-api',
          algs: ALGS,
          resource_metadata: metadata(),
        });
      }
    });

    it('a token in the query too: 400 invalid_request (RFC 6750 §3.1)', async () => {
      const r = await refusal(get(bearer, '/me?access_token=leaked'));
      expect(r.status).toBe(400);
      expect(r.code).toBe('request_invalid');
      expect(r.challenges).toHaveLength(1);
      expect(challengeOf(r, 'bearer').parameters.error).toBe('invalid_request');
    });

    it('insufficient scope: 403 insufficient_scope naming the scope needed, Bearer only', async () => {
      const r = await refusal(get(bearer, '/admin/audit'));
      expect(r.status).toBe(403);
      expect(r.code).toBe('insufficient_permission');
      expect(r.challenges).toEqual([
        {
          scheme: 'bearer',
          parameters: {
            realm: 'todo-api',
            error: 'insufficient_scope',
            error_description: 'Administrators only',
            scope: 'admin',
            resource_metadata: metadata(),
          },
        },
      ]);
    });
  });

  describe('step-up (RFC 9470) on /admin/', () => {
    it('a password-only admin token: 401 insufficient_user_authentication with acr_values and max_age', async () => {
      const admin = await passwordGrant('admin');
      const r = await refusal(get(admin.access_token, '/admin/audit'));
      expect(r.status).toBe(401);
      expect(r.code).toBe('authentication_too_weak');
      expect(challengeOf(r, 'bearer').parameters).toEqual({
        realm: 'todo-api',
        error: 'insufficient_user_authentication',
        error_description: 'This needs a stronger sign-in (mfa)',
        acr_values: 'mfa',
        max_age: '900',
        resource_metadata: metadata(),
      });
      expect(challengeOf(r, 'dpop').parameters).toEqual({
        realm: 'todo-api',
        algs: ALGS,
        resource_metadata: metadata(),
      });
    });

    it('a DPoP request is refused in the DPoP challenge; the client follows it to a sign-in that passes', async () => {
      const weak = await codeFlow('admin');
      const r = await refusal(get(weak.token, '/admin/audit', weak.dpop));
      expect(r.status).toBe(401);
      const dpop = challengeOf(r, 'dpop').parameters;
      expect(dpop).toEqual({
        realm: 'todo-api',
        error: 'insufficient_user_authentication',
        error_description: 'This needs a stronger sign-in (mfa)',
        acr_values: 'mfa',
        max_age: '900',
        algs: ALGS,
        resource_metadata: metadata(),
      });
      expect(challengeOf(r, 'bearer').parameters).toEqual({
        realm: 'todo-api',
        resource_metadata: metadata(),
      });
      // RFC 9470 §4: the client asks the authorization server for what the challenge named.
      const strong = await codeFlow(
        'admin',
        { acr_values: dpop.acr_values as string, max_age: dpop.max_age as string },
        () => adminOtp(),
      );
      expect(strong.claims.acr).toBe('mfa');
      const res = await get(strong.token, '/admin/audit', strong.dpop);
      expect(res.status).toBe(200);
    });
  });

  describe('DPoP (RFC 9449)', () => {
    it("succeeds with oauth4webapi's handle, a new proof for each request", async () => {
      const proofs: string[] = [];
      const recording: Fetch = (href, init) => {
        proofs.push(init.headers.dpop as string);
        return fetch(href, init);
      };
      for (let i = 0; i < 2; i++) {
        const res = await get(bound.token, '/me', bound.dpop, recording);
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ username: 'alice' });
      }
      expect(proofs).toHaveLength(2);
      expect(new Set(proofs).size).toBe(2);
      // Its htu is the URL without the query (RFC 9449 §4.2), which the API compares (§4.3).
      const listed = await get(bound.token, '/todos/?limit=1', bound.dpop);
      expect(listed.status).toBe(200);
      // A write: its proof's htm is POST, and its body is no part of the proof.
      const created = await oauth.protectedResourceRequest(
        bound.token,
        'POST',
        url('/todos/'),
        new Headers({ 'content-type': 'application/json' }),
        JSON.stringify({ title: 'Written through oauth4webapi' }),
        { ...insecure, DPoP: bound.dpop },
      );
      expect(created.status).toBe(201);
      expect(await created.json()).toMatchObject({ title: 'Written through oauth4webapi' });
    });

    it('a token refreshed by the same handle is bound to the same key; another key gets none (§5)', async () => {
      const refresh = (DPoP: oauth.DPoPHandle) =>
        oauth.refreshTokenGrantRequest(as, ui, oauth.None(), bound.refreshToken as string, {
          ...insecure,
          DPoP,
        });
      const other = oauth.DPoP(ui, await oauth.generateKeyPair('ES256'));
      await expect(
        oauth.processRefreshTokenResponse(as, ui, await refresh(other)),
      ).rejects.toMatchObject({ error: 'invalid_grant' });
      const renewed = await oauth.processRefreshTokenResponse(as, ui, await refresh(bound.dpop));
      expect(renewed.token_type).toBe('dpop');
      const res = await get(renewed.access_token, '/me', bound.dpop);
      expect(res.status).toBe(200);
      // And only with that key: another handle's proof is refused for the key binding.
      const r = await refusal(get(renewed.access_token, '/me', other));
      expect(r.status).toBe(401);
      expect(challengeOf(r, 'dpop').parameters.error).toBe('invalid_token');
    });

    it("the API's nonce (RFC 9449 §9): use_dpop_nonce, which the handle keeps and retries with", async () => {
      const nonceDatabase = sqliteDatabase();
      const strict = await startInstance(
        testConfig(idp, nonceDatabase.config, { DPOP_NONCE_SECRET: 'n'.repeat(40) }),
      );
      try {
        const strictBase = await strict.app.listen({ host: '127.0.0.1', port: 0 });
        const handle = oauth.DPoP(ui, bound.keys);
        const call = () =>
          oauth.protectedResourceRequest(
            bound.token,
            'GET',
            new URL('/me', strictBase),
            undefined,
            undefined,
            { ...insecure, DPoP: handle },
          );
        const r = await refusal(call());
        expect(r.status).toBe(401);
        expect(oauth.isDPoPNonceError(r.error)).toBe(true);
        expect(r.error.response.headers.get('dpop-nonce')).toBeTruthy();
        expect(r.challenges).toEqual([
          {
            scheme: 'dpop',
            parameters: {
              realm: 'todo-api',
              error: 'use_dpop_nonce',
              error_description: 'The DPoP proof needs the current nonce',
              algs: ALGS,
              resource_metadata: `${new URL(strictBase).origin}/.well-known/oauth-protected-resource`,
            },
          },
        ]);
        // The handle keeps the nonce of the refusal: the same call again passes.
        for (let i = 0; i < 2; i++) expect((await call()).status).toBe(200);
      } finally {
        await strict.close();
        await nonceDatabase.drop();
      }
    });

    it('binds and accepts a key of every algorithm both servers and oauth4webapi share', async () => {
      const shared = ALGS.split(' ').filter(
        (alg) => alg !== 'EdDSA' && as.dpop_signing_alg_values_supported?.includes(alg),
      );
      expect(shared).toEqual(expect.arrayContaining(['ES256', 'PS256', 'RS256']));
      for (const alg of shared) {
        const dpop = oauth.DPoP(cli, await oauth.generateKeyPair(alg));
        const tokens = await passwordGrant('alice', dpop);
        expect(tokens.token_type, alg).toBe('dpop');
        const res = await get(tokens.access_token, '/me', dpop);
        expect(res.status, alg).toBe(200);
      }
    });

    it('a DPoP request without the permission: 403 insufficient_scope in the DPoP challenge', async () => {
      const r = await refusal(get(bound.token, '/admin/audit', bound.dpop));
      expect(r.status).toBe(403);
      expect(r.code).toBe('insufficient_permission');
      expect(r.challenges).toEqual([
        {
          scheme: 'dpop',
          parameters: {
            realm: 'todo-api',
            error: 'insufficient_scope',
            error_description: 'Administrators only',
            scope: 'admin',
            algs: ALGS,
            resource_metadata: metadata(),
          },
        },
      ]);
    });

    it('a DPoP-bound token sent as a bearer token is refused (RFC 9449 §7.2)', async () => {
      const r = await refusal(get(bound.token, '/me'));
      expect(r.status).toBe(401);
      expect(r.code).toBeTypeOf('string');
      expect(challengeOf(r, 'bearer').parameters).toMatchObject({ error: 'invalid_token' });
      expect(challengeOf(r, 'dpop').parameters).toMatchObject({ algs: ALGS });
    });

    it('a proof for another URI or another method: 401 invalid_dpop_proof in the DPoP challenge', async () => {
      for (const change of [
        (p: Record<string, unknown>) => {
          p.htu = `${base}/todos/`;
        },
        (p: Record<string, unknown>) => {
          p.htm = 'POST';
        },
      ]) {
        // The token's own key: only the proof's htu or htm is wrong.
        const wrong = oauth.DPoP(ui, bound.keys, {
          [oauth.modifyAssertion]: (_header, payload) => change(payload),
        });
        const r = await refusal(get(bound.token, '/me', wrong));
        expect(r.status).toBe(401);
        expect(r.code).toBe('dpop_proof_invalid');
        expect(r.challenges).toHaveLength(1);
        const dpop = challengeOf(r, 'dpop').parameters;
        expect(dpop).toMatchObject({
          realm: 'todo-api',
          error: 'invalid_dpop_proof',
          algs: ALGS,
          resource_metadata: metadata(),
        });
        expect(oauth.isDPoPNonceError(r.error)).toBe(false);
      }
      // The handle itself still passes: the refusals were the proofs'.
      expect((await get(bound.token, '/me', bound.dpop)).status).toBe(200);
    });
  });

  describe('OIDC_DPOP=required: DPoP-bound tokens only', () => {
    let strictDatabase: TestDatabase;
    let strict: Instance;
    let strictBase: string;
    beforeAll(async () => {
      strictDatabase = sqliteDatabase();
      strict = await startInstance(
        testConfig(idp, strictDatabase.config, { OIDC_DPOP: 'required' }),
      );
      strictBase = await strict.app.listen({ host: '127.0.0.1', port: 0 });
    });
    afterAll(async () => {
      await strict?.close();
      await strictDatabase?.drop();
    });

    const call = (token: string, path: string, options: oauth.ProtectedResourceRequestOptions) =>
      oauth.protectedResourceRequest(
        token,
        'GET',
        new URL(path, strictBase),
        undefined,
        undefined,
        {
          ...insecure,
          ...options,
        },
      );
    const strictMetadata = () =>
      `${new URL(strictBase).origin}/.well-known/oauth-protected-resource`;

    it('its metadata says so (RFC 9728 §2), and a bound token with its proofs passes', async () => {
      const resource = new URL(strictBase);
      const rs = await oauth.processResourceDiscoveryResponse(
        resource,
        await oauth.resourceDiscoveryRequest(resource, insecure),
      );
      expect(rs.dpop_bound_access_tokens_required).toBe(true);
      expect((await call(bound.token, '/me', { DPoP: bound.dpop })).status).toBe(200);
    });

    it('no token: the DPoP challenge alone, since no bearer token would do (RFC 9449 §7.1)', async () => {
      const r = await refusal(call('unused', '/me', { [oauth.customFetch]: withoutToken }));
      expect(r.status).toBe(401);
      expect(r.challenges).toEqual([
        {
          scheme: 'dpop',
          parameters: { realm: 'todo-api', algs: ALGS, resource_metadata: strictMetadata() },
        },
      ]);
    });

    it('an invalid or unbound bearer token: invalid_token in the DPoP challenge, no Bearer one', async () => {
      for (const token of ['not-a-token', bearer]) {
        const r = await refusal(call(token, '/me', {}));
        expect(r.status).toBe(401);
        expect(r.challenges.map((c) => c.scheme)).toEqual(['dpop']);
        expect(challengeOf(r, 'dpop').parameters).toMatchObject({
          realm: 'todo-api',
          error: 'invalid_token',
          algs: ALGS,
          resource_metadata: strictMetadata(),
        });
      }
    });

    it('a step-up refusal of a DPoP request offers no Bearer challenge either', async () => {
      const weak = await codeFlow('admin');
      const r = await refusal(call(weak.token, '/admin/audit', { DPoP: weak.dpop }));
      expect(r.status).toBe(401);
      expect(r.challenges).toEqual([
        {
          scheme: 'dpop',
          parameters: {
            realm: 'todo-api',
            error: 'insufficient_user_authentication',
            error_description: 'This needs a stronger sign-in (mfa)',
            acr_values: 'mfa',
            max_age: '900',
            algs: ALGS,
            resource_metadata: strictMetadata(),
          },
        },
      ]);
    });
  });

  describe('protected resource metadata (RFC 9728)', () => {
    for (const [path, name] of [
      ['', 'the REST API'],
      ['/mcp', 'the MCP endpoint'],
    ] as const) {
      it(`oauth4webapi discovers ${name}'s, whose resource is the identifier it asked for (§3.3)`, async () => {
        const resource = new URL(`${base}${path}`);
        const res = await oauth.resourceDiscoveryRequest(resource, insecure);
        expect(res.url).toBe(metadata(path));
        const rs = await oauth.processResourceDiscoveryResponse(resource, res);
        expect(rs.authorization_servers).toEqual([idp.issuer]);
        expect(rs.bearer_methods_supported).toEqual(['header']);
        expect(rs.dpop_signing_alg_values_supported).toEqual(ALGS.split(' '));
        // The authorization server it names is one oauth4webapi discovers (RFC 8414).
        const issuer = new URL((rs.authorization_servers as string[])[0] as string);
        const found = await oauth.processDiscoveryResponse(
          issuer,
          await oauth.discoveryRequest(issuer, insecure),
        );
        expect(found.issuer).toBe(idp.issuer);
      });
    }

    it('a refusal names the metadata of the resource it guards, which the client can use (§5.1, §3.3)', async () => {
      // The REST API: one resource, the base URL, for every route. §3.3 asks metadata reached
      // through a challenge to name exactly the URL called (`<base>/me` here), which no
      // resource with more than one URL can; its proposed update (draft-mcguinness-oauth-
      // rfc9728bis) accepts a resource of the same origin whose path is a prefix of it.
      const rest = await refusal(get('unused', '/me', undefined, withoutToken));
      const restMetadata = challengeOf(rest, 'bearer').parameters.resource_metadata as string;
      expect(restMetadata).toBe(metadata());
      const restServer = await oauth.processResourceDiscoveryResponse(
        new URL(base),
        await fetch(restMetadata),
      );
      expect(restServer.authorization_servers).toEqual([idp.issuer]);
      const resource = new URL(restServer.resource);
      expect(resource.origin).toBe(url('/me').origin);
      expect(url('/me').pathname.startsWith(resource.pathname)).toBe(true);
      // The MCP endpoint: the resource is the very URL the client called, as §3.3 asks of
      // metadata reached through a challenge.
      const mcpUrl = url('/mcp');
      const mcp = await refusal(
        oauth.protectedResourceRequest(
          'unused',
          'POST',
          mcpUrl,
          new Headers({
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          }),
          '{}',
          { ...insecure, [oauth.customFetch]: withoutToken },
        ),
      );
      expect(mcp.status).toBe(401);
      for (const scheme of ['bearer', 'dpop'] as const)
        expect(challengeOf(mcp, scheme).parameters.resource_metadata).toBe(metadata('/mcp'));
      const mcpServer = await oauth.processResourceDiscoveryResponse(
        mcpUrl,
        await fetch(metadata('/mcp')),
      );
      expect(mcpServer.resource).toBe(mcpUrl.href);
    });
  });
});
