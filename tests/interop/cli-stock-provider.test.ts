import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type RunningApi, startApi } from '@todo-sso/api';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../packages/cli/src/main.js';
import { oneSecondPolls } from '../../packages/cli/test/support/run.js';
import { type SuiteDatabase, sqliteDatabase } from '../reliability/support/databases.js';
import { freePort } from '../start/support.js';
import {
  API_SECRET,
  Browser,
  HOST,
  type StockProvider,
  signInAt,
  signOut,
  startStockProvider,
} from './support.js';

/**
 * `todo` against an authorization server it was not written with: a stock oidc-provider that
 * demands its own nonce in every DPoP proof at its token endpoint (RFC 9449 §8), as the dev IdP
 * never does. The device grant's polls (RFC 8628 §3.4) and each refresh must follow its
 * `use_dpop_nonce` answers, and the API (generic profile) must take the bound tokens it mints.
 * `todo login --browser` (RFC 8252) gets no refresh token there, and must use its access token
 * until it expires; `todo logout` revokes the refresh token there (RFC 7009). `todo doctor --login`
 * signs in the same way and must find nothing the API would refuse.
 * The person approves on oidc-provider's own device and sign-in pages, over HTTP.
 */

/** One token request the CLI sent: its proof's nonce, and what the provider answered. */
interface TokenCall {
  grant: string | null;
  nonce: unknown;
  status: number;
  error?: string;
}

