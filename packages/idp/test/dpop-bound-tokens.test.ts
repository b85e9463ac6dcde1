import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DEFAULT_REALM_FILE } from '@todo-sso/idp';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DpopKey, dpopKey } from './dpop-proof.js';
import {
  approveDevice,
  authorizationCodeLogin,
  Browser,
  basic,
  decodeJwt,
  form,
  pkce,
  type RealmJson,
  startTestIdp,
  type TestIdp,
} from './helpers.js';

/**
 * DPoP at the dev IdP's token endpoint (RFC 9449 §5) as Keycloak 26.4 does it: a valid proof on
 * any grant binds the access token (`token_type: DPoP`, `cnf.jkt`, Keycloak's `typ: "DPoP"`), a
 * public client's refresh token is bound to the same key, and a client with
 * `dpop.bound.access.tokens` must send a proof. Proofs are signed with real keys over HTTP.
 */
const REDIRECT = 'http://localhost:3000/callback';
let idp: TestIdp;
let tokenEndpoint: string;

beforeAll(async () => {
  // The repository's realm file as it is: `todo-ui` requires DPoP.
  idp = await startTestIdp({ realm: DEFAULT_REALM_FILE });
  tokenEndpoint = idp.discovery.token_endpoint as string;
});
afterAll(async () => {
  await idp?.close();
});

