import { createAuthenticator } from '@todo-sso/auth';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizationCodeLogin,
  Browser,
  basic,
  decodeJwt,
  form,
  passwordGrant,
  pkce,
  redeemCode,
  startTestIdp,
  type TestIdp,
} from './helpers.js';

let idp: TestIdp;

beforeAll(async () => {
  idp = await startTestIdp({ profile: 'authentik' });
});
afterAll(async () => {
  await idp.close();
});

describe('Authentik profile', () => {
  it('serves issuer /application/o/todo-app/ with shared endpoints and a per-application JWKS', () => {
    const base = `${idp.url}/application/o`;
    expect(idp.issuer).toBe(`${base}/todo-app/`);
    expect(idp.discovery).toMatchObject({
      issuer: `${base}/todo-app/`,
      authorization_endpoint: `${base}/authorize/`,
      token_endpoint: `${base}/token/`,
      userinfo_endpoint: `${base}/userinfo/`,
      introspection_endpoint: `${base}/introspect/`,
      revocation_endpoint: `${base}/revoke/`,
      device_authorization_endpoint: `${base}/device/`,
      jwks_uri: `${base}/todo-app/jwks/`,
      end_session_endpoint: `${base}/todo-app/end-session/`,
    });
  });

  it('issues access tokens with a flat groups claim, aud = client id and no typ claim', async () => {
    const { status, body } = await passwordGrant(idp, 'alice', 'alice', { scope: 'openid' });
    expect(status).toBe(200);
    const { header, payload } = decodeJwt(body.access_token as string);
    expect(header.alg).toBe('RS256');
    expect(payload).toMatchObject({
      iss: idp.issuer,
      aud: 'todo-cli',
      azp: 'todo-cli',
      sub: '5f0c7a3e-2b8d-4c1a-9e61-0a1b2c3d4e01',
      groups: ['user', 'todos:read', 'todos:write'],
      preferred_username: 'alice',
      email: 'alice@example.com',
      department: 'engineering',
    });
    expect(payload.typ).toBeUndefined();
    expect(payload.realm_access).toBeUndefined();
    expect(payload.resource_access).toBeUndefined();
    const jwks = createRemoteJWKSet(new URL(idp.discovery.jwks_uri as string));
    await expect(
      jwtVerify(body.access_token as string, jwks, { issuer: idp.issuer, audience: 'todo-cli' }),
    ).resolves.toBeTruthy();
    expect(decodeJwt(body.id_token as string).payload.typ).toBeUndefined();
  });

  it("names the client in a service account's token with azp, as every Authentik access token", async () => {
    // Authentik's IDToken.to_access_token sets azp to the provider's client id whatever the
    // grant; client_credentials tokens carry no client_id claim.
    const res = await fetch(idp.discovery.token_endpoint as string, {
      ...form({ grant_type: 'client_credentials' }),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic('todo-api', 'todo-api-secret'),
      },
    });
    expect(res.status).toBe(200);
    const { access_token } = (await res.json()) as { access_token: string };
    const { payload } = decodeJwt(access_token);
    expect(payload).toMatchObject({ iss: idp.issuer, azp: 'todo-api' });
    expect(payload.client_id).toBeUndefined();
  });

  it("puts carol's reports:generate and admin's admin role (with its authz:evaluate) in groups", async () => {
    const carol = decodeJwt((await passwordGrant(idp, 'carol')).body.access_token as string);
    expect(carol.payload.groups).toEqual(['user', 'reports:generate', 'todos:read', 'todos:write']);
    const admin = decodeJwt((await passwordGrant(idp, 'admin')).body.access_token as string);
    expect(admin.payload.groups).toEqual(['admin', 'authz:evaluate']);
  });

  it('signs in todo-ui through the login page: aud is todo-ui', async () => {
    const browser = new Browser();
    const { verifier, challenge } = pkce();
    const redirect = 'http://localhost:3000/callback';
    const { code } = await authorizationCodeLogin(
      idp,
      browser,
      {
        client_id: 'todo-ui',
        response_type: 'code',
        redirect_uri: redirect,
        scope: 'openid profile email',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      },
      'bob',
    );
    const { status, body } = await redeemCode(idp, code, verifier, redirect);
    expect(status).toBe(200);
    expect(decodeJwt(body.access_token as string).payload).toMatchObject({
      aud: 'todo-ui',
      groups: ['user', 'todos:read', 'todos:write'],
      department: 'sales',
    });
  });

  it("carries the sign-in's nonce in the code flow's access token, as Authentik does, and the API's verifier accepts it", async () => {
    const browser = new Browser();
    const { verifier, challenge } = pkce();
    const redirect = 'http://localhost:3000/callback';
    const nonce = 'n-0S6_WzA2Mj';
    const { code } = await authorizationCodeLogin(
      idp,
      browser,
      {
        client_id: 'todo-ui',
        response_type: 'code',
        redirect_uri: redirect,
        scope: 'openid profile email offline_access',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        nonce,
      },
      'alice',
    );
    const { body } = await redeemCode(idp, code, verifier, redirect);
    const access = body.access_token as string;
    // token.py create_code_response: the code's nonce goes into the access token's IDToken.
    expect(decodeJwt(access).payload).toMatchObject({ nonce, azp: 'todo-ui' });
    expect(decodeJwt(body.id_token as string).payload).toMatchObject({ nonce });
    const base = { issuer: idp.issuer, audience: 'todo-ui', profile: 'authentik' } as const;
    const credentials = { clientId: 'todo-api', clientSecret: 'todo-api-secret' };
    for (const options of [base, { ...base, verify: 'introspect' as const, ...credentials }]) {
      const auth = createAuthenticator({ issuers: [options] });
      try {
        await expect(auth.authenticate(access)).resolves.toMatchObject({ username: 'alice' });
        // The ID token, nonce and all, is still no access token (no azp, no uid).
        await expect(auth.authenticate(body.id_token as string)).rejects.toMatchObject({
          code: options === base ? 'token_type_invalid' : 'token_inactive',
        });
      } finally {
        auth.close();
      }
    }
    // A refresh grant's access token has no nonce (Authentik's create_refresh_response).
    const refreshed = await fetch(idp.discovery.token_endpoint as string, {
      ...form({
        grant_type: 'refresh_token',
        client_id: 'todo-ui',
        refresh_token: body.refresh_token as string,
      }),
    });
    const renewed = (await refreshed.json()) as Record<string, string>;
    expect(decodeJwt(renewed.access_token as string).payload.nonce).toBeUndefined();
  });

  it('introspects with RFC 7662 fields and the groups claim, without a Keycloak token_type', async () => {
    const { body } = await passwordGrant(idp, 'carol');
    const res = await fetch(idp.discovery.introspection_endpoint as string, {
      ...form({ token: body.access_token as string }),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic('todo-api', 'todo-api-secret'),
      },
    });
    expect(res.status).toBe(200);
    const result = (await res.json()) as Record<string, unknown>;
    // introspection.py: the IDToken's claims (no azp) and the asking provider's client_id.
    expect(result).toMatchObject({
      active: true,
      client_id: 'todo-api',
      aud: 'todo-cli',
      iss: idp.issuer,
      groups: ['user', 'reports:generate', 'todos:read', 'todos:write'],
    });
    expect(result.token_type).toBeUndefined();
    expect(result.azp).toBeUndefined();
    // The API's verifier names the token's client (its aud), not the API that asked: an agent's
    // token must not pass for the API's own client.
    const auth = createAuthenticator({
      issuers: [
        {
          issuer: idp.issuer,
          audience: 'todo-cli',
          profile: 'authentik',
          verify: 'introspect',
          clientId: 'todo-api',
          clientSecret: 'todo-api-secret',
        },
      ],
    });
    try {
      await expect(auth.authenticate(body.access_token as string)).resolves.toMatchObject({
        clientId: 'todo-cli',
        username: 'carol',
      });
    } finally {
      auth.close();
    }
  });

  it('answers introspection by a client it does not authenticate as an inactive token, as Authentik does', async () => {
    const { body } = await passwordGrant(idp, 'carol');
    const token = body.access_token as string;
    const ask = (headers: Record<string, string>, extra: Record<string, string> = {}) =>
      fetch(idp.discovery.introspection_endpoint as string, {
        ...form({ token, ...extra }),
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      });
    // authentik introspection.py: no authenticated provider is TokenIntrospectionError → 200.
    for (const res of [
      await ask({ authorization: basic('todo-api', 'not-the-secret') }),
      await ask({ authorization: basic('no-such-client', 'todo-api-secret') }),
      await ask({}, { client_id: 'todo-cli' }),
      await ask({}),
    ]) {
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ active: false });
    }
    const right = await ask({ authorization: basic('todo-api', 'todo-api-secret') });
    expect(await right.json()).toMatchObject({ active: true });
  });
});
