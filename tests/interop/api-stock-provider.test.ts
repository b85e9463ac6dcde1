import { createHash, randomBytes } from 'node:crypto';
import { loadConfig, type RunningApi, startApi } from '@todo-sso/api';
import { generateKeyPair, generateProof, type KeyPair } from 'dpop';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SuiteDatabase, sqliteDatabase } from '../reliability/support/databases.js';
import { freePort } from '../start/support.js';
import {
  API_SECRET,
  Browser,
  HOST,
  REDIRECT,
  RESOURCE,
  type StockProvider,
  signInAt,
  signOut,
  startStockProvider,
} from './support.js';

/**
 * The API trusting an OpenID provider it was not written with (`OIDC_PROVIDER=generic`):
 * oidc-provider as it ships mints the tokens (RFC 9068 JWT access tokens, or opaque ones the API
 * introspects, RFC 7662), binds them to a DPoP key (RFC 9449 §6) and sends its own back-channel
 * logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.4) when a person signs out there.
 * People sign in on its development pages over HTTP; the `dpop` library makes the proofs.
 */

interface Tokens {
  access_token: string;
  token_type: string;
  id_token: string;
}

/** A person's sign-in as `todo-ui` (code flow with PKCE, RFC 7636), with a DPoP key or not. */
async function signIn(idp: StockProvider, login: string, key?: KeyPair) {
  const browser = new Browser();
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL(`${idp.issuer}/auth`);
  authorize.search = new URLSearchParams({
    client_id: 'todo-ui',
    response_type: 'code',
    redirect_uri: REDIRECT,
    scope: 'openid profile',
    resource: RESOURCE,
    state: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  const back = await signInAt(
    browser,
    await browser.follow(authorize.href, REDIRECT),
    login,
    REDIRECT,
  );
  const code = new URL(back.url).searchParams.get('code');
  expect(code, back.url).toBeTruthy();
  const tokenUrl = `${idp.issuer}/token`;
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(key && { dpop: await generateProof(key, tokenUrl, 'POST') }),
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: 'todo-ui',
      code: code as string,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    }),
  });
  expect(res.status).toBe(200);
  return { browser, tokens: (await res.json()) as Tokens };
}

/** The API's answer to GET /me, with the token as a bearer token or with its DPoP proof. */
async function me(url: string, token: string, key?: KeyPair) {
  const target = `${url}/me`;
  const res = await fetch(target, {
    headers: key
      ? {
          authorization: `DPoP ${token}`,
          dpop: await generateProof(key, target, 'GET', undefined, token),
        }
      : { authorization: `Bearer ${token}` },
  });
  const body = (await res.json()) as { code?: string; sub?: string; permissions?: string[] };
  return { status: res.status, body, challenge: res.headers.get('www-authenticate') };
}

/** Waits (≤ 2 s) until GET /me with `token` is refused, and gives that answer. */
async function refusedSoon(url: string, token: string) {
  for (let i = 0; ; i++) {
    const answer = await me(url, token);
    if (answer.status !== 200 || i === 20) return answer;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.each([
  { format: 'jwt', verify: 'jwt' },
  { format: 'opaque', verify: 'introspect' },
] as const)('the API and a stock oidc-provider ($format access tokens)', ({ format, verify }) => {
  let database: SuiteDatabase;
  let idp: StockProvider;
  let api: RunningApi;
  let url: string;

  beforeAll(async () => {
    database = sqliteDatabase();
    const port = await freePort();
    url = `http://${HOST}:${port}`;
    idp = await startStockProvider({
      logoutUri: `${url}/auth/backchannel-logout`,
      accessTokenFormat: format,
    });
    api = await startApi(
      loadConfig({
        HOST,
        PORT: String(port),
        LOG_LEVEL: 'silent',
        OIDC_ISSUER: idp.issuer,
        OIDC_PROVIDER: 'generic',
        OIDC_AUDIENCE: 'todo-api',
        OIDC_VERIFY: verify,
        ...(verify === 'introspect' && {
          OIDC_CLIENT_ID: 'todo-api',
          OIDC_CLIENT_SECRET: API_SECRET,
        }),
        ...database.env,
      }),
    );
  }, 30_000);

  afterAll(async () => {
    await api?.close();
    await idp?.close();
    await database?.drop();
  });

  it('accepts its access token: the person, their permissions, a todo written and read', async () => {
    const { tokens } = await signIn(idp, 'alice');
    expect(tokens.token_type).toBe('Bearer');
    if (format === 'jwt') {
      // What oidc-provider itself writes (RFC 9068 §2.1, §2.2), not what a test chose.
      expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({
        typ: 'at+jwt',
        alg: 'ES256',
      });
      expect(decodeJwt(tokens.access_token)).toMatchObject({
        aud: 'todo-api',
        client_id: 'todo-ui',
      });
    }
    const answer = await me(url, tokens.access_token);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toMatchObject({ sub: 'alice' });
    const headers = {
      authorization: `Bearer ${tokens.access_token}`,
      'content-type': 'application/json',
    };
    const created = await fetch(`${url}/todos/`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ title: 'from a stock provider' }),
    });
    expect(created.status).toBe(201);
    const list = await fetch(`${url}/todos/`, { headers });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { items: { title: string }[] }).items).toEqual([
      expect.objectContaining({ title: 'from a stock provider' }),
    ]);
  });

  it('accepts its DPoP-bound token with a proof, and refuses it as a bearer token (RFC 9449 §7.1, §7.2)', async () => {
    const key = await generateKeyPair('ES256');
    const { tokens } = await signIn(idp, 'alice', key);
    expect(tokens.token_type).toBe('DPoP');
    const bound = await me(url, tokens.access_token, key);
    expect(bound.status, JSON.stringify(bound.body)).toBe(200);
    const bearer = await me(url, tokens.access_token);
    expect(bearer.status).toBe(401);
    expect(bearer.challenge).toMatch(/^Bearer .*error="invalid_token"/);
  });

  it("ends the person's tokens when they sign out there, and nobody else's (Back-Channel Logout 1.0 §2.4)", async () => {
    const alice = await signIn(idp, 'alice');
    const bob = await signIn(idp, 'bob');
    expect((await me(url, alice.tokens.access_token)).status).toBe(200);
    expect((await me(url, bob.tokens.access_token)).status).toBe(200);

    await signOut(idp, alice.browser, alice.tokens.id_token);
    expect(idp.deliveryErrors).toEqual([]);
    const refused = await refusedSoon(url, alice.tokens.access_token);
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('token_revoked');
    expect((await me(url, bob.tokens.access_token)).status).toBe(200);
  });
});