async function tokenRequest(values: Record<string, string>, headers: Record<string, string>) {
  const init = form(values);
  const res = await fetch(tokenEndpoint, {
    ...init,
    headers: { ...(init.headers as Record<string, string>), ...headers },
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

async function password(key?: DpopKey, htu = tokenEndpoint) {
  const values = { grant_type: 'password', client_id: 'todo-cli', username: 'alice' };
  return tokenRequest({ ...values, password: 'alice' }, key ? { dpop: await key.proof(htu) } : {});
}

describe('DPoP-bound tokens from the dev IdP (Keycloak profile)', () => {
  it('advertises asymmetric proof algorithms in discovery (dpop_signing_alg_values_supported)', () => {
    const algs = idp.discovery.dpop_signing_alg_values_supported as unknown as string[];
    expect(algs).toEqual(expect.arrayContaining(['ES256', 'RS256', 'PS256', 'EdDSA']));
    expect(algs.some((a) => a === 'none' || a.startsWith('HS'))).toBe(false);
  });

  it('binds the password grant to the proof key: token_type DPoP, cnf.jkt, typ DPoP', async () => {
    const key = await dpopKey();
    const { status, body } = await password(key);
    expect(status).toBe(200);
    expect(body.token_type).toBe('DPoP');
    const { payload } = decodeJwt(body.access_token as string);
    expect(payload.cnf).toEqual({ jkt: key.jkt });
    expect(payload.typ).toBe('DPoP');
  });

  it('issues a plain bearer token to the password grant without a proof', async () => {
    const { status, body } = await password();
    expect(status).toBe(200);
    expect(body.token_type).toBe('Bearer');
    const { payload } = decodeJwt(body.access_token as string);
    expect(payload.cnf).toBeUndefined();
    expect(payload.typ).toBe('Bearer');
  });

  it('refuses a proof for another URI with 400 invalid_dpop_proof, before the credentials', async () => {
    const key = await dpopKey();
    const { status, body } = await password(key, `${idp.url}/elsewhere`);
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_dpop_proof');
  });

  it('refuses a proof used twice at the token endpoint (RFC 9449 §11.1)', async () => {
    const key = await dpopKey();
    const proof = await key.proof(tokenEndpoint);
    const values = { grant_type: 'password', client_id: 'todo-cli', username: 'alice' };
    const first = await tokenRequest({ ...values, password: 'alice' }, { dpop: proof });
    expect(first.status).toBe(200);
    const again = await tokenRequest({ ...values, password: 'alice' }, { dpop: proof });
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');
  });

  it("binds a public client's refresh token: a refresh needs a proof by the same key", async () => {
    const key = await dpopKey();
    const { body } = await password(key);
    const refreshValues = {
      grant_type: 'refresh_token',
      client_id: 'todo-cli',
      refresh_token: body.refresh_token as string,
    };
    const bare = await tokenRequest(refreshValues, {});
    expect(bare.status).toBe(400);
    expect(bare.body.error).toBe('invalid_grant');
    const other = await dpopKey();
    const stolen = await tokenRequest(refreshValues, { dpop: await other.proof(tokenEndpoint) });
    expect(stolen.status).toBe(400);
    expect(stolen.body.error).toBe('invalid_grant');
    const renewed = await tokenRequest(refreshValues, { dpop: await key.proof(tokenEndpoint) });
    expect(renewed.status).toBe(200);
    expect(renewed.body.token_type).toBe('DPoP');
    expect(decodeJwt(renewed.body.access_token as string).payload.cnf).toEqual({ jkt: key.jkt });
  });

  it('binds client credentials, with typ DPoP', async () => {
    const key = await dpopKey();
    const cc = await tokenRequest(
      { grant_type: 'client_credentials' },
      { authorization: basic('todo-api', 'todo-api-secret'), dpop: await key.proof(tokenEndpoint) },
    );
    expect(cc.status).toBe(200);
    expect(cc.body.token_type).toBe('DPoP');
    expect(decodeJwt(cc.body.access_token as string).payload).toMatchObject({
      cnf: { jkt: key.jkt },
      typ: 'DPoP',
    });
  });

  it('binds the device grant (RFC 8628) when the polling request carries a proof', async () => {
    const start = await fetch(
      idp.discovery.device_authorization_endpoint as string,
      form({ client_id: 'todo-cli', scope: 'openid' }),
    );
    const device = (await start.json()) as Record<string, string>;
    await approveDevice(new Browser(), device, 'alice');
    const key = await dpopKey();
    const { status, body } = await tokenRequest(
      {
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        client_id: 'todo-cli',
        device_code: device.device_code as string,
      },
      { dpop: await key.proof(tokenEndpoint) },
    );
    expect(status).toBe(200);
    expect(body.token_type).toBe('DPoP');
    expect(decodeJwt(body.access_token as string).payload.cnf).toEqual({ jkt: key.jkt });
  });

  it('introspects a bound token with cnf.jkt and token_type DPoP (RFC 9449 §6.2)', async () => {
    const key = await dpopKey();
    const { body } = await password(key);
    const res = await fetch(`${tokenEndpoint}/introspect`, {
      ...form({ token: body.access_token as string }),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic('todo-api', 'todo-api-secret'),
      },
    });
    const answer = (await res.json()) as Record<string, unknown>;
    expect(answer).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.jkt } });
  });

  it('refuses a bound token sent to userinfo as a bearer token (RFC 9449 §7.2)', async () => {
    const key = await dpopKey();
    const { body } = await password(key, tokenEndpoint);
    const res = await fetch(idp.discovery.userinfo_endpoint as string, {
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^DPoP /);
  });

  const ath = (token: string) => createHash('sha256').update(token).digest('base64url');
  /** A password grant with scope openid (userinfo needs it), bound to `key` when given. */
  async function signedIn(key?: DpopKey) {
    const values = { grant_type: 'password', client_id: 'todo-cli', username: 'alice' };
    const proof: Record<string, string> = key ? { dpop: await key.proof(tokenEndpoint) } : {};
    const { body } = await tokenRequest({ ...values, password: 'alice', scope: 'openid' }, proof);
    return body.access_token as string;
  }

  it('answers a bound token with its proof at userinfo (RFC 9449 §7.1), for every advertised algorithm, GET and POST', async () => {
    const userinfo = idp.discovery.userinfo_endpoint as string;
    const algs = idp.discovery.dpop_signing_alg_values_supported as unknown as string[];
    for (const alg of algs) {
      const key = await dpopKey(alg);
      const token = await signedIn(key);
      for (const method of ['GET', 'POST']) {
        const res = await fetch(userinfo, {
          method,
          headers: {
            authorization: `DPoP ${token}`,
            dpop: await key.proof(userinfo, method, { ath: ath(token) }),
          },
        });
        expect(res.status, `${alg} ${method}`).toBe(200);
        expect(((await res.json()) as Record<string, unknown>).preferred_username).toBe('alice');
      }
    }
  });

  it('refuses at userinfo a bound token without its proof, or with a proof not for it', async () => {
    const userinfo = idp.discovery.userinfo_endpoint as string;
    const key = await dpopKey();
    const token = await signedIn(key);
    const other = await dpopKey();
    const second = await signedIn(key);
    const replayed = await key.proof(userinfo, 'GET', { ath: ath(token) });
    const attempts: Record<string, string | undefined> = {
      'no proof': undefined,
      'another key': await other.proof(userinfo, 'GET', { ath: ath(token) }),
      'another token (ath)': await key.proof(userinfo, 'GET', {
        ath: ath(second),
      }),
      'no ath': await key.proof(userinfo, 'GET'),
      'another URL': await key.proof(tokenEndpoint, 'GET', { ath: ath(token) }),
      'another method': await key.proof(userinfo, 'POST', { ath: ath(token) }),
    };
    for (const [what, proof] of Object.entries(attempts)) {
      const res = await fetch(userinfo, {
        headers: { authorization: `DPoP ${token}`, ...(proof ? { dpop: proof } : {}) },
      });
      expect(res.status, what).toBe(401);
      expect(res.headers.get('www-authenticate'), what).toMatch(
        /^DPoP .*error="invalid_dpop_proof"/,
      );
    }
    const first = await fetch(userinfo, {
      headers: { authorization: `DPoP ${token}`, dpop: replayed },
    });
    expect(first.status).toBe(200);
    const again = await fetch(userinfo, {
      headers: { authorization: `DPoP ${token}`, dpop: replayed },
    });
    expect(again.status, 'a replayed proof').toBe(401);
    // A bearer token presented under the DPoP scheme is not bound to anything (§7.1).
    const bearer = await signedIn();
    const unbound = await fetch(userinfo, {
      headers: {
        authorization: `DPoP ${bearer}`,
        dpop: await key.proof(userinfo, 'GET', { ath: ath(bearer) }),
      },
    });
    expect(unbound.status).toBe(401);
  });
});