describe('todo and a stock oidc-provider that requires DPoP nonces', () => {
  let database: SuiteDatabase;
  let idp: StockProvider;
  let api: RunningApi;
  let url: string;
  let configDir: string;
  const calls: TokenCall[] = [];
  /** The browser of the last sign-in, still signed in at the provider. */
  let lastBrowser: Browser;
  /** How far ahead of this machine's clock the CLI's runs, to bring a token close to expiry. */
  let clockOffsetMs = 0;

  /** Records each token request the CLI makes and the provider's answer. */
  const recording: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const target = String(input instanceof Request ? input.url : input);
    if (target === `${idp.issuer}/token`) {
      const proof = new Headers(init?.headers).get('dpop');
      const body = (await res
        .clone()
        .json()
        .catch(() => ({}))) as { error?: string };
      calls.push({
        grant: new URLSearchParams(String(init?.body)).get('grant_type'),
        nonce: proof === null ? 'no proof' : decodeJwt(proof).nonce,
        status: res.status,
        ...(body.error !== undefined && { error: body.error }),
      });
    }
    return res;
  };

  async function todo(...args: string[]) {
    return todoWith({}, ...args);
  }

  async function todoWith(extra: Record<string, string>, ...args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(args, {
      env: {
        TODO_CONFIG_DIR: configDir,
        TODO_ISSUER: idp.issuer,
        TODO_API_URL: url,
        TODO_TOKEN_STORE: 'file',
        TODO_DPOP: 'on',
        // oidc-provider issues a refresh token only for offline_access (OpenID Connect Core
        // §11), where Keycloak issues one to every sign-in.
        TODO_SCOPE: 'openid profile email offline_access',
        ...extra,
      },
      fetch: oneSecondPolls(recording),
      now: () => Date.now() + clockOffsetMs,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      out: (text) => out.push(text),
      err: (text) => err.push(text),
      openBrowser: async (page) => {
        // The person approves the code (or signs in, and is sent to the CLI's loopback
        // listener) on the provider's pages while the CLI waits.
        const back = new URL(page).searchParams.get('redirect_uri');
        const browser = new Browser();
        lastBrowser = browser;
        void browser
          .follow(page, back ?? 'none:')
          .then((start) => signInAt(browser, start, 'alice', back ?? 'none:'))
          .then((end) => (back === null ? undefined : browser.fetch(end.url)));
        return true;
      },
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  const apiEnv = () => ({
    OIDC_ISSUER: idp.issuer,
    OIDC_PROVIDER: 'generic',
    OIDC_AUDIENCE: 'todo-api',
    ...database.env,
  });

  /** The one session `todo` keeps in its token file. */
  async function storedSession() {
    const sessions = JSON.parse(await readFile(join(configDir, 'sessions.json'), 'utf8'));
    return Object.values(sessions)[0] as {
      accessToken: string;
      refreshToken?: string;
      idToken?: string;
      expiresAt: number;
      dpopKey?: object;
    };
  }

  beforeAll(async () => {
    database = sqliteDatabase();
    configDir = await mkdtemp(join(tmpdir(), 'todo-cli-stock-'));
    const port = await freePort();
    url = `http://${HOST}:${port}`;
    idp = await startStockProvider({
      logoutUri: `${url}/auth/backchannel-logout`,
      accessTokenFormat: 'jwt',
      requireDpopNonce: true,
      // Shorter than the CLI's 30 s refresh margin: it refreshes a quarter of 20 s before expiry.
      accessTokenTtl: 20,
    });
    api = await startApi(
      loadConfig({ HOST, PORT: String(port), LOG_LEVEL: 'silent', ...apiEnv() }),
    );
  }, 30_000);

  afterAll(async () => {
    await api?.close();
    await idp?.close();
    await database?.drop();
    await rm(configDir, { recursive: true, force: true });
  });

  it('signs in with the device grant, each poll carrying the nonce the provider asked for', async () => {
    const login = await todo('login');
    expect(login.err).not.toMatch(/error|failed/i);
    expect(login.code).toBe(0);
    const polls = calls.filter((c) => c.grant === 'urn:ietf:params:oauth:grant-type:device_code');
    // The first poll has no nonce to send and is answered use_dpop_nonce (§8); every later
    // one carries it, and the last is the tokens.
    expect(polls[0]).toMatchObject({ nonce: undefined, status: 400, error: 'use_dpop_nonce' });
    for (const poll of polls.slice(1)) expect(typeof poll.nonce).toBe('string');
    expect(polls.at(-1)).toMatchObject({ status: 200 });
    const session = await storedSession();
    expect(session.dpopKey).toMatchObject({ kty: 'EC', crv: 'P-256' });
    expect(decodeJwt(session.accessToken)).toMatchObject({ cnf: { jkt: expect.any(String) } });
  }, 20_000);

  it('refreshes with the nonce too, and the API takes the bound token it gets', async () => {
    calls.length = 0;
    // 2 s before the token expires, within the margin the CLI refreshes in (a quarter of 20 s).
    clockOffsetMs = (await storedSession()).expiresAt - 2_000 - Date.now();
    const add = await todo('add', 'from the stock provider').finally(() => {
      clockOffsetMs = 0;
    });
    expect(add.err).toBe('');
    expect(add.code).toBe(0);
    // A new run knows no nonce yet: its first refresh is asked for one, then carries it.
    const refreshes = calls.filter((c) => c.grant === 'refresh_token');
    expect(refreshes[0]).toMatchObject({ nonce: undefined, status: 400, error: 'use_dpop_nonce' });
    expect(refreshes.at(-1)).toMatchObject({ status: 200 });
    for (const call of refreshes.filter((c) => c.status === 200))
      expect(typeof call.nonce).toBe('string');
    const ls = await todo('ls');
    expect(ls.code).toBe(0);
    expect(ls.out).toContain('from the stock provider');
  }, 20_000);

  it('signs out by revoking its refresh token there (RFC 7009 §2.1)', async () => {
    // The session of the device grant, refreshed above.
    const { refreshToken } = await storedSession();
    expect(await idp.provider.RefreshToken.find(refreshToken as string)).toBeDefined();
    const logout = await todo('logout');
    expect(logout.code).toBe(0);
    expect(logout.out).toBe('Signed out: the refresh token was revoked.');
    expect(await idp.provider.RefreshToken.find(refreshToken as string)).toBeUndefined();
  }, 20_000);

  it('signs in through the browser too (RFC 8252), and with no refresh token uses the access token while it lasts', async () => {
    calls.length = 0;
    const login = await todo('login', '--browser');
    expect(login.err).not.toContain('does not accept');
    expect(login.code).toBe(0);
    // The code bound to the key (dpop_jkt, RFC 9449 §10) is redeemed after the nonce demand.
    expect(calls).toEqual([
      { grant: 'authorization_code', nonce: undefined, status: 400, error: 'use_dpop_nonce' },
      { grant: 'authorization_code', nonce: expect.any(String), status: 200 },
    ]);
    // oidc-provider grants offline_access only with prompt=consent (OpenID Connect Core §11):
    // no refresh token, and an access token of less than 30 s.
    const session = await storedSession();
    expect(session.refreshToken).toBeUndefined();
    expect(session.expiresAt - Date.now()).toBeLessThan(30_000);
    expect(session.expiresAt - Date.now()).toBeGreaterThan(5_000);
    const ls = await todo('ls');
    expect(ls.err).toBe('');
    expect(ls.code).toBe(0);
    expect(ls.out).toContain('from the stock provider');

    // Signed out at the provider: its back-channel logout (Back-Channel Logout 1.0 §2.5) makes
    // the API refuse the token, and the command says so.
    await signOut(idp, lastBrowser, (await storedSession()).idToken as string);
    const refused = await todo('ls');
    expect(refused.code).toBe(1);
    expect(refused.err).toBe('todo ls: The access token was revoked (HTTP 401, token_revoked)');
  }, 20_000);

  it('todo doctor: OIDC_VERIFY=introspect with its JWT access tokens is refused (503), and says to verify them locally', async () => {
    // oidc-provider answers the introspection of a JWT with 400 unsupported_token_type, where
    // RFC 7662 §2.2 asks for {"active": false} for a token it will not describe. The API cannot
    // tell such a token valid or not: it fails closed with idp_unavailable, the provider's answer
    // named, and the doctor points at local verification.
    const doctor = await todoWith(
      {
        ...apiEnv(),
        OIDC_VERIFY: 'introspect',
        OIDC_CLIENT_ID: 'todo-api',
        OIDC_CLIENT_SECRET: API_SECRET,
      },
      'doctor',
      '--login',
    );
    expect(doctor.code).toBe(1);
    expect(doctor.out).toContain('✗ token_refused (the API answers idp_unavailable)');
    expect(doctor.out).toContain(
      `received: ${idp.issuer}/token/introspection answered HTTP 400 (unsupported_token_type)`,
    );
    expect(doctor.out).toContain('verify JWTs locally: OIDC_VERIFY=jwt');
  }, 20_000);

  it('todo doctor --login signs in there too and finds nothing the API would refuse', async () => {
    calls.length = 0;
    const doctor = await todoWith(apiEnv(), 'doctor', '--login');
    expect(doctor.code).toBe(0);
    expect(doctor.out).toContain(`discovery ok (${idp.issuer}/.well-known/openid-configuration)`);
    expect(doctor.out).toContain(
      'token     accepted for alice (permissions: todos:read, todos:write)',
    );
    expect(doctor.out).toContain('No problems found');
    const polls = calls.filter((c) => c.grant === 'urn:ietf:params:oauth:grant-type:device_code');
    expect(polls.at(-1)).toMatchObject({ nonce: expect.any(String), status: 200 });
  }, 20_000);
});