describe('a client that requires DPoP (dpop.bound.access.tokens: "true")', () => {
  it('is what the realm file says of todo-ui, as a Keycloak import reads it', () => {
    const realm = JSON.parse(readFileSync(DEFAULT_REALM_FILE, 'utf8')) as RealmJson;
    const ui = realm.clients.find((c) => c.clientId === 'todo-ui');
    expect(ui?.attributes?.['dpop.bound.access.tokens']).toBe('true');
  });

  async function signInCode() {
    const { verifier, challenge } = pkce();
    const { code } = await authorizationCodeLogin(
      idp,
      new Browser(),
      {
        client_id: 'todo-ui',
        response_type: 'code',
        redirect_uri: REDIRECT,
        scope: 'openid',
        state: 's',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      },
      'alice',
    );
    return {
      grant_type: 'authorization_code',
      client_id: 'todo-ui',
      code: code as string,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    };
  }

  it('refuses the code redemption without a proof with 400 invalid_grant', async () => {
    const { status, body } = await tokenRequest(await signInCode(), {});
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'invalid_grant' });
  });

  it('binds the code redemption with a proof, refresh token included', async () => {
    const key = await dpopKey();
    const { status, body } = await tokenRequest(await signInCode(), {
      dpop: await key.proof(tokenEndpoint),
    });
    expect(status).toBe(200);
    expect(body.token_type).toBe('DPoP');
    expect(decodeJwt(body.access_token as string).payload.cnf).toEqual({ jkt: key.jkt });
    const bare = await tokenRequest(
      {
        grant_type: 'refresh_token',
        client_id: 'todo-ui',
        refresh_token: body.refresh_token as string,
      },
      {},
    );
    expect(bare.status).toBe(400);
  });
});

describe('openid-client (independent DPoP client, RFC 9449) against the dev IdP', () => {
  it('gets and refreshes DPoP-bound tokens with its own proofs and key', async () => {
    const config = await oidc.discovery(new URL(idp.issuer), 'todo-cli', undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
    const keyPair = await oidc.randomDPoPKeyPair('ES256');
    const DPoP = oidc.getDPoPHandle(config, keyPair);
    const tokens = await oidc.genericGrantRequest(
      config,
      'password',
      { username: 'alice', password: 'alice', scope: 'openid' },
      { DPoP },
    );
    expect(tokens.token_type).toBe('dpop');
    const jkt = (decodeJwt(tokens.access_token).payload.cnf as { jkt: string }).jkt;
    expect(jkt).toMatch(/^[\w-]{43}$/);
    const renewed = await oidc.refreshTokenGrant(
      config,
      tokens.refresh_token as string,
      {},
      { DPoP },
    );
    expect(renewed.token_type).toBe('dpop');
    expect(decodeJwt(renewed.access_token).payload.cnf).toEqual({ jkt });
    // Userinfo with the bound token and openid-client's own proof (RFC 9449 §7.1).
    const info = await oidc.fetchUserInfo(config, renewed.access_token, oidc.skipSubjectCheck, {
      DPoP,
    });
    expect(info.preferred_username).toBe('alice');
  });
});

describe('Authentik profile', () => {
  let authentik: TestIdp;
  beforeAll(async () => {
    authentik = await startTestIdp({ profile: 'authentik' });
  });
  afterAll(async () => {
    await authentik?.close();
  });

  it('ignores a DPoP proof and issues a bearer token, as Authentik has no DPoP', async () => {
    const key = await dpopKey();
    const endpoint = authentik.discovery.token_endpoint as string;
    const res = await fetch(endpoint, {
      ...form({
        grant_type: 'password',
        client_id: 'todo-cli',
        username: 'alice',
        password: 'alice',
      }),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        dpop: await key.proof(endpoint),
      },
    });
    const body = (await res.json()) as Record<string, string>;
    expect(res.status).toBe(200);
    expect(body.token_type).toBe('Bearer');
    expect(decodeJwt(body.access_token as string).payload.cnf).toBeUndefined();
    expect(authentik.discovery.dpop_signing_alg_values_supported).toBeUndefined();
  });
});
